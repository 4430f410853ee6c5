-- A list filtered by creation time (SecMaster's create_start_time and create_end_time) reads
-- the range through an index instead of walking every connection of the workspace.

-- +goose Up
CREATE INDEX connections_created_idx ON connections (workspace_id, created_at, id);

-- +goose Down
DROP INDEX connections_created_idx;
