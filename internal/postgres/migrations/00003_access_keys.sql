-- Access-key pairs for request signing (Huawei Cloud SDK-HMAC-SHA256), and the name of an
-- organization connection. Constraint names are mapped to message keys in error.go.

-- +goose Up
-- The SK must be recovered to recompute signatures, so it is stored sealed (never hashed).
-- An access key acts in one workspace: workspace_id has a foreign key, unlike api_keys'.
CREATE TABLE access_keys (
    id           text COLLATE "C" NOT NULL,
    tenant_id    text COLLATE "C" NOT NULL,
    workspace_id text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    role         text NOT NULL,
    scopes       jsonb NOT NULL,
    sealed       bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT access_keys_pkey PRIMARY KEY (id),
    CONSTRAINT access_keys_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT access_keys_workspace_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
);
CREATE INDEX access_keys_tenant_idx ON access_keys (tenant_id, id);
CREATE INDEX access_keys_tenant_workspace_idx ON access_keys (tenant_id, workspace_id, id);

ALTER TABLE organization_connections ADD COLUMN name text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE organization_connections DROP COLUMN name;
DROP TABLE access_keys;
