package sqlite

import (
	"context"
	"database/sql"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// connectionArgs are the encoded columns of a connection, from connector_id to request_hash
// in the order of connectionColumns.
func connectionArgs(c *sb.Connection) ([]any, error) {
	var docs [4]string
	for i, v := range []any{c.Config, c.Variables, c.Credentials, c.Tags} {
		var err error
		if docs[i], err = toJSON(v); err != nil {
			return nil, sb.Internal(err)
		}
	}
	return []any{
		c.ConnectorID, c.ConnectorVersion, c.Name, c.Description, docs[0], c.Sealed, docs[1], docs[2],
		string(c.Status), c.Enabled, c.Paused, c.Environment, c.ExternalXref, docs[3],
		nullMicros(c.Health.LastHealthyAt), nullMicros(c.Health.LastUnhealthyAt), c.Health.LastError,
		micros(c.UpdatedAt), c.UpdatedBy, nullString(c.IdempotencyKey), c.RequestHash,
	}, nil
}

// writeRefs replaces the index rows of c's tags and credential references.
func writeRefs(ctx context.Context, tx *sql.Tx, c *sb.Connection, replace bool) error {
	if replace {
		for _, table := range []string{"connection_tags", "connection_credentials"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE connection_id = ?`, c.ID); err != nil {
				return err
			}
		}
	}
	// OR IGNORE: a tag listed twice, or a credential in both slots, is one row, so the tag
	// filter returns the connection once and CountCredentialUses counts it once.
	for _, tag := range c.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO connection_tags (connection_id, workspace_id, tag)
			VALUES (?, ?, ?)`, c.ID, c.WorkspaceID, tag); err != nil {
			return err
		}
	}
	for _, id := range c.Credentials.All() {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO connection_credentials (connection_id, workspace_id, credential_id)
			VALUES (?, ?, ?)`, c.ID, c.WorkspaceID, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateConnection inserts c with revision 1.
func (s *Store) CreateConnection(ctx context.Context, c *sb.Connection, ev *sb.AuditEvent) error {
	args, err := connectionArgs(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, c.WorkspaceID); err != nil {
			return err
		}
		all := append([]any{c.ID, c.WorkspaceID}, args...)
		all = append(all, micros(c.CreatedAt), c.CreatedBy)
		_, err := tx.ExecContext(ctx, `INSERT INTO connections (id, workspace_id, `+connectionColumns+`,
			created_at, created_by, revision) VALUES (?, ?`+strings.Repeat(", ?", len(args)+2)+`, 1)`, all...)
		if err != nil {
			return err
		}
		return writeRefs(ctx, tx, c, false)
	})
	if err == nil {
		c.Revision = 1
	}
	return withArgs(err, "Name", c.Name)
}

// connectionColumns are the columns an update rewrites.
const connectionColumns = `connector_id, connector_version, name, description, config, sealed, variables,
	credentials, status, enabled, paused, environment, external_xref, tags, last_healthy_at, last_unhealthy_at,
	last_error, updated_at, updated_by, idempotency_key, request_hash`

// selectConnection reads every column of c plus its usage count, counted with the unique
// (connection_id, consumer) index.
const selectConnection = `SELECT c.id, c.workspace_id, c.connector_id, c.connector_version, c.name,
	c.description, c.config, c.sealed, c.variables, c.credentials, c.status, c.enabled, c.paused,
	c.environment, c.external_xref, c.tags, c.last_healthy_at, c.last_unhealthy_at, c.last_error,
	c.created_at, c.updated_at, c.created_by, c.updated_by, c.revision, c.idempotency_key, c.request_hash,
	(SELECT COUNT(*) FROM usages u WHERE u.connection_id = c.id)
	FROM connections c`

func scanConnection(r rowScanner) (*sb.Connection, error) {
	var c sb.Connection
	var healthy, unhealthy sql.NullInt64
	var created, updated int64
	var idem sql.NullString
	err := r.Scan(&c.ID, &c.WorkspaceID, &c.ConnectorID, &c.ConnectorVersion, &c.Name,
		&c.Description, jsonCol{&c.Config}, &c.Sealed, jsonCol{&c.Variables}, jsonCol{&c.Credentials},
		&c.Status, &c.Enabled, &c.Paused, &c.Environment, &c.ExternalXref, jsonCol{&c.Tags},
		&healthy, &unhealthy, &c.Health.LastError, &created, &updated, &c.CreatedBy, &c.UpdatedBy,
		&c.Revision, &idem, &c.RequestHash, &c.UsageCount)
	if err != nil {
		return nil, err
	}
	c.Health.LastHealthyAt, c.Health.LastUnhealthyAt = fromNullMicros(healthy), fromNullMicros(unhealthy)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	c.IdempotencyKey = idem.String
	return &c, nil
}

// GetConnection returns one connection of a workspace with its usage count.
func (s *Store) GetConnection(ctx context.Context, workspaceID, id string) (*sb.Connection, error) {
	c, err := scanConnection(s.read.QueryRowContext(ctx, selectConnection+` WHERE c.workspace_id = ? AND c.id = ?`, workspaceID, id))
	if err != nil {
		return nil, s.notFound(err, "connection")
	}
	return c, nil
}

// GetConnectionByIdempotencyKey returns the workspace's connection created with key.
func (s *Store) GetConnectionByIdempotencyKey(ctx context.Context, workspaceID, key string) (*sb.Connection, error) {
	c, err := scanConnection(s.read.QueryRowContext(ctx, selectConnection+` WHERE c.workspace_id = ? AND c.idempotency_key = ?`, workspaceID, key))
	if err != nil {
		return nil, s.notFound(err, "connection")
	}
	return c, nil
}

// ListConnections lists a workspace's connections matching f.
func (s *Store) ListConnections(ctx context.Context, workspaceID string, f sb.ConnectionFilter) ([]*sb.Connection, error) {
	where := []string{"c.workspace_id = ?", "c.id > ?"}
	args := []any{workspaceID, f.After}
	for _, cond := range []struct{ column, value string }{
		{"c.connector_id", f.ConnectorID},
		{"c.status", string(f.Status)},
		{"c.environment", f.Environment},
		{"c.external_xref", f.ExternalXref},
	} {
		if cond.value != "" {
			where = append(where, cond.column+" = ?")
			args = append(args, cond.value)
		}
	}
	if f.Tag != "" {
		// IN rather than a join: a connection appears once however the tag index is read.
		where = append(where, "c.id IN (SELECT connection_id FROM connection_tags WHERE workspace_id = ? AND tag = ?)")
		args = append(args, workspaceID, f.Tag)
	}
	args = append(args, limit(f.Page))
	return list(ctx, s, scanConnection, selectConnection+` WHERE `+strings.Join(where, " AND ")+` ORDER BY c.id LIMIT ?`, args...)
}

// UpdateConnection stores c if its stored revision is still c.Revision, then increments
// c.Revision.
func (s *Store) UpdateConnection(ctx context.Context, c *sb.Connection, ev *sb.AuditEvent) error {
	args, err := connectionArgs(c)
	if err != nil {
		return err
	}
	set := strings.Split(connectionColumns, ",")
	for i := range set {
		set[i] = strings.TrimSpace(set[i]) + " = ?"
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE connections SET `+strings.Join(set, ", ")+`, revision = revision + 1
			WHERE workspace_id = ? AND id = ? AND revision = ?`, append(args, c.WorkspaceID, c.ID, c.Revision)...)
		if err != nil {
			return err
		}
		err = stale(ctx, tx, res, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`, c.WorkspaceID, c.ID)
		if err != nil {
			return err
		}
		return writeRefs(ctx, tx, c, true)
	})
	if err == nil {
		c.Revision++
	}
	return withArgs(err, "Name", c.Name)
}

// DeleteConnection removes one connection; its usages, tags and references go with it
// (ON DELETE CASCADE).
func (s *Store) DeleteConnection(ctx context.Context, workspaceID, id string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM connections WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return err
		}
		return affected(res, "connection")
	})
}
