-- Delivery: a message a provider could not deliver is `undelivered`; a claim names its worker,
-- so that a worker whose lease expired cannot record over the one that took its messages over.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE notifications_new (
    id                   TEXT PRIMARY KEY NOT NULL,
    request_id           TEXT REFERENCES requests (id),
    template             TEXT NOT NULL,
    recipient            TEXT NOT NULL,
    params               TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'delivered', 'undelivered', 'failed')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      TIMESTAMP NOT NULL,
    locked_until         TIMESTAMP,
    provider_message_id  TEXT,
    last_error           TEXT,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    sent_at              TIMESTAMP,
    delivered_at         TIMESTAMP,
    claimed_by           TEXT
);
INSERT INTO notifications_new
    SELECT id, request_id, template, recipient, params, status, attempts, next_attempt_at,
           locked_until, provider_message_id, last_error, created_at, updated_at, sent_at,
           delivered_at, NULL
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due_idx ON notifications (status, next_attempt_at);
CREATE INDEX notifications_request_idx ON notifications (request_id, created_at);
CREATE INDEX notifications_provider_idx ON notifications (provider_message_id);
