package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateAccessKey inserts k. Conflict "access_key.exists" when the id is taken; NotFound when
// k's workspace does not exist in k's tenant.
func (s *Store) CreateAccessKey(ctx context.Context, k *switchboard.AccessKey, ev *switchboard.AuditEvent) error {
	scopes, err := marshal(k.Scopes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		// The foreign key alone would accept a workspace of another tenant.
		ok, err := exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM workspaces WHERE id = $1 AND tenant_id = $2)`,
			k.WorkspaceID, k.TenantID)
		if err != nil {
			return err
		}
		if !ok {
			return switchboard.NotFound("workspace")
		}
		_, err = tx.Exec(ctx, `INSERT INTO access_keys
			(id, tenant_id, workspace_id, name, role, scopes, sealed, created_at, created_by, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			k.ID, k.TenantID, k.WorkspaceID, k.Name, k.Role, scopes, k.Sealed, k.CreatedAt, k.CreatedBy, k.RevokedAt)
		return err
	})
}

const accessKeyColumns = `id, tenant_id, workspace_id, name, role, scopes, sealed, created_at, created_by, revoked_at`

func scanAccessKey(row pgx.Row) (*switchboard.AccessKey, error) {
	var (
		k      switchboard.AccessKey
		scopes []byte
	)
	err := row.Scan(&k.ID, &k.TenantID, &k.WorkspaceID, &k.Name, &k.Role, &scopes, &k.Sealed,
		&k.CreatedAt, &k.CreatedBy, &k.RevokedAt)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(scopes, &k.Scopes); err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.RevokedAt = utc(k.RevokedAt)
	return &k, nil
}

// GetAccessKey returns the access key (revoked or not) whose id is id. NotFound.
func (s *Store) GetAccessKey(ctx context.Context, id string) (*switchboard.AccessKey, error) {
	k, err := scanAccessKey(s.pool.QueryRow(ctx, `SELECT `+accessKeyColumns+` FROM access_keys WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err, "access_key")
	}
	return k, nil
}

// ListAccessKeys lists the access keys of a tenant whose WorkspaceID is workspaceID, or all of
// the tenant's when workspaceID is "".
func (s *Store) ListAccessKeys(ctx context.Context, tenantID, workspaceID string, p switchboard.Page) ([]*switchboard.AccessKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accessKeyColumns+` FROM access_keys
		WHERE tenant_id = $1 AND ($2 = '' OR workspace_id = $2) AND id > $3
		ORDER BY id LIMIT $4`, tenantID, workspaceID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanAccessKey)
}

// RevokeAccessKey sets RevokedAt of the tenant's access key id, keeping an earlier one. NotFound.
func (s *Store) RevokeAccessKey(ctx context.Context, tenantID, id string, at time.Time, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE access_keys SET revoked_at = COALESCE(revoked_at, $3)
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, at)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("access_key")
		}
		return nil
	})
}
