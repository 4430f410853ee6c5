-- When each connection's next periodic health check is due, and until when a replica holds
-- the claim to run it.

-- +goose Up
ALTER TABLE connections ADD COLUMN next_check_at INTEGER;
ALTER TABLE connections ADD COLUMN check_lease_until INTEGER;
CREATE INDEX connections_next_check ON connections (next_check_at);

-- +goose Down
DROP INDEX connections_next_check;
ALTER TABLE connections DROP COLUMN check_lease_until;
ALTER TABLE connections DROP COLUMN next_check_at;
