-- The hand-written minimum of a lookup: the request's row by its tracking code through the unique
-- index, nothing else (no history, units, meeting or JSON), for a code drawn from bench_codes.
\set n random(1, :codes)
SELECT * FROM requests WHERE tracking_code = (SELECT code FROM bench_codes WHERE n = :n);
