-- Permissions and categories of connections, the new connection list filters and sorts, and
-- organizations with the connections enabled for them. Constraint names are mapped to message
-- keys and parent kinds in error.go.

-- +goose Up
-- Existing connections have neither: JSON null reads back as a nil slice.
ALTER TABLE connections
    ADD COLUMN permissions jsonb NOT NULL DEFAULT 'null',
    ADD COLUMN categories  jsonb NOT NULL DEFAULT 'null';

-- Sorts and filters of connection lists; each ends in id, the tie-breaker and cursor. The name
-- sort compares bytes (COLLATE "C"), as the id order does and as SQLite does.
CREATE INDEX connections_updated_idx ON connections (workspace_id, updated_at, id);
CREATE INDEX connections_name_idx ON connections (workspace_id, (name COLLATE "C"), id);
CREATE INDEX connections_created_by_idx ON connections (workspace_id, created_by, id);

-- Like connection_tags: categories stay whole on the row and, one per row, here for the
-- category filter.
CREATE TABLE connection_categories (
    workspace_id  text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    category      text COLLATE "C" NOT NULL,
    CONSTRAINT connection_categories_pkey PRIMARY KEY (workspace_id, connection_id, category),
    CONSTRAINT connection_categories_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX connection_categories_category_idx ON connection_categories (workspace_id, category, connection_id);

CREATE TABLE organizations (
    workspace_id text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    name         text COLLATE "C" NOT NULL,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT organizations_pkey PRIMARY KEY (workspace_id, id),
    CONSTRAINT organizations_name_key UNIQUE (workspace_id, name),
    CONSTRAINT organizations_workspace_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
);

-- Deleting an organization or a connection deletes its rows here (ON DELETE CASCADE).
CREATE TABLE organization_connections (
    workspace_id               text COLLATE "C" NOT NULL,
    organization_id            text COLLATE "C" NOT NULL,
    connection_id              text COLLATE "C" NOT NULL,
    assign_membership_on_login boolean NOT NULL,
    show_as_button             boolean NOT NULL,
    is_signup_enabled          boolean NOT NULL,
    access_level               text NOT NULL,
    is_enabled                 boolean NOT NULL,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    CONSTRAINT organization_connections_pkey PRIMARY KEY (workspace_id, organization_id, connection_id),
    CONSTRAINT organization_connections_organization_fkey FOREIGN KEY (workspace_id, organization_id)
        REFERENCES organizations (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT organization_connections_connection_fkey FOREIGN KEY (workspace_id, connection_id)
        REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX organization_connections_connection_idx ON organization_connections (workspace_id, connection_id);
CREATE INDEX organization_connections_enabled_idx
    ON organization_connections (workspace_id, organization_id, is_enabled, connection_id);

-- +goose Down
DROP TABLE organization_connections;
DROP TABLE organizations;
DROP TABLE connection_categories;
DROP INDEX connections_created_by_idx;
DROP INDEX connections_name_idx;
DROP INDEX connections_updated_idx;
ALTER TABLE connections DROP COLUMN categories, DROP COLUMN permissions;
