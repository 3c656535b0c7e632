-- Workspaces, people, sign-in and the audit log.
-- Every primary and unique key starts with workspace_id, so the schema can be distributed by
-- workspace; the exceptions are the lookups that arrive without a workspace (an email at sign-in,
-- the hash of an opaque token), which are reference indexes in a distributed setup.

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    id            uuid NOT NULL,
    email         text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'auditor')),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE teams (
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    id           uuid NOT NULL,
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX teams_name_key ON teams (workspace_id, lower(name));

CREATE TABLE team_members (
    workspace_id uuid NOT NULL,
    team_id      uuid NOT NULL,
    user_id      uuid NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, team_id, user_id),
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX team_members_user ON team_members (workspace_id, user_id);

CREATE TABLE sessions (
    workspace_id uuid NOT NULL,
    id           uuid NOT NULL,
    user_id      uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    ip           text,
    user_agent   text,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (workspace_id, user_id) WHERE revoked_at IS NULL;

-- Every refresh token a session was ever given: the current one has used_at NULL; presenting one
-- with used_at set is reuse, which revokes the session.
CREATE TABLE refresh_tokens (
    token_hash   bytea PRIMARY KEY,
    workspace_id uuid NOT NULL,
    session_id   uuid NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    used_at      timestamptz,
    FOREIGN KEY (workspace_id, session_id) REFERENCES sessions (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (workspace_id, session_id);

CREATE TABLE api_tokens (
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    id           uuid NOT NULL,
    token_hash   bytea NOT NULL,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('personal', 'engine')),
    user_id      uuid,
    created_by   uuid NOT NULL,
    scopes       text[] NOT NULL,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (workspace_id, id),
    CHECK ((kind = 'personal') = (user_id IS NOT NULL))
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);

-- Failed sign-ins, per account and per client IP, shared by every instance.
CREATE TABLE login_failures (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email   text NOT NULL,
    ip      text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (lower(email), at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- The audit log: append-only, seq per workspace, hash-chained. actor_display, target_name, ip and
-- user_agent are personal data left out of the hash so that erasure can pseudonymise them.
CREATE TABLE audit_events (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    seq           bigint NOT NULL,
    id            uuid NOT NULL,
    at            timestamptz NOT NULL,
    actor_type    text NOT NULL,
    actor_id      uuid,
    actor_display text,
    action        text NOT NULL,
    target_type   text,
    target_id     text,
    target_name   text,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    ip            text,
    user_agent    text,
    request_id    text,
    details       jsonb NOT NULL DEFAULT '{}',
    prev_hash     bytea NOT NULL,
    hash          bytea NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX audit_events_action ON audit_events (workspace_id, action, seq);
CREATE INDEX audit_events_actor ON audit_events (workspace_id, actor_id, seq);
CREATE INDEX audit_events_at ON audit_events (workspace_id, at);

-- The head of each workspace's chain; locking this row serialises appends per workspace.
CREATE TABLE audit_heads (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id),
    seq          bigint NOT NULL,
    hash         bytea NOT NULL
);

-- Audit events may be added, and only their personal-data fields pseudonymised.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only';
    END IF;
    IF (NEW.workspace_id, NEW.seq, NEW.id, NEW.at, NEW.actor_type, NEW.actor_id, NEW.action,
        NEW.target_type, NEW.target_id, NEW.outcome, NEW.request_id, NEW.details, NEW.prev_hash, NEW.hash)
       IS DISTINCT FROM
       (OLD.workspace_id, OLD.seq, OLD.id, OLD.at, OLD.actor_type, OLD.actor_id, OLD.action,
        OLD.target_type, OLD.target_id, OLD.outcome, OLD.request_id, OLD.details, OLD.prev_hash, OLD.hash) THEN
        RAISE EXCEPTION 'audit events are append-only: only personal-data fields may be pseudonymised';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
