DROP TABLE meeting_reminders;
