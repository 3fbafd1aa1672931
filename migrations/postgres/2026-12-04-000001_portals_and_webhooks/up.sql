-- Other systems (issue 19). A portal is a machine client of the Center: its key is shown once
-- and kept only as its SHA-256 (a key is 32 random bytes, so a plain hash cannot be searched
-- back); its scopes say what it may do: `submit`, `read` (its own requests), `webhooks`, and
-- `center` (the Center's own systems: every request's events, referral events included).
CREATE TABLE portals (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    key_hint   TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The portal that filed a request (none: filed at the desk, or by a citizen directly). Only
-- that portal is ever shown the request's tracking code. A table beside `requests` rather
-- than a column: most requests have none, and the request row stays as it was.
CREATE TABLE request_portals (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    portal_id  TEXT NOT NULL REFERENCES portals (id)
);
CREATE INDEX request_portals_portal ON request_portals (portal_id);

-- Where a portal wants to hear of changes. `events` is the event types, each between spaces
-- (` request.closed meeting.scheduled `), so that one LIKE finds the subscribers of a type.
-- The signing secret is sealed by the vault. `failures` counts failed attempts in a row; at
-- MARDOM_WEBHOOK_DISABLE_AFTER the subscription is disabled (`disabled_at`, `disabled_reason`).
CREATE TABLE webhook_subscriptions (
    id              TEXT PRIMARY KEY,
    portal_id       TEXT NOT NULL REFERENCES portals (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    failures        INTEGER NOT NULL,
    disabled_at     TIMESTAMP,
    disabled_reason TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX webhook_subscriptions_portal ON webhook_subscriptions (portal_id);

-- The webhooks' outbox: one row per event per subscription, written in the transaction of the
-- change, delivered by the dispatcher under a lease. `id` is the `webhook-id` the receiver
-- dedupes by: the same on every attempt.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    event_type      TEXT NOT NULL,
    request_id      TEXT,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    claimed_by      TEXT,
    last_error      TEXT,
    response_code   INTEGER,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, created_at);
