-- OAuth2: when the current access token was obtained (for refresh-ahead), the backoff of
-- transient refresh failures, and the single-use states of the authorization-code flow.
ALTER TABLE credentials ADD COLUMN token_obtained_at timestamptz;
ALTER TABLE credentials ADD COLUMN refresh_failures integer NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN refresh_retry_at timestamptz;
UPDATE credentials SET token_expires_at = (config ->> 'token_expires_at')::timestamptz
 WHERE type = 'oauth2' AND config ? 'token_expires_at';

-- The background refresher's work list: live oauth2 credentials by token expiry.
CREATE INDEX credentials_token_expiry ON credentials (token_expires_at)
 WHERE type = 'oauth2' AND deleted_at IS NULL;

-- A state is stored only as its SHA-256; the PKCE verifier is derived from the state with a
-- server key, so nothing here lets anyone finish a flow.
CREATE TABLE oauth_states (
    state_hash    bytea PRIMARY KEY,
    workspace_id  uuid NOT NULL,
    credential_id uuid NOT NULL,
    user_id       uuid NOT NULL,
    return_to     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    FOREIGN KEY (workspace_id, credential_id) REFERENCES credentials (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
