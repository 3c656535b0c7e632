-- Events out (#27): webhooks, their deliveries (taken from the audit log, which is the outbox),
-- the per-workspace dispatcher lease, the marks that make time-based events fire once, and the
-- notification that events of a workspace were chained.

-- A webhook's secret is sealed with the envelope (AAD: workspace, webhook id). `cursor` is the
-- last audit seq the dispatcher has turned into deliveries for it; `failing_since` is when its
-- current run of failed attempts began (null after a success).
CREATE TABLE webhooks (
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id            uuid        NOT NULL,
    url           text        NOT NULL,
    events        text[]      NOT NULL,
    description   text,
    disabled      boolean     NOT NULL DEFAULT false,
    kek_id        text        NOT NULL,
    wrapped_dek   bytea       NOT NULL,
    nonce         bytea       NOT NULL,
    ciphertext    bytea       NOT NULL,
    cursor        bigint      NOT NULL,
    failing_since timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);

-- One row per (webhook, audit event) to send. `body` is the exact JSON sent on every attempt;
-- `subject` (a credential, token or user id) orders deliveries: a later one for the same subject
-- waits while an earlier one is pending.
CREATE TABLE webhook_deliveries (
    workspace_id     uuid        NOT NULL,
    id               uuid        NOT NULL,
    webhook_id       uuid        NOT NULL,
    event_type       text        NOT NULL,
    audit_seq        bigint,
    subject          text        NOT NULL,
    body             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE,
    UNIQUE (workspace_id, webhook_id, audit_seq)
);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (workspace_id, webhook_id, id DESC);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (workspace_id, webhook_id, subject, audit_seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';

-- The one dispatcher of a workspace: the instance whose lease has not run out.
CREATE TABLE webhook_dispatchers (
    workspace_id uuid        PRIMARY KEY,
    holder       uuid        NOT NULL,
    lease_until  timestamptz NOT NULL
);

-- Time-based events fire once per date: the date last announced per credential and kind
-- (`expiring`: expires_at; `rotation_due`: rotation_due_at; `expired`: expires_at).
CREATE TABLE credential_event_marks (
    workspace_id  uuid        NOT NULL,
    credential_id uuid        NOT NULL,
    kind          text        NOT NULL,
    at            timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, credential_id, kind)
);

-- Events of a workspace are chained when its head moves: the notification (delivered at commit,
-- once per transaction and payload) wakes the audit stream's followers and the dispatcher.
CREATE FUNCTION audit_chained_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('credvault_audit', NEW.workspace_id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER audit_heads_chained AFTER UPDATE ON audit_heads
    FOR EACH ROW WHEN (NEW.seq IS DISTINCT FROM OLD.seq)
    EXECUTE FUNCTION audit_chained_notify();
