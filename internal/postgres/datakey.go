package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateDataKey inserts the data key of a workspace. Conflict "data_key.exists" when the
// workspace has one already.
func (s *Store) CreateDataKey(ctx context.Context, k *switchboard.DataKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO data_keys (workspace_id, kek_id, wrapped, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5)`, k.WorkspaceID, k.KEKID, k.Wrapped, k.CreatedAt, k.UpdatedAt)
	return translate(err, "data_key")
}

const dataKeyColumns = `workspace_id, kek_id, wrapped, created_at, updated_at`

func scanDataKey(row pgx.Row) (*switchboard.DataKey, error) {
	var k switchboard.DataKey
	if err := row.Scan(&k.WorkspaceID, &k.KEKID, &k.Wrapped, &k.CreatedAt, &k.UpdatedAt); err != nil {
		return nil, err
	}
	k.CreatedAt, k.UpdatedAt = k.CreatedAt.UTC(), k.UpdatedAt.UTC()
	return &k, nil
}

// GetDataKey returns the data key of a workspace. NotFound.
func (s *Store) GetDataKey(ctx context.Context, workspaceID string) (*switchboard.DataKey, error) {
	k, err := scanDataKey(s.pool.QueryRow(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE workspace_id = $1`, workspaceID))
	if err != nil {
		return nil, translate(err, "data_key")
	}
	return k, nil
}

// ListDataKeys returns every data key, ordered by workspace id.
func (s *Store) ListDataKeys(ctx context.Context) ([]*switchboard.DataKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dataKeyColumns+` FROM data_keys ORDER BY workspace_id`)
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanDataKey)
}

// RewrapDataKey replaces the wrapped key of a workspace if it is still wrapped by oldKEKID.
// Conflict "data_key.changed" when it is not; NotFound when the workspace has no data key.
func (s *Store) RewrapDataKey(ctx context.Context, workspaceID, oldKEKID, newKEKID string, wrapped []byte) error {
	return s.inTx(ctx, nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE data_keys SET kek_id = $3, wrapped = $4, updated_at = $5
			WHERE workspace_id = $1 AND kek_id = $2`, workspaceID, oldKEKID, newKEKID, wrapped, switchboard.Now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		// Nothing matched: tell a missing key from one a concurrent rotation got to first.
		if ok, err := exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM data_keys WHERE workspace_id = $1)`, workspaceID); err != nil {
			return err
		} else if !ok {
			return switchboard.NotFound("data_key")
		}
		return switchboard.Conflict("data_key.changed")
	})
}

// PutKeyCheck records the check value of a key-encryption key if none is recorded yet; an
// existing one is kept unchanged, since it is what proves later keyrings right or wrong.
func (s *Store) PutKeyCheck(ctx context.Context, kekID string, check []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO key_checks (kek_id, check_value) VALUES ($1, $2)
		ON CONFLICT (kek_id) DO NOTHING`, kekID, check)
	return translate(err, "")
}

// KeyChecks returns every recorded check value by key id.
func (s *Store) KeyChecks(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT kek_id, check_value FROM key_checks`)
	if err != nil {
		return nil, translate(err, "")
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var (
			id    string
			check []byte
		)
		if err := rows.Scan(&id, &check); err != nil {
			return nil, translate(err, "")
		}
		out[id] = check
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "")
	}
	return out, nil
}
