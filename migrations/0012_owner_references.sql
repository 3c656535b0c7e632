-- A credential's or a workflow's owner is a user of its workspace. The check takes a key-share
-- lock on the owner's row, and an erasure locks that row first: a credential or workflow created
-- for (or given to) a user while they are being erased waits for the erasure, and is then either
-- in what it hands over or refused, never left to a user who no longer exists.
-- NOT VALID: rows an erasure left behind before this migration are kept as they are (and can
-- still be updated); every owner set from now on is checked.
CREATE INDEX workflows_by_owner ON workflows (workspace_id, owner_id);
ALTER TABLE credentials ADD CONSTRAINT credentials_owner_fkey
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id) NOT VALID;
ALTER TABLE workflows ADD CONSTRAINT workflows_owner_fkey
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id) NOT VALID;
