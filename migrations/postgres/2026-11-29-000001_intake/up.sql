-- Intake: requests (with the citizen's identity in a table of its own), their append-only
-- history, the notification outbox, the walk-in and call log, and idempotency keys.

-- A request's text and classification. The citizen's identity is NOT here: views for unit
-- staff are built from this table and cannot reach it.
CREATE TABLE requests (
    id               TEXT PRIMARY KEY NOT NULL,
    tracking_code    TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('in_person', 'phone', 'online')),
    body             TEXT NOT NULL,
    -- body normalised for search (Persian letters, ASCII digits, lower case, no diacritics)
    search_text      TEXT NOT NULL,
    proposed_kind    TEXT CHECK (proposed_kind IN ('meeting', 'suggestion', 'criticism', 'complaint', 'report')),
    kind             TEXT CHECK (kind IN ('meeting', 'suggestion', 'criticism', 'complaint', 'report')),
    subject          TEXT CHECK (subject IN ('person', 'unit', 'affiliated_entity')),
    subject_unit_id  TEXT REFERENCES units (id),
    status           TEXT NOT NULL
        CHECK (status IN ('registered', 'in_review', 'referred', 'meeting_scheduled', 'follow_up', 'closed')),
    resolution       TEXT
        CHECK (resolution IN ('thanked', 'declined', 'no_show', 'meeting_no_action', 'resolved', 'withdrawn')),
    -- optimistic concurrency: every change bumps it and is guarded by it
    version          INTEGER NOT NULL DEFAULT 1,
    registered_by    TEXT REFERENCES users (id),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    closed_at        TIMESTAMP,
    CHECK ((status = 'closed') = (resolution IS NOT NULL)),
    CHECK ((channel = 'online') = (registered_by IS NULL))
);
CREATE UNIQUE INDEX requests_tracking_code_key ON requests (tracking_code);
CREATE INDEX requests_created_idx ON requests (created_at, id);
CREATE INDEX requests_status_idx ON requests (status, created_at);

-- Who filed a request. Read only by staff roles that may see identity, and to check a
-- citizen's withdrawal.
CREATE TABLE request_identities (
    request_id   TEXT PRIMARY KEY NOT NULL REFERENCES requests (id),
    name         TEXT NOT NULL,
    mobile       TEXT NOT NULL,
    national_id  TEXT,
    email        TEXT
);
CREATE INDEX request_identities_mobile_idx ON request_identities (mobile);

-- The history of a request: appended, never updated or deleted (triggers below refuse it).
CREATE TABLE request_events (
    id           TEXT PRIMARY KEY NOT NULL,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    -- 1, 2, 3… per request: the order of events, and a second writer's append collides here
    seq          INTEGER NOT NULL,
    at           TIMESTAMP NOT NULL,
    actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('citizen', 'staff', 'system')),
    actor_id     TEXT REFERENCES users (id),
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    -- shown on the public lookup (without actor), or staff-only
    public       BOOLEAN NOT NULL,
    -- JSON object
    details      TEXT NOT NULL,
    CHECK ((actor_kind = 'staff') = (actor_id IS NOT NULL))
);
CREATE UNIQUE INDEX request_events_request_seq_key ON request_events (request_id, seq);

-- The outbox: one message to one recipient, written in the transaction of the change that
-- caused it, delivered later by the dispatcher.
CREATE TABLE notifications (
    id                   TEXT PRIMARY KEY NOT NULL,
    request_id           TEXT REFERENCES requests (id),
    template             TEXT NOT NULL,
    recipient            TEXT NOT NULL,
    -- JSON object: the template's parameters
    params               TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'delivered', 'failed')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      TIMESTAMP NOT NULL,
    locked_until         TIMESTAMP,
    provider_message_id  TEXT,
    last_error           TEXT,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    sent_at              TIMESTAMP,
    delivered_at         TIMESTAMP
);
CREATE INDEX notifications_due_idx ON notifications (status, next_attempt_at);
CREATE INDEX notifications_request_idx ON notifications (request_id, created_at);

-- Every walk-in and call, whatever came of it: the desk's workload.
CREATE TABLE contacts (
    id              TEXT PRIMARY KEY NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('in_person', 'phone')),
    summary         TEXT NOT NULL,
    citizen_name    TEXT,
    citizen_mobile  TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('guided', 'transferred', 'registered')),
    unit_id         TEXT REFERENCES units (id),
    request_id      TEXT REFERENCES requests (id),
    staff_id        TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    CHECK ((outcome = 'transferred') = (unit_id IS NOT NULL)),
    CHECK (outcome <> 'transferred' OR channel = 'phone'),
    CHECK ((outcome = 'registered') = (request_id IS NOT NULL))
);
CREATE INDEX contacts_created_idx ON contacts (created_at, id);
CREATE INDEX contacts_staff_idx ON contacts (staff_id, created_at);

-- Idempotency-Key of a submission: the first answer, replayed to retries of the same body.
CREATE TABLE idempotency_keys (
    scope            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    -- SHA-256 of the normalised body: the same key with another body is refused
    fingerprint      TEXT NOT NULL,
    response_status  INTEGER NOT NULL,
    response_body    TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only';
END
$$;
CREATE TRIGGER request_events_append_only BEFORE UPDATE OR DELETE ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_append_only();
