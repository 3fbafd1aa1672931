-- The public lookup as the server sends it to PostgreSQL (captured with log_statement = all): one
-- statement returning the request, its public history, the units it went to and a scheduled
-- meeting's time as one JSON document (src/db/public_view.rs), for a tracking code drawn from
-- bench_codes (the same sample the API load draws from). The code is read inside the
-- statement, so the reference pays no extra round trip for it.
\set n random(1, :codes)
SELECT json_build_object('request', r, 'events', coalesce((SELECT json_agg(e ORDER BY e.seq) FROM request_events e WHERE e.request_id = r.id AND e.public), '[]'), 'unit_names', coalesce((SELECT json_agg(u.name ORDER BY f.created_at, f.id) FROM referrals f JOIN units u ON u.id = f.unit_id WHERE f.request_id = r.id), '[]'), 'meeting_at', (SELECT m.starts_at FROM meetings m WHERE m.request_id = r.id AND m.status = 'scheduled' LIMIT 1))::text FROM requests r WHERE r.tracking_code = (SELECT code FROM bench_codes WHERE n = :n);
