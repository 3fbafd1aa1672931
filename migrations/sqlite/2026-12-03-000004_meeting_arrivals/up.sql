-- A citizen's arrival for their meeting, recorded at the desk by tracking code (issue 17): the
-- first check-in is kept, a second is the same answer.
CREATE TABLE meeting_arrivals (
    meeting_id  TEXT PRIMARY KEY REFERENCES meetings (id),
    arrived_at  TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id)
);
