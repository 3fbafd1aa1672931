DROP INDEX requests_channel_idx;
DROP INDEX requests_status_idx;
CREATE INDEX requests_status_idx ON requests (status, created_at);
