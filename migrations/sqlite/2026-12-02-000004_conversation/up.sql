-- The conversation of a request (`domain::conversation`): the desk and the units write to the
-- citizen, the citizen answers. Append-only: a message is never edited; releasing a held reply
-- to its unit sets `unit_body` and `release` once. `body` is the text as written, which only the
-- desk and the citizen read; a unit reads a citizen's reply only as `unit_body`, after release.
-- Whether a referral waits for the citizen is derived from these rows (its latest question
-- newer than its latest reply), not stored: the referrals table has no column to spare.
CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    seq          INTEGER NOT NULL,
    author_kind  TEXT NOT NULL CHECK (author_kind IN ('citizen', 'desk', 'unit')),
    -- The staff member who wrote it (desk or unit); never shown to the citizen.
    author_id    TEXT REFERENCES users (id),
    -- The desk's role as the citizen sees it; NULL for the citizen and a unit.
    author_role  TEXT,
    -- A unit's question: the referral it was asked on; a citizen's reply: the one it answers.
    referral_id  TEXT REFERENCES referrals (id),
    body         TEXT NOT NULL,
    unit_body    TEXT,
    release      TEXT CHECK (release IN ('held', 'released')),
    released_by  TEXT REFERENCES users (id),
    released_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (request_id, seq),
    CHECK ((release IS NULL) = (author_kind <> 'citizen' OR referral_id IS NULL)),
    CHECK ((release = 'released') = (unit_body IS NOT NULL))
);
CREATE INDEX messages_referral_idx ON messages (referral_id, created_at);
