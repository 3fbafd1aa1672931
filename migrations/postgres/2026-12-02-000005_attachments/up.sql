-- Documents that travel with a request (issue 16). A file is uploaded first (`attachments` row
-- with no request) and attached in the transaction of the submission, reply or message that
-- names it; one never attached is swept after `MARDOM_UPLOAD_TTL_MINUTES`. Content is
-- addressed by the SHA-256 of the stored bytes (metadata already stripped): identical files
-- share one `file_contents` row. `file_contents` is the database store's; with the object store
-- the bytes live in the bucket under the same address and this table stays empty.
CREATE TABLE file_contents (
    sha256     TEXT PRIMARY KEY,
    content    BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    file_type     TEXT NOT NULL CHECK (file_type IN ('jpeg', 'png', 'webp', 'pdf')),
    -- The name the uploader gave, tidied (no path, no control characters); shown, never trusted.
    file_name     TEXT NOT NULL,
    author_kind   TEXT NOT NULL CHECK (author_kind IN ('citizen', 'desk', 'unit')),
    -- The staff member who uploaded it; NULL for the citizen.
    uploaded_by   TEXT REFERENCES users (id),
    request_id    TEXT REFERENCES requests (id),
    -- The message that carries it; NULL for a file of the submission itself.
    message_id    TEXT REFERENCES messages (id),
    -- A unit's file: the referral whose conversation it was sent in.
    referral_id   TEXT REFERENCES referrals (id),
    created_at    TIMESTAMP NOT NULL,
    attached_at   TIMESTAMP,
    CHECK ((request_id IS NULL) = (attached_at IS NULL)),
    CHECK ((author_kind = 'citizen') = (uploaded_by IS NULL))
);
CREATE INDEX attachments_request_idx ON attachments (request_id, created_at);
CREATE INDEX attachments_sha256_idx ON attachments (sha256);
CREATE INDEX attachments_unattached_idx ON attachments (created_at) WHERE request_id IS NULL;

-- A document reaches a unit only when the desk releases it to that unit's referral.
CREATE TABLE attachment_releases (
    attachment_id TEXT NOT NULL REFERENCES attachments (id),
    referral_id   TEXT NOT NULL REFERENCES referrals (id),
    released_by   TEXT NOT NULL REFERENCES users (id),
    released_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (attachment_id, referral_id)
);
