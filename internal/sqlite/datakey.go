package sqlite

import (
	"context"
	"database/sql"

	sb "github.com/switchboardhq/switchboard"
)

// CreateDataKey inserts the data key of a workspace.
func (s *Store) CreateDataKey(ctx context.Context, k *sb.DataKey) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, k.WorkspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO data_keys (workspace_id, kek_id, wrapped, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)`, k.WorkspaceID, k.KEKID, k.Wrapped, micros(k.CreatedAt), micros(k.UpdatedAt))
		return err
	})
}

const dataKeyColumns = `workspace_id, kek_id, wrapped, created_at, updated_at`

func scanDataKey(r rowScanner) (*sb.DataKey, error) {
	var k sb.DataKey
	var created, updated int64
	if err := r.Scan(&k.WorkspaceID, &k.KEKID, &k.Wrapped, &created, &updated); err != nil {
		return nil, err
	}
	k.CreatedAt, k.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &k, nil
}

// GetDataKey returns the data key of a workspace.
func (s *Store) GetDataKey(ctx context.Context, workspaceID string) (*sb.DataKey, error) {
	k, err := scanDataKey(s.read.QueryRowContext(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE workspace_id = ?`, workspaceID))
	if err != nil {
		return nil, s.notFound(err, "data_key")
	}
	return k, nil
}

// ListDataKeys returns every data key, ordered by workspace id.
func (s *Store) ListDataKeys(ctx context.Context) ([]*sb.DataKey, error) {
	return list(ctx, s, scanDataKey, `SELECT `+dataKeyColumns+` FROM data_keys ORDER BY workspace_id`)
}

// RewrapDataKey replaces the wrapped key of a workspace if oldKEKID still wraps it.
func (s *Store) RewrapDataKey(ctx context.Context, workspaceID, oldKEKID, newKEKID string, wrapped []byte) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		// The kek_id condition makes this a compare-and-swap: of two rotations racing, the
		// second finds the key already moved on.
		res, err := tx.ExecContext(ctx, `UPDATE data_keys SET kek_id = ?, wrapped = ?, updated_at = ?
			WHERE workspace_id = ? AND kek_id = ?`, newKEKID, wrapped, micros(sb.Now()), workspaceID, oldKEKID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		if err := exists(ctx, tx, "data_key", `SELECT 1 FROM data_keys WHERE workspace_id = ?`, workspaceID); err != nil {
			return err
		}
		return sb.Conflict("data_key.changed")
	})
}

// PutKeyCheck records the check value of a key-encryption key unless one is recorded.
func (s *Store) PutKeyCheck(ctx context.Context, kekID string, check []byte) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO key_checks (kek_id, "check") VALUES (?, ?)
			ON CONFLICT (kek_id) DO NOTHING`, kekID, check)
		return err
	})
}

// KeyChecks returns every recorded check value by key id.
func (s *Store) KeyChecks(ctx context.Context) (map[string][]byte, error) {
	type pair struct {
		id    string
		check []byte
	}
	rows, err := list(ctx, s, func(r rowScanner) (pair, error) {
		var p pair
		err := r.Scan(&p.id, &p.check)
		return p, err
	}, `SELECT kek_id, "check" FROM key_checks`)
	if err != nil {
		return nil, err
	}
	checks := make(map[string][]byte, len(rows))
	for _, p := range rows {
		checks[p.id] = p.check
	}
	return checks, nil
}
