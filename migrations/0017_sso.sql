-- Single sign-on (OIDC) per workspace: its provider (discovered endpoints kept with it), the
-- client secret sealed like a credential secret, the single-use states of the code flow and the
-- single-use login codes a callback hands to the browser.
CREATE TABLE sso_configs (
    workspace_id          uuid PRIMARY KEY REFERENCES workspaces (id),
    issuer                text NOT NULL,
    client_id             text NOT NULL,
    allowed_email_domains text[] NOT NULL DEFAULT '{}',
    default_role          text NOT NULL CHECK (default_role IN ('admin', 'member', 'auditor')),
    role_claim            text,
    role_map              jsonb NOT NULL DEFAULT '{}',
    enforce               boolean NOT NULL DEFAULT false,
    authorization_endpoint text NOT NULL,
    token_endpoint        text NOT NULL,
    jwks_uri              text NOT NULL,
    -- client_secret_basic or client_secret_post, from the discovery document.
    token_auth            text NOT NULL,
    kek_id                text NOT NULL,
    wrapped_dek           bytea NOT NULL,
    nonce                 bytea NOT NULL,
    ciphertext            bytea NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- A state is stored only as its SHA-256; the PKCE verifier and the nonce are derived from the
-- state with a server key, so nothing here lets anyone finish a flow.
CREATE TABLE sso_states (
    state_hash   bytea PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    return_to    text,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX sso_states_expiry ON sso_states (expires_at);

CREATE TABLE sso_login_codes (
    code_hash    bytea PRIMARY KEY,
    workspace_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_login_codes_expiry ON sso_login_codes (expires_at);
