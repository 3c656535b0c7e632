-- The audit chain is linked by a sequencer, not by the changing transactions (issue #28).
--
-- A change's transaction inserts its events unchained: `seq`, `prev_hash` and `hash` NULL, and
-- `at` NULL unless the caller gives the time (imports). No chain head is locked, so changes in
-- one workspace commit in parallel. One sequencer per database at a time (the holder of an
-- advisory lock) reads committed unchained events in insertion order (`ord`), numbers and links
-- them per workspace and moves the heads, one batch per transaction; the inserting statement
-- wakes it with NOTIFY credvault_audit_pending (delivered at commit). After a batch it sends
-- NOTIFY credvault_audit with each workspace id whose chain grew.
--
-- Only chained events are read by lists, exports and verify. Every index that serves them is
-- partial on `seq IS NOT NULL`, so the insert touches only the unchained index and the heap; the
-- sequencer's update adds the row to the others.
ALTER TABLE audit_events ADD COLUMN ord bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events
    ALTER COLUMN seq DROP NOT NULL,
    ALTER COLUMN at DROP NOT NULL,
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD CONSTRAINT audit_events_linked CHECK (
        (seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)
        AND (seq IS NULL OR at IS NOT NULL));
CREATE UNIQUE INDEX audit_events_seq ON audit_events (workspace_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX audit_events_unchained ON audit_events (ord) WHERE seq IS NULL;

DROP INDEX audit_events_action;
CREATE INDEX audit_events_action ON audit_events (workspace_id, action, seq)
    WHERE action <> 'credential.used' AND seq IS NOT NULL;
DROP INDEX audit_events_outcome;
CREATE INDEX audit_events_outcome ON audit_events (workspace_id, outcome, seq)
    WHERE outcome <> 'success' AND seq IS NOT NULL;
DROP INDEX audit_events_credential_action;
CREATE INDEX audit_events_credential_action ON audit_events (workspace_id, target_id, action, seq)
    WHERE target_type = 'credential' AND action <> 'credential.used' AND seq IS NOT NULL;
DROP INDEX audit_events_actor;
CREATE INDEX audit_events_actor ON audit_events (workspace_id, actor_id, seq) WHERE seq IS NOT NULL;
DROP INDEX audit_events_at;
CREATE INDEX audit_events_at ON audit_events (workspace_id, at) WHERE seq IS NOT NULL;
DROP INDEX audit_events_target;
CREATE INDEX audit_events_target ON audit_events (workspace_id, target_type, target_id, seq)
    WHERE seq IS NOT NULL;

-- The time of the head's event: a live event's `at` is the sequencer's clock, never before it.
ALTER TABLE audit_heads ADD COLUMN at timestamptz;

-- Events may be added, linked once (seq, prev_hash, hash, and `at` when it was left to the
-- chain), and only their personal-data fields pseudonymised.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
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

-- Inserts a workspace's events unchained, in one statement, and wakes the sequencer at commit.
-- Returns the events' insertion numbers (`ord`), which the writer waits on until they are chained.
DROP FUNCTION audit_append(uuid, timestamptz[], uuid[], text[], uuid[], text[], text[], text[], text[],
                           text[], text[], text[], text[], text[], jsonb[], bytea[], bytea[], bytea[]);
CREATE FUNCTION audit_insert(
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
