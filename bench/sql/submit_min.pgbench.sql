-- The hand-written minimum of a submission: the request's row and its SMS row in one transaction,
-- nothing else (no identity, history, deadline, idempotency key, webhook lookup or JSON). What
-- the server does beyond this is the cost of the product's guarantees.
\set key random(1, 9000000000000000000)
\set code random(1000000000000, 9999999999999)
BEGIN;
INSERT INTO requests (id, tracking_code, channel, body, search_text, proposed_kind, status, version, created_at, updated_at) VALUES (lpad(:key::text, 36, 'q'), :code::text, 'online', 'شکایت از طولانی بودن زمان انتظار در بخش اورژانس بیمارستان و برخورد نامناسب کارکنان پذیرش', 'شکایت از طولانی بودن زمان انتظار در بخش اورژانس بیمارستان و برخورد نامناسب کارکنان پذیرش', 'complaint', 'registered', 1, localtimestamp, localtimestamp);
INSERT INTO notifications (id, request_id, template, recipient, params, status, attempts, next_attempt_at, created_at, updated_at) VALUES (lpad(:key::text, 36, 'o'), lpad(:key::text, 36, 'q'), 'tracking_code_issued', '+989350000001', '{"tracking_code":"' || :code::text || '"}', 'pending', 0, localtimestamp, localtimestamp, localtimestamp);
COMMIT;
