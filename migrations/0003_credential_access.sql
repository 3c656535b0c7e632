-- What the credential list, sharing, usage and retries need.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Lowercased name, service, description and tags: what `q` searches, through a trigram index.
ALTER TABLE credentials ADD COLUMN search_text text NOT NULL DEFAULT '';
CREATE INDEX credentials_search ON credentials USING gin (search_text gin_trgm_ops);
CREATE INDEX credentials_by_name ON credentials (workspace_id, lower(name), id);
CREATE INDEX credentials_by_updated ON credentials (workspace_id, updated_at, id);
CREATE INDEX credentials_by_last_used ON credentials (workspace_id, last_used_at ASC NULLS LAST, id);
CREATE INDEX credentials_by_last_used_desc ON credentials (workspace_id, last_used_at DESC NULLS LAST, id DESC);
CREATE INDEX credentials_by_owner ON credentials (workspace_id, owner_id);
CREATE INDEX credentials_tags ON credentials USING gin (tags);
CREATE INDEX credentials_purge ON credentials (purge_after) WHERE deleted_at IS NOT NULL;

-- Shares of a credential to a user, a team or the whole workspace (principal_id NULL).
CREATE TABLE shares (
    workspace_id   uuid NOT NULL,
    id             uuid NOT NULL,
    credential_id  uuid NOT NULL,
    principal_type text NOT NULL CHECK (principal_type IN ('user', 'team', 'workspace')),
    principal_id   uuid,
    access         text NOT NULL CHECK (access IN ('use', 'view', 'manage')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, credential_id) REFERENCES credentials (workspace_id, id) ON DELETE CASCADE,
    CHECK ((principal_type = 'workspace') = (principal_id IS NULL))
);
CREATE UNIQUE INDEX shares_principal ON shares (workspace_id, credential_id, principal_type, coalesce(principal_id, '00000000-0000-0000-0000-000000000000'));

-- Uses per credential, workflow and day (filled by resolve).
CREATE TABLE usage_daily (
    workspace_id  uuid NOT NULL,
    credential_id uuid NOT NULL,
    workflow_id   text NOT NULL,
    day           date NOT NULL,
    count         bigint NOT NULL DEFAULT 0,
    last_used_at  timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, credential_id, workflow_id, day),
    FOREIGN KEY (workspace_id, credential_id) REFERENCES credentials (workspace_id, id) ON DELETE CASCADE
);

-- First answers of POSTs made with an Idempotency-Key, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    workspace_id  uuid NOT NULL,
    caller        uuid NOT NULL,
    endpoint      text NOT NULL,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status        integer,
    response      jsonb,
    headers       jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, caller, endpoint, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
