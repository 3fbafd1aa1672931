-- Units (a unit, a deputy office or an affiliated entity) and the staff who sign in.
-- Ids are UUIDs as text and times are UTC without zone, so that one schema.rs serves both backends.

CREATE TABLE units (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('unit', 'deputy', 'affiliated_entity')),
    parent_id   TEXT REFERENCES units (id),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX units_name_key ON units (name);
CREATE INDEX units_parent_id_idx ON units (parent_id);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    username            TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL
        CHECK (role IN ('admin', 'intake', 'operator', 'reviewer', 'head', 'unit_staff')),
    unit_id             TEXT REFERENCES units (id),
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    -- Carried in every token; a password reset bumps it, so older tokens stop working.
    token_version       INTEGER NOT NULL DEFAULT 0,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    CHECK ((role = 'unit_staff') = (unit_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE INDEX users_unit_id_idx ON users (unit_id);
