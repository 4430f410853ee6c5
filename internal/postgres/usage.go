package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateUsage inserts u. Conflict "usage.exists" when the connection already has a usage by
// that consumer; NotFound when the connection does not exist in u's workspace.
func (s *Store) CreateUsage(ctx context.Context, u *switchboard.Usage, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO usages (workspace_id, id, connection_id, consumer, created_at)
			VALUES ($1, $2, $3, $4, $5)`, u.WorkspaceID, u.ID, u.ConnectionID, u.Consumer, u.CreatedAt)
		return err
	})
}

func scanUsage(row pgx.Row) (*switchboard.Usage, error) {
	var u switchboard.Usage
	if err := row.Scan(&u.ID, &u.WorkspaceID, &u.ConnectionID, &u.Consumer, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// ListUsages returns the usages of a connection, oldest first (by creation time, then by
// insertion).
func (s *Store) ListUsages(ctx context.Context, workspaceID, connectionID string) ([]*switchboard.Usage, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, workspace_id, connection_id, consumer, created_at FROM usages
		WHERE workspace_id = $1 AND connection_id = $2 ORDER BY created_at, seq`, workspaceID, connectionID)
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanUsage)
}

// DeleteUsage removes one usage of a connection. NotFound.
func (s *Store) DeleteUsage(ctx context.Context, workspaceID, connectionID, usageID string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM usages WHERE workspace_id = $1 AND connection_id = $2 AND id = $3`,
			workspaceID, connectionID, usageID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("usage")
		}
		return nil
	})
}
