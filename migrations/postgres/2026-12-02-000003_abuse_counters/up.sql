-- The abuse limits' counters (`db::counters`): one fixed window per limit and key, shared by
-- every instance on this database, so that a limit holds across replicas and restarts. The key
-- is a keyed hash of the address, mobile number or username, never the value itself.
-- UNLOGGED: a counter is cheap to lose and hot to write; it skips the WAL (and the commit's
-- flush), and PostgreSQL empties it only after a crash of the database server itself.
CREATE UNLOGGED TABLE abuse_counters (
    scope       TEXT      NOT NULL,
    key         TEXT      NOT NULL,
    hits        INTEGER   NOT NULL CHECK (hits >= 0),
    window_ends TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX abuse_counters_window_ends ON abuse_counters (window_ends);
