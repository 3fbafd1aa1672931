DROP INDEX citizen_codes_mobile_index;
ALTER TABLE citizen_codes DROP COLUMN mobile_index;
CREATE INDEX citizen_codes_mobile ON citizen_codes (mobile, created_at);
ALTER TABLE sms_charges RENAME COLUMN recipient_index TO recipient;
DROP INDEX request_identities_mobile_index;
ALTER TABLE request_identities DROP COLUMN mobile_index;
CREATE INDEX request_identities_mobile_idx ON request_identities (mobile);
