-- Deadlines (issue 17): one row per piece of work someone owes by a time, on the working-day
-- clock. The desk's and the head's (classify, schedule, outcome) belong to a request; a
-- unit's (acknowledge, answer) to
-- a referral and its unit. `stage` moves forward once per stage (reminded, overdue, escalated)
-- by a guarded update in the transaction that writes the staff notifications, so each is
-- announced once whatever instance or restart does it. A pause (the referral waits for the
-- citizen) stops the clock; `met_at` ends the deadline.
CREATE TABLE deadlines (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    referral_id  TEXT REFERENCES referrals (id),
    unit_id      TEXT REFERENCES units (id),
    kind         TEXT NOT NULL CHECK (kind IN ('classify', 'acknowledge', 'answer', 'schedule', 'outcome')),
    started_at   TIMESTAMP NOT NULL,
    due_at       TIMESTAMP NOT NULL,
    stage        TEXT NOT NULL CHECK (stage IN ('running', 'reminded', 'overdue', 'escalated')),
    paused_since TIMESTAMP,
    met_at       TIMESTAMP,
    -- When the clock was last set: extensions and pauses move `due_at`.
    extensions   INTEGER NOT NULL DEFAULT 0,
    updated_at   TIMESTAMP NOT NULL,
    CHECK ((referral_id IS NULL) = (kind IN ('classify', 'schedule', 'outcome'))),
    CHECK ((referral_id IS NULL) = (unit_id IS NULL))
);
-- One open deadline per piece of work.
CREATE UNIQUE INDEX deadlines_open_idx
    ON deadlines (request_id, COALESCE(referral_id, ''), kind) WHERE met_at IS NULL;
-- What the watch reads every minute: the open deadlines, by due time.
CREATE INDEX deadlines_watch_idx ON deadlines (due_at) WHERE met_at IS NULL;
CREATE INDEX deadlines_referral_idx ON deadlines (referral_id);

-- The staff inbox: what the deadlines (and later the meetings and objections) tell a member of
-- staff. A unit's staff get referral references only, never a request id: the row for them
-- has no request.
CREATE TABLE staff_notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    topic       TEXT NOT NULL,
    request_id  TEXT REFERENCES requests (id),
    referral_id TEXT REFERENCES referrals (id),
    deadline_id TEXT REFERENCES deadlines (id),
    -- The deadline's extensions when it was written: an extended deadline runs its stages
    -- again, each once per extension.
    round       INTEGER NOT NULL DEFAULT 0,
    -- The Persian line the inbox shows, written when the notification is.
    message     TEXT NOT NULL,
    -- JSON object: what a client needs to link it (references, due time, stage).
    details     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);
CREATE INDEX staff_notifications_inbox_idx ON staff_notifications (user_id, created_at);
-- A deadline's stage is announced to a member of staff once (per extension).
CREATE UNIQUE INDEX staff_notifications_once_idx
    ON staff_notifications (user_id, deadline_id, round, topic) WHERE deadline_id IS NOT NULL;
