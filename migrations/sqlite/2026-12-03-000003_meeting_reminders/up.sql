-- The reminder SMS a meeting's citizen gets before it (issue 17): one per meeting and start
-- time, so a rescheduled meeting is reminded of its new time and no meeting twice of one. The
-- row is written in the transaction of the SMS it stands for; the scheduler's instances race
-- on its primary key and the loser writes nothing.
CREATE TABLE meeting_reminders (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    starts_at  TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (meeting_id, starts_at)
);
