-- Webhook endpoints and the durable outbox of their deliveries. Constraint names are mapped
-- to message keys in error.go.

-- +goose Up
-- The signing secret must be recovered to sign, so it is stored sealed; after a rotation the
-- previous one keeps signing until previous_expires_at.
CREATE TABLE webhook_endpoints (
    id                  text COLLATE "C" NOT NULL,
    tenant_id           text COLLATE "C" NOT NULL,
    workspace_id        text COLLATE "C" NOT NULL,
    url                 text NOT NULL,
    events              jsonb NOT NULL,
    enabled             boolean NOT NULL,
    sealed              bytea NOT NULL,
    previous_sealed     bytea,
    previous_expires_at timestamptz,
    created_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_endpoints_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT webhook_endpoints_workspace_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
);
CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, id);

-- One row per event and endpoint, written in the transaction of the audited change. A claim
-- (FOR UPDATE SKIP LOCKED) moves next_attempt_at past a lease and sets lease_token.
CREATE TABLE webhook_deliveries (
    id              text COLLATE "C" NOT NULL,
    tenant_id       text COLLATE "C" NOT NULL,
    workspace_id    text COLLATE "C" NOT NULL,
    endpoint_id     text COLLATE "C" NOT NULL,
    event_type      text NOT NULL,
    payload         bytea NOT NULL,
    status          text NOT NULL,
    attempts        integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_token     text NOT NULL,
    last_status     integer NOT NULL,
    last_error      text NOT NULL,
    attempt_log     jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_deliveries_endpoint_fkey FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at, id);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (workspace_id, endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
