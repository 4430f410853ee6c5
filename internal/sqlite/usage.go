package sqlite

import (
	"context"
	"database/sql"

	sb "github.com/switchboardhq/switchboard"
)

// CreateUsage inserts u for a connection of its workspace.
func (s *Store) CreateUsage(ctx context.Context, u *sb.Usage, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		// The foreign key alone would accept a connection of another workspace.
		if err := exists(ctx, tx, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`,
			u.WorkspaceID, u.ConnectionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usages (id, workspace_id, connection_id, consumer, created_at)
			VALUES (?, ?, ?, ?, ?)`, u.ID, u.WorkspaceID, u.ConnectionID, u.Consumer, micros(u.CreatedAt))
		return err
	})
}

func scanUsage(r rowScanner) (*sb.Usage, error) {
	var u sb.Usage
	var created int64
	if err := r.Scan(&u.ID, &u.WorkspaceID, &u.ConnectionID, &u.Consumer, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

// ListUsages returns the usages of a connection, oldest first.
func (s *Store) ListUsages(ctx context.Context, workspaceID, connectionID string) ([]*sb.Usage, error) {
	return list(ctx, s, scanUsage, `SELECT id, workspace_id, connection_id, consumer, created_at FROM usages
		WHERE workspace_id = ? AND connection_id = ? ORDER BY created_at, id`, workspaceID, connectionID)
}

// DeleteUsage removes one usage of a connection.
func (s *Store) DeleteUsage(ctx context.Context, workspaceID, connectionID, usageID string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM usages WHERE workspace_id = ? AND connection_id = ? AND id = ?`,
			workspaceID, connectionID, usageID)
		if err != nil {
			return err
		}
		return affected(res, "usage")
	})
}
