-- The keyed audit chain (issue #28): from here on the sequencer links events with
-- HMAC-SHA256(key, prev_hash ‖ canonical), the key derived per workspace from a master key of
-- the keyring (which never enters the database). `key_id` names the master key the head's chain
-- is keyed with; NULL for a chain still linked with plain SHA-256 (every chain before this
-- migration). The switch, at a chain's first keyed link or after a key rotation, is itself an
-- event: `audit.chain_keyed` (actor `system`, details `key_id`, `previous_key_id`), linked with
-- the new key. A new workspace's chain is keyed from its first event.
ALTER TABLE audit_heads ADD COLUMN key_id text;

-- Audit events are partitioned by month of `at` (declarative range partitioning). Unchained
-- events (`at` NULL until linked, unless an import gave it) wait in the default partition; the
-- sequencer's link moves each into its month. Months are created ahead by a background job
-- (audit_ensure_partitions), and retention drops whole months. A partitioned table's unique keys
-- must include the partition key: seq stays unique per workspace by the sequencer's design and
-- by this index on (workspace_id, seq, at).
ALTER TABLE audit_events RENAME TO audit_events_unpartitioned;
ALTER TABLE audit_events_unpartitioned DROP CONSTRAINT audit_events_linked;
CREATE SEQUENCE audit_events_insertion;
CREATE TABLE audit_events (
    workspace_id  uuid NOT NULL,
    seq           bigint,
    id            uuid NOT NULL,
    at            timestamptz,
    actor_type    text NOT NULL,
    actor_id      uuid,
    actor_display text,
    action        text NOT NULL,
    target_type   text,
    target_id     text,
    target_name   text,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    ip            text,
    user_agent    text,
    request_id    text,
    details       jsonb NOT NULL DEFAULT '{}',
    prev_hash     bytea,
    hash          bytea,
    ord           bigint NOT NULL DEFAULT nextval('audit_events_insertion'),
    CONSTRAINT audit_events_linked CHECK (
        (seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)
        AND (seq IS NULL OR at IS NOT NULL))
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_events_insertion OWNED BY audit_events.ord;
CREATE TABLE audit_events_pending PARTITION OF audit_events DEFAULT;

-- Creates the missing month partitions from the month of p_from up to p_to (one at a time across
-- instances). A month's partition is named audit_events_pYYYYMM.
CREATE FUNCTION audit_ensure_partitions(p_from timestamptz, p_to timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m       timestamptz := date_trunc('month', p_from AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name    text;
    created integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(7161960316592189549);
    WHILE m < p_to LOOP
        name := 'audit_events_p' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
                           name, m, m + interval '1 month');
            created := created + 1;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    RETURN created;
END $$;

SELECT audit_ensure_partitions(coalesce(min(at), now() - interval '1 month'), now() + interval '3 months')
FROM audit_events_unpartitioned;
INSERT INTO audit_events (workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type,
                          target_id, target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash, ord)
SELECT workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type,
       target_id, target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash, ord
FROM audit_events_unpartitioned;
SELECT setval('audit_events_insertion', coalesce(max(ord), 0) + 1, false) FROM audit_events_unpartitioned;
DROP TABLE audit_events_unpartitioned;

CREATE UNIQUE INDEX audit_events_seq ON audit_events (workspace_id, seq, at) WHERE seq IS NOT NULL;
CREATE INDEX audit_events_unchained_ord ON audit_events (ord) WHERE seq IS NULL;
CREATE INDEX audit_events_action ON audit_events (workspace_id, action, seq)
    WHERE action <> 'credential.used' AND seq IS NOT NULL;
CREATE INDEX audit_events_outcome ON audit_events (workspace_id, outcome, seq)
    WHERE outcome <> 'success' AND seq IS NOT NULL;
CREATE INDEX audit_events_credential_action ON audit_events (workspace_id, target_id, action, seq)
    WHERE target_type = 'credential' AND action <> 'credential.used' AND seq IS NOT NULL;
-- The actor and target indexes also hold unchained events: erasure pseudonymises a person's
-- events by actor and by target, linked or not.
CREATE INDEX audit_events_actor ON audit_events (workspace_id, actor_id, seq);
CREATE INDEX audit_events_at ON audit_events (workspace_id, at) WHERE seq IS NOT NULL;
CREATE INDEX audit_events_target ON audit_events (workspace_id, target_type, target_id, seq);

-- As in 0015, and a link's move out of the default partition (a delete there, done by the
-- sequencer, which says so with credvault.audit_linking) is not a deletion.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.seq IS NULL AND current_setting('credvault.audit_linking', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
    END IF;
    IF (NEW.workspace_id, NEW.ord, NEW.id, NEW.actor_type, NEW.actor_id, NEW.action,
        NEW.target_type, NEW.target_id, NEW.outcome, NEW.request_id, NEW.details)
       IS DISTINCT FROM
       (OLD.workspace_id, OLD.ord, OLD.id, OLD.actor_type, OLD.actor_id, OLD.action,
        OLD.target_type, OLD.target_id, OLD.outcome, OLD.request_id, OLD.details)
       OR (OLD.seq IS NOT NULL AND (NEW.seq, NEW.prev_hash, NEW.hash) IS DISTINCT FROM (OLD.seq, OLD.prev_hash, OLD.hash))
       OR (OLD.at IS NOT NULL AND NEW.at IS DISTINCT FROM OLD.at) THEN
        RAISE EXCEPTION 'audit events are append-only: only personal-data fields may be pseudonymised';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- audit_insert as in 0015, making the months of events that come with their own times.
CREATE OR REPLACE FUNCTION audit_insert(
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
    p_details       jsonb[]
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    n    integer := coalesce(cardinality(p_id), 0);
    ords bigint[];
BEGIN
    IF n = 0 THEN
        RETURN ARRAY[]::bigint[];
    END IF;
    IF (p_at IS NOT NULL AND cardinality(p_at) <> n)
       OR cardinality(p_actor_type) IS DISTINCT FROM n OR cardinality(p_actor_id) IS DISTINCT FROM n
       OR cardinality(p_actor_display) IS DISTINCT FROM n OR cardinality(p_action) IS DISTINCT FROM n
       OR cardinality(p_target_type) IS DISTINCT FROM n OR cardinality(p_target_id) IS DISTINCT FROM n
       OR cardinality(p_target_name) IS DISTINCT FROM n OR cardinality(p_outcome) IS DISTINCT FROM n
       OR cardinality(p_ip) IS DISTINCT FROM n OR cardinality(p_user_agent) IS DISTINCT FROM n
       OR cardinality(p_request_id) IS DISTINCT FROM n OR cardinality(p_details) IS DISTINCT FROM n THEN
        RAISE EXCEPTION 'audit_insert: every array must have one element per event';
    END IF;
    -- Events with their own times (imports) go into their months, made if missing.
    IF p_at IS NOT NULL THEN
        PERFORM audit_ensure_partitions(min(t), max(t) + interval '1 microsecond') FROM unnest(p_at) AS t;
    END IF;
    WITH ins AS (
        INSERT INTO audit_events (workspace_id, id, at, actor_type, actor_id, actor_display, action, target_type,
                                  target_id, target_name, outcome, ip, user_agent, request_id, details)
        SELECT p_ws, u.* FROM unnest(p_id, p_at, p_actor_type, p_actor_id, p_actor_display, p_action, p_target_type,
                                     p_target_id, p_target_name, p_outcome, p_ip, p_user_agent, p_request_id, p_details) AS u
        RETURNING ord
    )
    SELECT array_agg(ord) INTO ords FROM ins;
    PERFORM pg_notify('credvault_audit_pending', '');
    RETURN ords;
END $$;
