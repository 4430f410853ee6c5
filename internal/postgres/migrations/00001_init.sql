-- The first schema of Switchboard on PostgreSQL.
--
-- Ids and keys are text COLLATE "C" so that ORDER BY id and the "id > after" cursor compare
-- bytes, as Go and SQLite do, whatever the database's default collation is. Constraints are
-- named because the driver turns a violation into a message key by its constraint name
-- (see error.go): renaming one here means changing that table too.
--
-- Workspace-scoped tables key on (workspace_id, id): every query is scoped by workspace, so
-- the primary key is also the index of every unfiltered list.

-- +goose Up
CREATE TABLE tenants (
    id         text COLLATE "C" NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id)
);

CREATE TABLE workspaces (
    id         text COLLATE "C" NOT NULL,
    tenant_id  text COLLATE "C" NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT workspaces_pkey PRIMARY KEY (id),
    CONSTRAINT workspaces_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX workspaces_tenant_idx ON workspaces (tenant_id, id);

-- api_keys.workspace_id has no foreign key: a key may name "*" (every workspace of its tenant).
CREATE TABLE api_keys (
    id           text COLLATE "C" NOT NULL,
    tenant_id    text COLLATE "C" NOT NULL,
    workspace_id text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    role         text NOT NULL,
    scopes       jsonb NOT NULL,
    hash         bytea NOT NULL,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);
CREATE INDEX api_keys_tenant_workspace_idx ON api_keys (tenant_id, workspace_id, id);

CREATE TABLE data_keys (
    workspace_id text COLLATE "C" NOT NULL,
    kek_id       text COLLATE "C" NOT NULL,
    wrapped      bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT data_keys_pkey PRIMARY KEY (workspace_id)
);

CREATE TABLE key_checks (
    kek_id     text COLLATE "C" NOT NULL,
    check_value bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT key_checks_pkey PRIMARY KEY (kek_id)
);

CREATE TABLE connectors (
    workspace_id   text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    key            text COLLATE "C" NOT NULL,
    name           text NOT NULL,
    description    text NOT NULL,
    categories     jsonb NOT NULL,
    latest_version text NOT NULL,
    created_at     timestamptz NOT NULL,
    created_by     text NOT NULL,
    CONSTRAINT connectors_pkey PRIMARY KEY (workspace_id, id),
    CONSTRAINT connectors_key_key UNIQUE (workspace_id, key)
);

-- Schemas and the other documents a client gives verbatim are json, not jsonb: json keeps the
-- text as given (key order, spacing), so what is read back is byte for byte what was stored.
-- seq orders versions by insertion when their created_at tie.
CREATE TABLE connector_versions (
    workspace_id text COLLATE "C" NOT NULL,
    connector_id text COLLATE "C" NOT NULL,
    version      text COLLATE "C" NOT NULL,
    schema       json,
    auth_schemes jsonb NOT NULL,
    slots        jsonb NOT NULL,
    permissions  jsonb NOT NULL,
    health_check json,
    oauth2       json,
    created_at   timestamptz NOT NULL,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    CONSTRAINT connector_versions_pkey PRIMARY KEY (workspace_id, connector_id, version),
    CONSTRAINT connector_versions_connector_fkey FOREIGN KEY (workspace_id, connector_id)
        REFERENCES connectors (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE credentials (
    workspace_id text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    type         text NOT NULL,
    sealed       bytea,
    external_ref jsonb,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    updated_by   text NOT NULL,
    revision     bigint NOT NULL,
    CONSTRAINT credentials_pkey PRIMARY KEY (workspace_id, id),
    CONSTRAINT credentials_name_key UNIQUE (workspace_id, name)
);

-- tags and credentials are kept twice: as jsonb on the row, so they read back exactly as
-- written (order, nil or empty), and in connection_tags / connection_credentials, so the tag
-- filter and CountCredentialUses are index lookups.
CREATE TABLE connections (
    workspace_id      text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    connector_id      text COLLATE "C" NOT NULL,
    connector_version text NOT NULL,
    name              text NOT NULL,
    description       text NOT NULL,
    config            jsonb NOT NULL,
    sealed            bytea,
    variables         jsonb NOT NULL,
    credentials       jsonb NOT NULL,
    status            text COLLATE "C" NOT NULL,
    enabled           boolean NOT NULL,
    paused            boolean NOT NULL,
    environment       text COLLATE "C" NOT NULL,
    external_xref     text COLLATE "C" NOT NULL,
    tags              jsonb NOT NULL,
    last_healthy_at   timestamptz,
    last_unhealthy_at timestamptz,
    last_error        text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    created_by        text NOT NULL,
    updated_by        text NOT NULL,
    revision          bigint NOT NULL,
    idempotency_key   text COLLATE "C",
    request_hash      text NOT NULL,
    CONSTRAINT connections_pkey PRIMARY KEY (workspace_id, id),
    CONSTRAINT connections_name_key UNIQUE (workspace_id, connector_id, name)
);
CREATE UNIQUE INDEX connections_idempotency_key ON connections (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX connections_connector_idx ON connections (workspace_id, connector_id, id);
CREATE INDEX connections_status_idx ON connections (workspace_id, status, id);
CREATE INDEX connections_environment_idx ON connections (workspace_id, environment, id);
CREATE INDEX connections_external_xref_idx ON connections (workspace_id, external_xref, id);

CREATE TABLE connection_credentials (
    workspace_id  text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    slot          text NOT NULL,
    position      integer NOT NULL,
    credential_id text COLLATE "C" NOT NULL,
    CONSTRAINT connection_credentials_pkey PRIMARY KEY (workspace_id, connection_id, slot, position),
    CONSTRAINT connection_credentials_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX connection_credentials_credential_idx
    ON connection_credentials (workspace_id, credential_id, connection_id);

CREATE TABLE connection_tags (
    workspace_id  text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    tag           text COLLATE "C" NOT NULL,
    CONSTRAINT connection_tags_pkey PRIMARY KEY (workspace_id, connection_id, tag),
    CONSTRAINT connection_tags_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX connection_tags_tag_idx ON connection_tags (workspace_id, tag, connection_id);

CREATE TABLE usages (
    workspace_id  text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    consumer      text NOT NULL,
    created_at    timestamptz NOT NULL,
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    CONSTRAINT usages_pkey PRIMARY KEY (workspace_id, id),
    CONSTRAINT usages_consumer_key UNIQUE (workspace_id, connection_id, consumer),
    CONSTRAINT usages_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);

-- audit_events.workspace_id may be "" for tenant-level events, so it has no foreign key; the
-- trail also outlives the objects it names.
CREATE TABLE audit_events (
    id           text COLLATE "C" NOT NULL,
    tenant_id    text COLLATE "C" NOT NULL,
    workspace_id text COLLATE "C" NOT NULL,
    actor        text NOT NULL,
    action       text COLLATE "C" NOT NULL,
    object_type  text NOT NULL,
    object_id    text COLLATE "C" NOT NULL,
    request_id   text NOT NULL,
    ip           text NOT NULL,
    client_hash  text NOT NULL,
    details      jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_events_workspace_idx ON audit_events (workspace_id, id);
CREATE INDEX audit_events_object_idx ON audit_events (workspace_id, object_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (workspace_id, action, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE usages;
DROP TABLE connection_tags;
DROP TABLE connection_credentials;
DROP TABLE connections;
DROP TABLE credentials;
DROP TABLE connector_versions;
DROP TABLE connectors;
DROP TABLE key_checks;
DROP TABLE data_keys;
DROP TABLE api_keys;
DROP TABLE workspaces;
DROP TABLE tenants;
