CREATE TABLE notifications_old (
    id                   TEXT PRIMARY KEY NOT NULL,
    request_id           TEXT REFERENCES requests (id),
    template             TEXT NOT NULL,
    recipient            TEXT NOT NULL,
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
INSERT INTO notifications_old
    SELECT id, request_id, template, recipient, params,
           CASE status WHEN 'undelivered' THEN 'failed' ELSE status END, attempts, next_attempt_at,
           locked_until, provider_message_id, last_error, created_at, updated_at, sent_at, delivered_at
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_due_idx ON notifications (status, next_attempt_at);
CREATE INDEX notifications_request_idx ON notifications (request_id, created_at);
