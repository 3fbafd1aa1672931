DROP INDEX requests_closed_at;
DROP TABLE request_erasures;
CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only';
END
$$;
