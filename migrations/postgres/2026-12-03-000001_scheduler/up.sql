-- The scheduler's periodic jobs (issue 17): one row per job, shared by every instance. An
-- instance runs a job only after taking its lease with a guarded update (due, and no live lease),
-- so each period's run happens once across instances; a lease left by a crashed instance
-- expires and the next instance takes the job over. What a job does is idempotent on its own
-- (guarded updates), so a run repeated after a crash repeats nothing.
CREATE TABLE scheduled_jobs (
    name             TEXT PRIMARY KEY,
    due_at           TIMESTAMP NOT NULL,
    leased_by        TEXT,
    lease_until      TIMESTAMP,
    last_started_at  TIMESTAMP,
    last_finished_at TIMESTAMP,
    -- What the last run did (a count) or why it failed.
    last_outcome     TEXT,
    runs             BIGINT NOT NULL DEFAULT 0,
    CHECK ((leased_by IS NULL) = (lease_until IS NULL))
);
