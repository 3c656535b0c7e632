-- Each cache invalidation names the transaction that wrote it, so a request can announce its own
-- right after its commit (`credvault_store::cache_changes::announce`) instead of waiting for the
-- audit sequencer's next batch to do it.
ALTER TABLE cache_changes ADD COLUMN xid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX cache_changes_by_xid ON cache_changes (xid);
