-- A member of staff's mobile number, given by an admin (issue 17): deadline reminders and
-- escalations also go to it by SMS, through the outbox, besides the staff inbox. Stored in the
-- canonical +98 form; null for staff who gave none.
ALTER TABLE users ADD COLUMN mobile TEXT;
