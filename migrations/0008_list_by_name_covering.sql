-- `q` searches answered from indexes at any table size. The first 400 characters of the search
-- text live in the name-order index itself, so a common word is found by an index-only walk in
-- list order (its cost depends on the page, not the table), and a rare one through a trigram
-- index. The few credentials whose text is longer are searched in full through a partial index.
ALTER TABLE credentials
    ADD COLUMN search_short text GENERATED ALWAYS AS (left(search_text, 400)) STORED,
    ADD COLUMN search_long boolean GENERATED ALWAYS AS (length(search_text) > 400) STORED;
DROP INDEX credentials_search;
CREATE INDEX credentials_search ON credentials USING gin (search_short gin_trgm_ops);
CREATE INDEX credentials_search_long ON credentials USING gin (search_text gin_trgm_ops) WHERE search_long;
DROP INDEX credentials_by_name;
CREATE INDEX credentials_by_name ON credentials (workspace_id, lower(name), id)
    INCLUDE (name, search_short, deleted_at);
