-- OAuth2: the OAuth client a workspace registered per connector, "authorize a connection"
-- sessions, and connections' tokens with the lease that lets one replica refresh at a time.

-- +goose Up
CREATE TABLE oauth_clients (
    workspace_id text COLLATE "C" NOT NULL,
    connector_id text COLLATE "C" NOT NULL,
    client_id    text NOT NULL,
    sealed       bytea,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    updated_by   text NOT NULL,
    CONSTRAINT oauth_clients_pkey PRIMARY KEY (workspace_id, connector_id),
    CONSTRAINT oauth_clients_workspace_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
);

-- The link token and the state are credentials: only their SHA-256 is kept.
CREATE TABLE connect_sessions (
    id              text COLLATE "C" NOT NULL,
    workspace_id    text COLLATE "C" NOT NULL,
    connector_id    text COLLATE "C" NOT NULL,
    connection_id   text COLLATE "C" NOT NULL,
    connection_name text NOT NULL,
    success_url     text NOT NULL,
    failure_url     text NOT NULL,
    scopes          jsonb NOT NULL,
    token_hash      bytea NOT NULL,
    state_hash      bytea,
    sealed          bytea,
    expires_at      timestamptz NOT NULL,
    opened_at       timestamptz,
    used_at         timestamptz,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    CONSTRAINT connect_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT connect_sessions_workspace_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
);
CREATE UNIQUE INDEX connect_sessions_token_idx ON connect_sessions (token_hash);
CREATE UNIQUE INDEX connect_sessions_state_idx ON connect_sessions (state_hash);

CREATE TABLE connection_tokens (
    workspace_id        text COLLATE "C" NOT NULL,
    connection_id       text COLLATE "C" NOT NULL,
    grant_type          text NOT NULL,
    sealed              bytea,
    scopes              jsonb NOT NULL,
    expires_at          timestamptz,
    updated_at          timestamptz NOT NULL,
    refresh_lease_owner text NOT NULL DEFAULT '',
    refresh_lease_until timestamptz,
    CONSTRAINT connection_tokens_pkey PRIMARY KEY (workspace_id, connection_id),
    CONSTRAINT connection_tokens_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX connection_tokens_expiry_idx ON connection_tokens (expires_at);

-- +goose Down
DROP TABLE connection_tokens;
DROP TABLE connect_sessions;
DROP TABLE oauth_clients;
