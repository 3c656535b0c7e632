-- "What happened to this credential, of this kind" (action + credential_id) straight from an index.
CREATE INDEX audit_events_credential_action ON audit_events (workspace_id, target_id, action, seq) WHERE target_type = 'credential';
