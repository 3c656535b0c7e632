-- A credential's own history, newest first, answered from an index.
CREATE INDEX audit_events_target ON audit_events (workspace_id, target_type, target_id, seq);
CREATE INDEX audit_events_outcome ON audit_events (workspace_id, outcome, seq);
