-- Webhook endpoints and the durable outbox of their deliveries.

-- +goose Up
-- The signing secret must be recovered to sign, so it is stored sealed; after a rotation the
-- previous one keeps signing until previous_expires_at.
CREATE TABLE webhook_endpoints (
    id                  TEXT    NOT NULL PRIMARY KEY,
    tenant_id           TEXT    NOT NULL REFERENCES tenants (id),
    workspace_id        TEXT    NOT NULL REFERENCES workspaces (id),
    url                 TEXT    NOT NULL,
    events              TEXT    NOT NULL,
    enabled             INTEGER NOT NULL,
    sealed              BLOB    NOT NULL,
    previous_sealed     BLOB,
    previous_expires_at INTEGER,
    created_at          INTEGER NOT NULL,
    created_by          TEXT    NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id);

-- One row per event and endpoint, written in the transaction of the audited change. A claim
-- moves next_attempt_at past a lease and sets lease_token; attempt_log is a JSON array.
CREATE TABLE webhook_deliveries (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant_id       TEXT    NOT NULL,
    workspace_id    TEXT    NOT NULL,
    endpoint_id     TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type      TEXT    NOT NULL,
    payload         BLOB    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_token     TEXT    NOT NULL,
    last_status     INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    attempt_log     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
