-- OAuth2: the OAuth client a workspace registered per connector, "authorize a connection"
-- sessions, and connections' tokens with the lease that lets one refresh run at a time.

-- +goose Up
CREATE TABLE oauth_clients (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    connector_id TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    sealed       BLOB,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, connector_id)
) STRICT;

-- The link token and the state are credentials: only their SHA-256 is kept.
CREATE TABLE connect_sessions (
    id              TEXT    NOT NULL PRIMARY KEY,
    workspace_id    TEXT    NOT NULL REFERENCES workspaces (id),
    connector_id    TEXT    NOT NULL,
    connection_id   TEXT    NOT NULL,
    connection_name TEXT    NOT NULL,
    success_url     TEXT    NOT NULL,
    failure_url     TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    token_hash      BLOB    NOT NULL,
    state_hash      BLOB,
    sealed          BLOB,
    expires_at      INTEGER NOT NULL,
    opened_at       INTEGER,
    used_at         INTEGER,
    created_at      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX connect_sessions_token ON connect_sessions (token_hash);
CREATE UNIQUE INDEX connect_sessions_state ON connect_sessions (state_hash);

CREATE TABLE connection_tokens (
    connection_id       TEXT    NOT NULL PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    workspace_id        TEXT    NOT NULL,
    grant_type          TEXT    NOT NULL,
    sealed              BLOB,
    scopes              TEXT    NOT NULL,
    expires_at          INTEGER,
    updated_at          INTEGER NOT NULL,
    refresh_lease_owner TEXT    NOT NULL DEFAULT '',
    refresh_lease_until INTEGER
) STRICT;
CREATE INDEX connection_tokens_expiry ON connection_tokens (expires_at);

-- +goose Down
DROP TABLE connection_tokens;
DROP TABLE connect_sessions;
DROP TABLE oauth_clients;
