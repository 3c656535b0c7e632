-- The keyed audit chain (issue #28): from here on the sequencer links events with
-- HMAC-SHA256(key, prev_hash ‖ canonical), the key derived per workspace from a master key of
-- the keyring (which never enters the database). `key_id` names the master key the head's chain
-- is keyed with; NULL for a chain still linked with plain SHA-256 (every chain before this
-- migration). The switch, at a chain's first keyed link or after a key rotation, is itself an
-- event: `audit.chain_keyed` (actor `system`, details `key_id`, `previous_key_id`), linked with
-- the new key. A new workspace's chain is keyed from its first event.
ALTER TABLE audit_heads ADD COLUMN key_id text;
