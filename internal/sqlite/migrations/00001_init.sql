-- Schema of the SQLite store. Times are INTEGER microseconds since the Unix epoch (UTC), the
-- precision switchboard.Now keeps; JSON documents are TEXT; ciphertext and hashes are BLOB.
-- Lists page by id, so every list filter has an index ending in id.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE workspaces (
    id         TEXT    NOT NULL PRIMARY KEY,
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX workspaces_tenant ON workspaces (tenant_id, id);

-- An API key names its workspace without a foreign key: it may be "*" (all workspaces).
CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    workspace_id TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    hash         BLOB    NOT NULL,
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    revoked_at   INTEGER
) STRICT;
CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);
CREATE INDEX api_keys_workspace ON api_keys (tenant_id, workspace_id, id);

CREATE TABLE data_keys (
    workspace_id TEXT    NOT NULL PRIMARY KEY REFERENCES workspaces (id),
    kek_id       TEXT    NOT NULL,
    wrapped      BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE key_checks (
    kek_id TEXT NOT NULL PRIMARY KEY,
    "check" BLOB NOT NULL
) STRICT;

CREATE TABLE connectors (
    id             TEXT    NOT NULL PRIMARY KEY,
    workspace_id   TEXT    NOT NULL REFERENCES workspaces (id),
    key            TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    categories     TEXT    NOT NULL,
    latest_version TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    created_by     TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX connectors_key ON connectors (workspace_id, key);
CREATE INDEX connectors_workspace ON connectors (workspace_id, id);

CREATE TABLE connector_versions (
    connector_id TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    workspace_id TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    schema       TEXT    NOT NULL,
    auth_schemes TEXT    NOT NULL,
    slots        TEXT    NOT NULL,
    permissions  TEXT    NOT NULL,
    health_check TEXT,
    oauth2       TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (connector_id, version)
) STRICT;
CREATE INDEX connector_versions_created ON connector_versions (connector_id, created_at);

CREATE TABLE credentials (
    id           TEXT    NOT NULL PRIMARY KEY,
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    sealed       BLOB,
    external_ref TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_by   TEXT    NOT NULL,
    revision     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX credentials_name ON credentials (workspace_id, name);
CREATE INDEX credentials_workspace ON credentials (workspace_id, id);

-- tags and credentials are kept whole (in order) on the row and again, one per row, in
-- connection_tags and connection_credentials, which exist only so the tag filter and
-- CountCredentialUses use an index.
CREATE TABLE connections (
    id                TEXT    NOT NULL PRIMARY KEY,
    workspace_id      TEXT    NOT NULL REFERENCES workspaces (id),
    connector_id      TEXT    NOT NULL,
    connector_version TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    config            TEXT    NOT NULL,
    sealed            BLOB,
    variables         TEXT    NOT NULL,
    credentials       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    enabled           INTEGER NOT NULL,
    paused            INTEGER NOT NULL,
    environment       TEXT    NOT NULL,
    external_xref     TEXT    NOT NULL,
    tags              TEXT    NOT NULL,
    last_healthy_at   INTEGER,
    last_unhealthy_at INTEGER,
    last_error        TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    created_by        TEXT    NOT NULL,
    updated_by        TEXT    NOT NULL,
    revision          INTEGER NOT NULL,
    idempotency_key   TEXT,
    request_hash      TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX connections_name ON connections (workspace_id, connector_id, name);
CREATE UNIQUE INDEX connections_idempotency ON connections (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX connections_workspace ON connections (workspace_id, id);
CREATE INDEX connections_connector ON connections (workspace_id, connector_id, id);
CREATE INDEX connections_status ON connections (workspace_id, status, id);
CREATE INDEX connections_environment ON connections (workspace_id, environment, id);
CREATE INDEX connections_xref ON connections (workspace_id, external_xref, id);

CREATE TABLE connection_tags (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    tag           TEXT NOT NULL,
    PRIMARY KEY (connection_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX connection_tags_tag ON connection_tags (workspace_id, tag, connection_id);

-- One row per referenced credential, whichever slots name it: a connection counts once.
CREATE TABLE connection_credentials (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    PRIMARY KEY (connection_id, credential_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX connection_credentials_credential ON connection_credentials (workspace_id, credential_id);

CREATE TABLE usages (
    id            TEXT    NOT NULL PRIMARY KEY,
    workspace_id  TEXT    NOT NULL,
    connection_id TEXT    NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    consumer      TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX usages_consumer ON usages (connection_id, consumer);
CREATE INDEX usages_created ON usages (connection_id, created_at, id);

-- Audit events have no foreign keys: they outlive what they describe, and tenant-level events
-- have no workspace.
CREATE TABLE audit_events (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    workspace_id TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    object_type  TEXT    NOT NULL,
    object_id    TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    ip           TEXT    NOT NULL,
    client_hash  TEXT    NOT NULL,
    details      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id);
CREATE INDEX audit_events_object ON audit_events (workspace_id, object_id, id);
CREATE INDEX audit_events_action ON audit_events (workspace_id, action, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE usages;
DROP TABLE connection_credentials;
DROP TABLE connection_tags;
DROP TABLE connections;
DROP TABLE credentials;
DROP TABLE connector_versions;
DROP TABLE connectors;
DROP TABLE key_checks;
DROP TABLE data_keys;
DROP TABLE api_keys;
DROP TABLE workspaces;
DROP TABLE tenants;
