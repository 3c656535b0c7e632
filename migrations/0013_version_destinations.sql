-- Where a secret may go (API.md): each version records the origins its secrets were set for,
-- `scheme://host:port` of the test URL and, for oauth2, of the token and authorization URLs, and
-- which secret fields a custom credential's test URL names. A change that moves one of them
-- must send the secrets again; a restore must find them where its secrets were set.
--
-- Versions written before this migration are bound to what is configured now: the credential's
-- test and the version's own OAuth URLs (a version carries its config).
CREATE FUNCTION pg_temp.credvault_origin(u text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lower(m[1]) || '://' || lower(m[2]) || ':'
           || coalesce(ltrim(m[3], '0'), CASE lower(m[1]) WHEN 'https' THEN '443' ELSE '80' END)
    FROM regexp_match(u, '^(https?)://(\[[^]]*\]|[^/?#:]+)(?::([0-9]+))?', 'i') AS m
$$;

ALTER TABLE credential_versions ADD COLUMN destinations jsonb;

UPDATE credential_versions v SET destinations = jsonb_build_object(
    'test', pg_temp.credvault_origin(c.test ->> 'url'),
    'token_url', CASE WHEN c.type = 'oauth2' THEN pg_temp.credvault_origin(v.config ->> 'token_url') END,
    'authorization_url', CASE WHEN c.type = 'oauth2' THEN pg_temp.credvault_origin(v.config ->> 'authorization_url') END,
    'test_secrets', CASE WHEN c.type = 'custom' THEN coalesce((
        SELECT jsonb_agg(DISTINCT p[1] ORDER BY p[1])
        FROM regexp_matches(coalesce(c.test ->> 'url', ''), '\{\{([A-Za-z0-9_.-]+)\}\}', 'g') AS p
        WHERE p[1] = ANY (coalesce(c.secret_fields, ARRAY[]::text[]))), '[]'::jsonb)
        ELSE '[]'::jsonb END)
FROM credentials c
WHERE c.workspace_id = v.workspace_id AND c.id = v.credential_id;

ALTER TABLE credential_versions ALTER COLUMN destinations SET DEFAULT '{}', ALTER COLUMN destinations SET NOT NULL;
