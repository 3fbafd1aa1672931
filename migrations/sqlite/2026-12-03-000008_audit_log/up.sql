-- The audit log (issue 18): every reveal of a citizen's identity — who (the account and the
-- role it had), when, which request, which fields, and the reason given. It holds no identity
-- itself. Append-only: triggers refuse every UPDATE and DELETE.
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

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
