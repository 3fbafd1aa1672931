-- Staff lists page newest first by (created_at, id). A filter on status or on channel gets an
-- index in that order, so a page reads about its own rows whatever the table's size and
-- however deep the cursor; without it, a page under a filter walks the newest rows of every
-- status until it has found enough.
DROP INDEX requests_status_idx;
CREATE INDEX requests_status_idx ON requests (status, created_at, id);
CREATE INDEX requests_channel_idx ON requests (channel, created_at, id);
