-- Permissions and categories of connections, the new connection list filters and sorts, and
-- organizations with the connections enabled for them.

-- +goose Up
-- Existing connections have neither: JSON null reads back as a nil slice.
ALTER TABLE connections ADD COLUMN permissions TEXT NOT NULL DEFAULT 'null';
ALTER TABLE connections ADD COLUMN categories TEXT NOT NULL DEFAULT 'null';

-- Sorts and filters of connection lists; each ends in id, the tie-breaker and cursor.
CREATE INDEX connections_updated ON connections (workspace_id, updated_at, id);
CREATE INDEX connections_name_order ON connections (workspace_id, name, id);
CREATE INDEX connections_created_by ON connections (workspace_id, created_by, id);

-- Like connection_tags: categories stay whole on the row and, one per row, here for the
-- category filter.
CREATE TABLE connection_categories (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    category      TEXT NOT NULL,
    PRIMARY KEY (connection_id, category)
) STRICT, WITHOUT ROWID;
CREATE INDEX connection_categories_category ON connection_categories (workspace_id, category, connection_id);

CREATE TABLE organizations (
    id           TEXT    NOT NULL PRIMARY KEY,
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id),
    name         TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX organizations_name ON organizations (workspace_id, name);
CREATE INDEX organizations_workspace ON organizations (workspace_id, id);

-- Deleting an organization or a connection deletes its rows here (ON DELETE CASCADE).
CREATE TABLE organization_connections (
    organization_id            TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    connection_id              TEXT    NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    workspace_id               TEXT    NOT NULL,
    assign_membership_on_login INTEGER NOT NULL,
    show_as_button             INTEGER NOT NULL,
    is_signup_enabled          INTEGER NOT NULL,
    access_level               TEXT    NOT NULL,
    is_enabled                 INTEGER NOT NULL,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    PRIMARY KEY (organization_id, connection_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX organization_connections_connection ON organization_connections (connection_id);
CREATE INDEX organization_connections_enabled ON organization_connections (organization_id, is_enabled, connection_id);

-- +goose Down
DROP TABLE organization_connections;
DROP TABLE organizations;
DROP TABLE connection_categories;
DROP INDEX connections_created_by;
DROP INDEX connections_name_order;
DROP INDEX connections_updated;
ALTER TABLE connections DROP COLUMN categories;
ALTER TABLE connections DROP COLUMN permissions;
