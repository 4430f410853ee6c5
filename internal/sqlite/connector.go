package sqlite

import (
	"context"
	"database/sql"

	sb "github.com/switchboardhq/switchboard"
)

// CreateConnector inserts a workspace connector and its first version, which becomes its
// LatestVersion.
func (s *Store) CreateConnector(ctx context.Context, c *sb.Connector, v *sb.ConnectorVersion, ev *sb.AuditEvent) error {
	categories, err := toJSON(c.Categories)
	if err != nil {
		return sb.Internal(err)
	}
	latest := c.LatestVersion
	if v != nil {
		latest = v.Version
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, c.WorkspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO connectors
			(id, workspace_id, key, name, description, categories, latest_version, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.WorkspaceID, c.Key, c.Name, c.Description, categories, latest, micros(c.CreatedAt), c.CreatedBy)
		if err != nil || v == nil {
			return err
		}
		return insertVersion(ctx, tx, v)
	})
	if err == nil {
		c.LatestVersion = latest
	}
	return withArgs(err, "Key", c.Key, "Version", latest)
}

func insertVersion(ctx context.Context, tx *sql.Tx, v *sb.ConnectorVersion) error {
	var cols [3]string
	for i, list := range [][]string{v.AuthSchemes, v.Slots, v.Permissions} {
		var err error
		if cols[i], err = toJSON(list); err != nil {
			return sb.Internal(err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO connector_versions
		(connector_id, workspace_id, version, schema, auth_schemes, slots, permissions, health_check, oauth2, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ConnectorID, v.WorkspaceID, v.Version, string(v.Schema), cols[0], cols[1], cols[2],
		rawText(v.HealthCheck), rawText(v.OAuth2), micros(v.CreatedAt))
	return err
}

const connectorColumns = `id, workspace_id, key, name, description, categories, latest_version, created_at, created_by`

func scanConnector(r rowScanner) (*sb.Connector, error) {
	var c sb.Connector
	var created int64
	err := r.Scan(&c.ID, &c.WorkspaceID, &c.Key, &c.Name, &c.Description, jsonCol{&c.Categories},
		&c.LatestVersion, &created, &c.CreatedBy)
	if err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

// GetConnector returns the workspace's connector whose id or key is idOrKey.
func (s *Store) GetConnector(ctx context.Context, workspaceID, idOrKey string) (*sb.Connector, error) {
	// Should a key ever equal another connector's id, the id wins.
	c, err := scanConnector(s.read.QueryRowContext(ctx, `SELECT `+connectorColumns+` FROM connectors
		WHERE workspace_id = ? AND (id = ? OR key = ?) ORDER BY id = ? DESC LIMIT 1`,
		workspaceID, idOrKey, idOrKey, idOrKey))
	if err != nil {
		return nil, s.notFound(err, "connector")
	}
	return c, nil
}

// ListConnectors lists the workspace's own connectors.
func (s *Store) ListConnectors(ctx context.Context, workspaceID string, p sb.Page) ([]*sb.Connector, error) {
	return list(ctx, s, scanConnector, `SELECT `+connectorColumns+` FROM connectors
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, p.After, limit(p))
}

// CreateConnectorVersion adds a version and makes it the connector's LatestVersion.
func (s *Store) CreateConnectorVersion(ctx context.Context, v *sb.ConnectorVersion, ev *sb.AuditEvent) error {
	return withArgs(s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE connectors SET latest_version = ? WHERE workspace_id = ? AND id = ?`,
			v.Version, v.WorkspaceID, v.ConnectorID)
		if err != nil {
			return err
		}
		if err := affected(res, "connector"); err != nil {
			return err
		}
		return insertVersion(ctx, tx, v)
	}), "Version", v.Version)
}

const versionColumns = `connector_id, workspace_id, version, schema, auth_schemes, slots, permissions,
	health_check, oauth2, created_at`

func scanVersion(r rowScanner) (*sb.ConnectorVersion, error) {
	var v sb.ConnectorVersion
	var created int64
	err := r.Scan(&v.ConnectorID, &v.WorkspaceID, &v.Version, rawCol{&v.Schema}, jsonCol{&v.AuthSchemes},
		jsonCol{&v.Slots}, jsonCol{&v.Permissions}, rawCol{&v.HealthCheck}, rawCol{&v.OAuth2}, &created)
	if err != nil {
		return nil, err
	}
	v.CreatedAt = fromMicros(created)
	return &v, nil
}

// GetConnectorVersion returns one version of a workspace connector.
func (s *Store) GetConnectorVersion(ctx context.Context, workspaceID, connectorID, version string) (*sb.ConnectorVersion, error) {
	v, err := scanVersion(s.read.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM connector_versions
		WHERE workspace_id = ? AND connector_id = ? AND version = ?`, workspaceID, connectorID, version))
	if err != nil {
		return nil, s.notFound(err, "connector_version")
	}
	return v, nil
}

// ListConnectorVersions returns every version of a connector, oldest first; NotFound when the
// workspace has no such connector.
func (s *Store) ListConnectorVersions(ctx context.Context, workspaceID, connectorID string) ([]*sb.ConnectorVersion, error) {
	if _, err := s.GetConnector(ctx, workspaceID, connectorID); err != nil {
		return nil, err
	}
	// Version strings do not sort ("10.0" < "9.0"); creation order does, with rowid
	// breaking ties between versions created in the same microsecond.
	return list(ctx, s, scanVersion, `SELECT `+versionColumns+` FROM connector_versions
		WHERE workspace_id = ? AND connector_id = ? ORDER BY created_at, rowid`, workspaceID, connectorID)
}
