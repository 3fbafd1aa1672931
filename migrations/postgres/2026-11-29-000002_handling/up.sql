-- Handling: referrals to units (anonymised), meetings with the head, citizens' ratings.

-- A request handed to one unit; its steps are recorded in the request's history (staff-only
-- events), so the desk sees one timeline. Unit staff read only this table (and units): it carries what
-- they need — the anonymised text, kind, subject, reason, due date — and its own reference,
-- never the request's id, tracking code or identity; `request_id` is never selected for them.
CREATE TABLE referrals (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id),
    -- shown to the unit instead of anything that leads back to the request
    reference       TEXT NOT NULL,
    unit_id         TEXT NOT NULL REFERENCES units (id),
    reason          TEXT NOT NULL
        CHECK (reason IN ('action_required', 'meeting_redirect', 'meeting_follow_up')),
    kind            TEXT CHECK (kind IN ('meeting', 'suggestion', 'criticism', 'complaint', 'report')),
    subject         TEXT CHECK (subject IN ('person', 'unit', 'affiliated_entity')),
    -- the anonymised text the reviewer approved
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
CREATE UNIQUE INDEX referrals_reference_key ON referrals (reference);
CREATE INDEX referrals_unit_idx ON referrals (unit_id, created_at, id);
CREATE INDEX referrals_request_idx ON referrals (request_id);
CREATE INDEX referrals_due_idx ON referrals (status, due_at);

-- A slot on the head's calendar for one request.
CREATE TABLE meetings (
    id               TEXT PRIMARY KEY NOT NULL,
    request_id       TEXT NOT NULL REFERENCES requests (id),
    starts_at        TIMESTAMP NOT NULL,
    ends_at          TIMESTAMP NOT NULL,
    place            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('scheduled', 'held', 'cancelled', 'no_show')),
    action_required  BOOLEAN,
    notes            TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX meetings_calendar_idx ON meetings (status, starts_at);
CREATE INDEX meetings_request_idx ON meetings (request_id);

-- A citizen's rating of a closed request: once.
CREATE TABLE ratings (
    request_id  TEXT PRIMARY KEY NOT NULL REFERENCES requests (id),
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     TEXT,
    created_at  TIMESTAMP NOT NULL
);
