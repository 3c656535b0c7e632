-- Credentials and their sealed versions. The secret fields of each version are one JSON document
-- sealed with AES-256-GCM under the version's own data key (DEK); the DEK is stored wrapped under
-- a key-encryption key named by kek_id. A NULL wrapped_dek is a shredded version: nothing can
-- decrypt it any more.

CREATE TABLE credentials (
    workspace_id         uuid NOT NULL REFERENCES workspaces (id),
    id                   uuid NOT NULL,
    name                 text NOT NULL,
    service              text NOT NULL,
    type                 text NOT NULL CHECK (type IN ('api_key', 'basic_auth', 'oauth2', 'custom')),
    owner_id             uuid NOT NULL,
    description          text,
    environment          text,
    tags                 text[] NOT NULL DEFAULT '{}',
    config               jsonb NOT NULL DEFAULT '{}',
    secret_fields        text[],
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'error')),
    status_detail        text,
    expires_at           timestamptz,
    rotation_period_days integer,
    rotated_at           timestamptz,
    test                 jsonb,
    current_version      integer NOT NULL,
    row_version          bigint NOT NULL DEFAULT 1,
    last_used_at         timestamptz,
    token_expires_at     timestamptz,
    refresh_lease        uuid,
    refresh_lease_until  timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    purge_after          timestamptz,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE credential_versions (
    workspace_id  uuid NOT NULL,
    credential_id uuid NOT NULL,
    version       integer NOT NULL,
    kek_id        text NOT NULL,
    wrapped_dek   bytea,
    nonce         bytea NOT NULL,
    ciphertext    bytea NOT NULL,
    config        jsonb NOT NULL DEFAULT '{}',
    reason        text NOT NULL CHECK (reason IN ('created', 'updated', 'rotated', 'refreshed', 'restored')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    PRIMARY KEY (workspace_id, credential_id, version),
    FOREIGN KEY (workspace_id, credential_id) REFERENCES credentials (workspace_id, id) ON DELETE CASCADE
);
-- `credvault keys status` counts DEKs per KEK; rotation walks the rows not under the active one.
CREATE INDEX credential_versions_kek ON credential_versions (kek_id) WHERE wrapped_dek IS NOT NULL;
