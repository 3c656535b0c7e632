-- Every change that can alter an API-token lookup or a resolve tells every instance at commit
-- (`NOTIFY credvault_cache`), so their caches drop what changed. Payloads: `c:<credential id>`,
-- `t:<token hash hex>`, or `all` for rarer changes (workflow owners, users, team membership).
-- Updates that only stamp uses (last_used_at) or take a refresh lease notify nothing.
CREATE FUNCTION credvault_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
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
    PERFORM pg_notify('credvault_cache', payload);
    RETURN NULL;
END $$;

CREATE TRIGGER credentials_cache AFTER INSERT OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER credentials_cache_update AFTER UPDATE ON credentials
    FOR EACH ROW WHEN (OLD.row_version IS DISTINCT FROM NEW.row_version
        OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.current_version IS DISTINCT FROM NEW.current_version
        OR OLD.config IS DISTINCT FROM NEW.config OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.token_expires_at IS DISTINCT FROM NEW.token_expires_at OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER credential_versions_cache AFTER UPDATE OR DELETE ON credential_versions
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER shares_cache AFTER INSERT OR UPDATE OR DELETE ON shares
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER api_tokens_cache AFTER DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER api_tokens_cache_update AFTER UPDATE ON api_tokens
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.scopes IS DISTINCT FROM NEW.scopes OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER workflows_cache AFTER INSERT OR DELETE ON workflows
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER workflows_cache_update AFTER UPDATE ON workflows
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
    EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER users_cache AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER users_cache_update AFTER UPDATE ON users
    FOR EACH ROW WHEN (OLD.disabled IS DISTINCT FROM NEW.disabled OR OLD.role IS DISTINCT FROM NEW.role
        OR OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION credvault_cache_notify();
CREATE TRIGGER team_members_cache AFTER INSERT OR DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
