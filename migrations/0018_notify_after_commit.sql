-- No change's transaction sends a NOTIFY any more. PostgreSQL takes one lock per database for
-- every transaction that notifies and holds it through that transaction's commit and flush, so
-- notifying commits go one at a time: with a NOTIFY in each change, a workspace's changes could not
-- commit faster than one flush after another, whatever the sequencer did.
--
-- Instead:
-- * a change's cache invalidations are rows of `cache_changes`, written by the same triggers in
--   the same transaction (so they commit with the change or not at all); the audit sequencer, the
--   one writer that notifies, deletes them and sends them as `NOTIFY credvault_cache` in the
--   transaction that chains the change's events, which commits before the change's request
--   answers;
-- * the sequencer is woken in-process by the instance that holds it, or by a coalesced NOTIFY
--   `credvault_audit_pending` sent after the change commits, in a transaction of its own that does
--   not wait for a flush, from any other instance; it also looks every 200 ms anyway.
--
-- The table is unlogged: after a crash of PostgreSQL it is empty, and every instance's listening
-- connection has dropped, which turns its cache off and clears it until it listens again. Each
-- instance's listener also looks at the oldest row four times a second and caches nothing while
-- the same one has stayed too long (no sequencer relays them), so a change reaches every cache in
-- about a second even then.
CREATE UNLOGGED TABLE cache_changes (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload text   NOT NULL
);

CREATE OR REPLACE FUNCTION credvault_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    payload text;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'credentials' THEN
        payload := 'c:' || r.id;
    ELSIF TG_TABLE_NAME IN ('credential_versions', 'shares') THEN
        payload := 'c:' || r.credential_id;
    ELSIF TG_TABLE_NAME = 'api_tokens' THEN
        payload := 't:' || encode(r.token_hash, 'hex');
    ELSE
        payload := 'all';
    END IF;
    INSERT INTO cache_changes (payload) VALUES (payload);
    RETURN NULL;
END $$;

-- audit_insert as in 0016, without the NOTIFY.
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
    RETURN ords;
END $$;
