DROP TABLE idempotency_keys;
DROP TABLE contacts;
DROP TABLE notifications;
DROP TABLE request_events;
DROP TABLE request_identities;
DROP TABLE requests;
DROP FUNCTION request_events_append_only();
