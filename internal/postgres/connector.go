package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateConnector inserts a workspace connector with its first version, which becomes its
// LatestVersion when c does not name one. Conflict "connector.key_taken" when the workspace
// has a connector with that key.
func (s *Store) CreateConnector(ctx context.Context, c *switchboard.Connector, v *switchboard.ConnectorVersion, ev *switchboard.AuditEvent) error {
	if c.LatestVersion == "" {
		c.LatestVersion = v.Version
	}
	v.ConnectorID, v.WorkspaceID = c.ID, c.WorkspaceID
	categories, err := marshal(c.Categories)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO connectors
			(workspace_id, id, key, name, description, categories, latest_version, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.WorkspaceID, c.ID, c.Key, c.Name, c.Description, categories, c.LatestVersion, c.CreatedAt, c.CreatedBy)
		if err != nil {
			return err
		}
		return insertConnectorVersion(ctx, tx, v)
	}, "Key", c.Key, "Version", v.Version)
}

const connectorColumns = `id, workspace_id, key, name, description, categories, latest_version, created_at, created_by`

func scanConnector(row pgx.Row) (*switchboard.Connector, error) {
	var (
		c          switchboard.Connector
		categories []byte
	)
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.Key, &c.Name, &c.Description, &categories, &c.LatestVersion,
		&c.CreatedAt, &c.CreatedBy)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(categories, &c.Categories); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

// GetConnector returns the workspace's connector whose id or key is idOrKey. NotFound.
func (s *Store) GetConnector(ctx context.Context, workspaceID, idOrKey string) (*switchboard.Connector, error) {
	// Should one connector's key equal another's id, the id wins: ids are what references hold.
	c, err := scanConnector(s.pool.QueryRow(ctx, `SELECT `+connectorColumns+` FROM connectors
		WHERE workspace_id = $1 AND (id = $2 OR key = $2) ORDER BY id = $2 DESC LIMIT 1`, workspaceID, idOrKey))
	if err != nil {
		return nil, translate(err, "connector")
	}
	return c, nil
}

// ListConnectors lists the workspace's own connectors.
func (s *Store) ListConnectors(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Connector, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectorColumns+` FROM connectors
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanConnector)
}

// CreateConnectorVersion adds a version and makes it the connector's LatestVersion. Conflict
// "connector_version.exists"; NotFound when the connector does not exist.
func (s *Store) CreateConnectorVersion(ctx context.Context, v *switchboard.ConnectorVersion, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE connectors SET latest_version = $3 WHERE workspace_id = $1 AND id = $2`,
			v.WorkspaceID, v.ConnectorID, v.Version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("connector")
		}
		return insertConnectorVersion(ctx, tx, v)
	}, "Version", v.Version)
}

func insertConnectorVersion(ctx context.Context, tx pgx.Tx, v *switchboard.ConnectorVersion) error {
	authSchemes, err := marshal(v.AuthSchemes)
	if err != nil {
		return err
	}
	slots, err := marshal(v.Slots)
	if err != nil {
		return err
	}
	permissions, err := marshal(v.Permissions)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO connector_versions
		(workspace_id, connector_id, version, schema, auth_schemes, slots, permissions, health_check, oauth2, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		v.WorkspaceID, v.ConnectorID, v.Version, rawJSON(v.Schema), authSchemes, slots, permissions,
		rawJSON(v.HealthCheck), rawJSON(v.OAuth2), v.CreatedAt)
	return err
}

const connectorVersionColumns = `connector_id, workspace_id, version, schema, auth_schemes, slots, permissions,
	health_check, oauth2, created_at`

func scanConnectorVersion(row pgx.Row) (*switchboard.ConnectorVersion, error) {
	var (
		v                               switchboard.ConnectorVersion
		schema, healthCheck, oauth2     []byte
		authSchemes, slots, permissions []byte
	)
	err := row.Scan(&v.ConnectorID, &v.WorkspaceID, &v.Version, &schema, &authSchemes, &slots, &permissions,
		&healthCheck, &oauth2, &v.CreatedAt)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		b []byte
		v any
	}{{authSchemes, &v.AuthSchemes}, {slots, &v.Slots}, {permissions, &v.Permissions}} {
		if err := unmarshal(f.b, f.v); err != nil {
			return nil, err
		}
	}
	v.Schema, v.HealthCheck, v.OAuth2 = raw(schema), raw(healthCheck), raw(oauth2)
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
}

// GetConnectorVersion returns one version. NotFound.
func (s *Store) GetConnectorVersion(ctx context.Context, workspaceID, connectorID, version string) (*switchboard.ConnectorVersion, error) {
	v, err := scanConnectorVersion(s.pool.QueryRow(ctx, `SELECT `+connectorVersionColumns+` FROM connector_versions
		WHERE workspace_id = $1 AND connector_id = $2 AND version = $3`, workspaceID, connectorID, version))
	if err != nil {
		return nil, translate(err, "connector_version")
	}
	return v, nil
}

// ListConnectorVersions returns every version of a connector, oldest first (by creation time,
// then by insertion).
func (s *Store) ListConnectorVersions(ctx context.Context, workspaceID, connectorID string) ([]*switchboard.ConnectorVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectorVersionColumns+` FROM connector_versions
		WHERE workspace_id = $1 AND connector_id = $2 ORDER BY created_at, seq`, workspaceID, connectorID)
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanConnectorVersion)
}
