DROP INDEX notifications_provider_idx;
ALTER TABLE notifications DROP COLUMN claimed_by;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sent', 'delivered', 'failed'));
