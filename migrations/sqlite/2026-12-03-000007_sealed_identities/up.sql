-- Citizens' identities sealed at rest (issue 18). Names, mobile numbers, national IDs and emails are
-- stored as vault envelopes (`v1:<key id>:<base64>`, AES-256-GCM; `src/vault`), which the SQL
-- cannot write: the rows already here are sealed by the first start of this version, before it
-- serves (`app::sealing::seal_plaintext`). Equality on a mobile number goes through its blind
-- index (HMAC-SHA-256 under a key of its own), kept beside a sealed mobile that is looked up
-- (an outbox row's recipient is not: the dispatcher indexes it when it claims the row). Staff
-- mobile numbers (`users.mobile`) are the staff's work contacts and stay as they are; their
-- outbox rows are sealed like every other.
DROP INDEX request_identities_mobile_idx;
ALTER TABLE request_identities ADD COLUMN mobile_index TEXT;
CREATE INDEX request_identities_mobile_index ON request_identities (mobile_index);
-- The SMS cap's charges count slots of the last window only (an hour by default) and would name
-- numbers in the clear; from now on they name the blind index. Forgetting them frees at most one
-- window's slots once.
DELETE FROM sms_charges;
ALTER TABLE sms_charges RENAME COLUMN recipient TO recipient_index;
-- One-time codes live two minutes; the ones in flight are asked again. A code's number is
-- sealed (the token's holder is opened from it) and found by its index.
DROP INDEX citizen_codes_mobile;
DELETE FROM citizen_codes;
ALTER TABLE citizen_codes ADD COLUMN mobile_index TEXT NOT NULL DEFAULT '';
CREATE INDEX citizen_codes_mobile_index ON citizen_codes (mobile_index, created_at);
