-- The citizen's one-time codes (issue 18): six digits sent by SMS, kept only as a keyed hash
-- (HMAC-SHA-256 over the row id and the digits), good for two minutes and three tries. A code
-- that was accepted is `used_at`; the citizen's token names its row, so the token is bound to
-- the mobile number the code went to.
CREATE TABLE citizen_codes (
    id         TEXT PRIMARY KEY,
    mobile     TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX citizen_codes_mobile ON citizen_codes (mobile, created_at);
