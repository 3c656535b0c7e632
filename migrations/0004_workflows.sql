-- Workflows registered by workflow engines, with the credentials they declare.

CREATE TABLE workflows (
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    id           text NOT NULL,
    name         text NOT NULL,
    owner_id     uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE workflow_credentials (
    workspace_id  uuid NOT NULL,
    workflow_id   text NOT NULL,
    credential_id uuid NOT NULL,
    PRIMARY KEY (workspace_id, workflow_id, credential_id),
    FOREIGN KEY (workspace_id, workflow_id) REFERENCES workflows (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, credential_id) REFERENCES credentials (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_credentials_credential ON workflow_credentials (workspace_id, credential_id);
CREATE INDEX usage_daily_day ON usage_daily (workspace_id, credential_id, day);
