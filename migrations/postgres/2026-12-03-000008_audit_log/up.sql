-- The audit log (issue 18): every reveal of a citizen's identity — who (the account and the
-- role it had), when, which request, which fields, and the reason given. It holds no identity
-- itself. Append-only: a trigger refuses every UPDATE and DELETE, so not even the application's
-- own account can rewrite who read what.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('identity_revealed')),
    request_id  TEXT REFERENCES requests (id),
    fields      TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_request ON audit_events (request_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
