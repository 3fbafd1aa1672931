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
CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.action = 'objected' AND NEW.details = '{"objection":null}'
       AND (NEW.id, NEW.request_id, NEW.seq, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.action,
            NEW.from_status, NEW.to_status, NEW.public)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.request_id, OLD.seq, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.action,
            OLD.from_status, OLD.to_status, OLD.public) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'request_events is append-only';
END
$$;
