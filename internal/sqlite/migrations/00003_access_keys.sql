-- Access-key pairs for request signing (Huawei Cloud SDK-HMAC-SHA256), and the name of an
-- organization connection.

-- +goose Up
-- The SK must be recovered to recompute signatures, so it is stored sealed (never hashed).
-- An access key acts in one workspace: workspace_id has a foreign key, unlike api_keys'.
CREATE TABLE access_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    sealed       BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX access_keys_tenant ON access_keys (tenant_id, id);
CREATE INDEX access_keys_workspace ON access_keys (tenant_id, workspace_id, id);

ALTER TABLE organization_connections ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE organization_connections DROP COLUMN name;
DROP TABLE access_keys;
