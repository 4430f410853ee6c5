-- When each connection's next periodic health check is due, and until when a replica holds
-- the claim to run it.

-- +goose Up
ALTER TABLE connections ADD COLUMN next_check_at timestamptz;
ALTER TABLE connections ADD COLUMN check_lease_until timestamptz;
CREATE INDEX connections_next_check_idx ON connections (next_check_at);

-- +goose Down
DROP INDEX connections_next_check_idx;
ALTER TABLE connections DROP COLUMN check_lease_until;
ALTER TABLE connections DROP COLUMN next_check_at;
