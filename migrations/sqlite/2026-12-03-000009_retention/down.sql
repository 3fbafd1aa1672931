DROP INDEX requests_closed_at;
DROP TABLE request_erasures;
DROP TRIGGER request_events_no_update;
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
