-- The ids of partners' webhooks verified through a connection, until they expire, so a
-- replayed webhook is refused by every replica sharing the database.

-- +goose Up
CREATE TABLE inbound_webhook_ids (
    workspace_id  text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    webhook_id    text COLLATE "C" NOT NULL,
    expires_at    timestamptz NOT NULL,
    CONSTRAINT inbound_webhook_ids_pkey PRIMARY KEY (workspace_id, connection_id, webhook_id),
    CONSTRAINT inbound_webhook_ids_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX inbound_webhook_ids_expires_idx ON inbound_webhook_ids (expires_at);

-- +goose Down
DROP TABLE inbound_webhook_ids;
