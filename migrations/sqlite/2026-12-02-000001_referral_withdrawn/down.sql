-- Withdrawn referrals go back to what they were closest to before: open work.
UPDATE referrals SET status = 'open' WHERE status = 'withdrawn';
CREATE TABLE referrals_new (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id),
    reference       TEXT NOT NULL,
    unit_id         TEXT NOT NULL REFERENCES units (id),
    reason          TEXT NOT NULL
        CHECK (reason IN ('action_required', 'meeting_redirect', 'meeting_follow_up')),
    kind            TEXT CHECK (kind IN ('meeting', 'suggestion', 'criticism', 'complaint', 'report')),
    subject         TEXT CHECK (subject IN ('person', 'unit', 'affiliated_entity')),
    body            TEXT NOT NULL,
    due_at          TIMESTAMP NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('open', 'acknowledged', 'answered', 'accepted', 'returned')),
    answer          TEXT,
    return_reason   TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
INSERT INTO referrals_new (id, request_id, reference, unit_id, reason, kind, subject, body, due_at, status, answer, return_reason, version, created_by, created_at, updated_at)
    SELECT id, request_id, reference, unit_id, reason, kind, subject, body, due_at, status, answer, return_reason, version, created_by, created_at, updated_at FROM referrals;
DROP TABLE referrals;
ALTER TABLE referrals_new RENAME TO referrals;
CREATE UNIQUE INDEX referrals_reference_key ON referrals (reference);
CREATE INDEX referrals_unit_idx ON referrals (unit_id, created_at, id);
CREATE INDEX referrals_request_idx ON referrals (request_id);
CREATE INDEX referrals_due_idx ON referrals (status, due_at);
