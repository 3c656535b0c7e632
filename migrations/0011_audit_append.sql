-- Appends to the audit chain happen inside PostgreSQL, under the head's lock, in one statement.
--
-- The caller sends each event's canonical encoding with its two chain-assigned fields left open
-- (credvault_domain::audit::canonical_parts): `head`, `middle` and `tail`, where
--   canonical = head ‖ '"' at '"' ‖ middle ‖ seq ‖ tail   and   hash = SHA-256(prev_hash ‖ canonical).
-- The function locks the workspace's head (creating it at seq 0 with the zero hash), numbers and
-- links the events, inserts them and moves the head. No round trip to the client happens while
-- the head is locked, so concurrent appends to one workspace queue for as short a time as the
-- insert and the commit take. `at` is read from the clock once the lock is held (so it never goes
-- back along the chain), unless the caller gives every event's time (bulk imports and seeding).
CREATE FUNCTION audit_append(
    p_ws            uuid,
    p_at            timestamptz[],
    p_id            uuid[],
    p_actor_type    text[],
    p_actor_id      uuid[],
    p_actor_display text[],
    p_action        text[],
    p_target_type   text[],
    p_target_id     text[],
    p_target_name   text[],
    p_outcome       text[],
    p_ip            text[],
    p_user_agent    text[],
    p_request_id    text[],
    p_details       jsonb[],
    p_head          bytea[],
    p_middle        bytea[],
    p_tail          bytea[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n      integer := coalesce(cardinality(p_id), 0);
    v_seq  bigint;
    v_hash bytea;
    v_now  timestamptz;
    ats    timestamptz[];
    seqs   bigint[];
    prevs  bytea[];
    hashes bytea[];
BEGIN
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    IF cardinality(p_head) <> n OR cardinality(p_middle) <> n OR cardinality(p_tail) <> n
       OR (p_at IS NOT NULL AND cardinality(p_at) <> n) THEN
        RAISE EXCEPTION 'audit_append: every array must have one element per event';
    END IF;
    INSERT INTO audit_heads AS h (workspace_id, seq, hash)
    VALUES (p_ws, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    ON CONFLICT (workspace_id) DO UPDATE SET seq = h.seq
    RETURNING h.seq, h.hash INTO v_seq, v_hash;
    v_now := clock_timestamp();
    FOR i IN 1 .. n LOOP
        ats[i] := coalesce(p_at[i], v_now);
        prevs[i] := v_hash;
        v_seq := v_seq + 1;
        v_hash := sha256(v_hash || p_head[i]
                         || convert_to('"' || to_char(ats[i] AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"', 'UTF8')
                         || p_middle[i] || convert_to(v_seq::text, 'UTF8') || p_tail[i]);
        seqs[i] := v_seq;
        hashes[i] := v_hash;
    END LOOP;
    INSERT INTO audit_events (workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type,
                              target_id, target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash)
    SELECT p_ws, u.* FROM unnest(seqs, p_id, ats, p_actor_type, p_actor_id, p_actor_display, p_action, p_target_type,
                                 p_target_id, p_target_name, p_outcome, p_ip, p_user_agent, p_request_id, p_details,
                                 prevs, hashes) AS u;
    UPDATE audit_heads SET seq = v_seq, hash = v_hash WHERE workspace_id = p_ws;
    RETURN v_seq;
END $$;

-- Every event is appended through audit_append, which creates or locks the workspace's head
-- first, and audit_heads references workspaces: the per-row foreign-key check was a second
-- lookup of the same workspace for every event.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_workspace_id_fkey;

-- `credential.used` is by far the most frequent event (one per resolve). It stays in the primary
-- key and the actor, time and target indexes; the action, outcome and credential+action indexes
-- leave it out, and the audit query adds the matching predicate. A page of `credential.used`
-- (always outcome `success`) is then read in seq order from the primary key or the target index,
-- where such events are the dense majority.
DROP INDEX audit_events_action;
CREATE INDEX audit_events_action ON audit_events (workspace_id, action, seq)
    WHERE action <> 'credential.used';
DROP INDEX audit_events_outcome;
CREATE INDEX audit_events_outcome ON audit_events (workspace_id, outcome, seq)
    WHERE outcome <> 'success';
DROP INDEX audit_events_credential_action;
CREATE INDEX audit_events_credential_action ON audit_events (workspace_id, target_id, action, seq)
    WHERE target_type = 'credential' AND action <> 'credential.used';
