-- Retention (issue 18): a request closed longer than the retention period loses its citizen's
-- identity and own words. One row per request the sweep has reached: when its citizen was told
-- (the SMS `retention_notice`), and when it was erased. The statistics, the anonymised texts and
-- the history stay where they are.
CREATE TABLE request_erasures (
    request_id  TEXT PRIMARY KEY REFERENCES requests (id),
    noticed_at  TIMESTAMP NOT NULL,
    erase_on    TIMESTAMP NOT NULL,
    erased_at   TIMESTAMP
);
CREATE INDEX request_erasures_pending ON request_erasures (erase_on) WHERE erased_at IS NULL;
CREATE INDEX requests_closed_at ON requests (closed_at) WHERE closed_at IS NOT NULL;

-- The history stays append-only but for one rewrite: the retention sweep erasing the citizen's
-- words from an objection event (its details become exactly {"objection":null}, nothing else of
-- the row may change). Deleting is still refused.
DROP TRIGGER request_events_no_update;
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
WHEN NOT (OLD.action = 'objected' AND NEW.details = '{"objection":null}'
          AND NEW.id IS OLD.id AND NEW.request_id IS OLD.request_id AND NEW.seq IS OLD.seq
          AND NEW.at IS OLD.at AND NEW.actor_kind IS OLD.actor_kind AND NEW.actor_id IS OLD.actor_id
          AND NEW.action IS OLD.action AND NEW.from_status IS OLD.from_status
          AND NEW.to_status IS OLD.to_status AND NEW.public IS OLD.public)
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
