-- The online submission's transaction, statement for statement as the server sends it (captured
-- with log_statement = all): BEGIN with the lock wait in one round trip (here the lock wait rides
-- with the next statement instead: pgbench cannot prepare two commands), tracking code checked,
-- request, identity, history event and SMS written, the key claimed with the answer. Values are
-- drawn per transaction; ids are 36 characters like the server's UUIDs; codes have 13 digits so
-- they never meet a real one. :body is a real response body, captured by the driver.
\set key random(1, 9000000000000000000)
\set code random(1000000000000, 9999999999999)
\set m random(0, 9999999)
BEGIN;
SELECT set_config('lock_timeout', '5s', true), EXISTS (SELECT "requests"."id", "requests"."tracking_code", "requests"."channel", "requests"."body", "requests"."search_text", "requests"."proposed_kind", "requests"."kind", "requests"."subject", "requests"."subject_unit_id", "requests"."status", "requests"."resolution", "requests"."version", "requests"."registered_by", "requests"."created_at", "requests"."updated_at", "requests"."closed_at" FROM "requests" WHERE ("requests"."tracking_code" = :code::text));
INSERT INTO "requests" ("id", "tracking_code", "channel", "body", "search_text", "proposed_kind", "kind", "subject", "subject_unit_id", "status", "resolution", "version", "registered_by", "created_at", "updated_at", "closed_at") VALUES (lpad(:key::text, 36, 'r'), :code::text, 'online', 'شکایت از طولانی بودن زمان انتظار در بخش اورژانس بیمارستان و برخورد نامناسب کارکنان پذیرش', 'شکایت از طولانی بودن زمان انتظار در بخش اورژانس بیمارستان و برخورد نامناسب کارکنان پذیرش', 'complaint', DEFAULT, DEFAULT, DEFAULT, 'registered', DEFAULT, 1, DEFAULT, localtimestamp, localtimestamp, DEFAULT);
INSERT INTO "request_identities" ("request_id", "name", "mobile", "national_id", "email") VALUES (lpad(:key::text, 36, 'r'), 'مریم حسینی', '+98935' || lpad(:m::text, 7, '0'), DEFAULT, DEFAULT);
INSERT INTO "request_events" ("id", "request_id", "seq", "at", "actor_kind", "actor_id", "action", "from_status", "to_status", "public", "details") VALUES (lpad(:key::text, 36, 'e'), lpad(:key::text, 36, 'r'), 1, localtimestamp, 'citizen', DEFAULT, 'registered', DEFAULT, 'registered', true, '{"channel":"online"}');
INSERT INTO "notifications" ("id", "request_id", "template", "recipient", "params", "status", "attempts", "next_attempt_at", "locked_until", "provider_message_id", "last_error", "created_at", "updated_at", "sent_at", "delivered_at", "claimed_by") VALUES (lpad(:key::text, 36, 'n'), lpad(:key::text, 36, 'r'), 'tracking_code_issued', '+98935' || lpad(:m::text, 7, '0'), '{"tracking_code":"' || :code || '"}', 'pending', 0, localtimestamp, DEFAULT, DEFAULT, DEFAULT, localtimestamp, localtimestamp, DEFAULT, DEFAULT, DEFAULT);
INSERT INTO "idempotency_keys" ("scope", "idempotency_key", "fingerprint", "response_status", "response_body", "created_at", "expires_at") VALUES ('public_request', 'bench-' || :key, '5aa61804ade2272257fcccb64a7c44c1132b038417cab1ad393fbfee2690e87e', 201, :body, localtimestamp, localtimestamp + interval '24 hours') ON CONFLICT ("scope", "idempotency_key") DO NOTHING;
COMMIT;
