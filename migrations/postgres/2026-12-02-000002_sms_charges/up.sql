-- The per-number SMS cap counts a message from the moment it is claimed to be sent, not from
-- when the provider answers: two dispatchers with sends in flight then see each other's. One
-- row per message that took a slot: when it last did (a retry within the window keeps it), and
-- its number, so that the claim counts a number's slots from one index. (A table of its own, not
-- a 17th column of `notifications`: diesel's tables stop at 16 columns without a feature that
-- slows every build.)
CREATE TABLE sms_charges (
    notification_id  TEXT PRIMARY KEY NOT NULL REFERENCES notifications (id),
    recipient        TEXT NOT NULL,
    charged_at       TIMESTAMP NOT NULL
);
CREATE INDEX sms_charges_recipient_idx ON sms_charges (recipient, charged_at);
-- What was sent in the last hour before this migration keeps counting for that hour (older sends
-- are out of any window already).
INSERT INTO sms_charges (notification_id, recipient, charged_at)
    SELECT id, recipient, sent_at FROM notifications
    WHERE sent_at > (now() AT TIME ZONE 'UTC') - INTERVAL '1 hour';
