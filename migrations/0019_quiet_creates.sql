-- A new credential is in no instance's cache (nothing caches an id that does not exist yet), so
-- inserting one records no invalidation: only a deletion does (updates have their own trigger).
DROP TRIGGER credentials_cache ON credentials;
CREATE TRIGGER credentials_cache AFTER DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION credvault_cache_notify();
