-- The ids of partners' webhooks verified through a connection, until they expire, so a
-- replayed webhook is refused.

-- +goose Up
CREATE TABLE inbound_webhook_ids (
    workspace_id  TEXT    NOT NULL,
    connection_id TEXT    NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    webhook_id    TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, connection_id, webhook_id)
) STRICT;
CREATE INDEX inbound_webhook_ids_expires ON inbound_webhook_ids (expires_at);

-- +goose Down
DROP TABLE inbound_webhook_ids;
