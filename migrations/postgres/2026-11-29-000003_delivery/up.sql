-- Delivery: a message a provider could not deliver is `undelivered`; a claim names its worker,
-- so that a worker whose lease expired cannot record over the one that took its messages over.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sent', 'delivered', 'undelivered', 'failed'));
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
CREATE INDEX notifications_provider_idx ON notifications (provider_message_id);
