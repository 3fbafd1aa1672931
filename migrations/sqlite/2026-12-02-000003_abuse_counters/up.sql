-- The abuse limits' counters. On SQLite (one instance by design) the limits count in the
-- server's memory (`app::limits`, measured in RELIABILITY.md): the table exists so that one
-- schema serves both backends, and stays empty.
CREATE TABLE abuse_counters (
    scope       TEXT      NOT NULL,
    key         TEXT      NOT NULL,
    hits        INTEGER   NOT NULL CHECK (hits >= 0),
    window_ends TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX abuse_counters_window_ends ON abuse_counters (window_ends);
