package sqlite

import (
	"context"
	"database/sql"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// CreateAccessKey inserts k, after checking its workspace exists in its tenant.
func (s *Store) CreateAccessKey(ctx context.Context, k *sb.AccessKey, ev *sb.AuditEvent) error {
	scopes, err := toJSON(k.Scopes)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ? AND tenant_id = ?`,
			k.WorkspaceID, k.TenantID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys
			(id, tenant_id, workspace_id, name, role, scopes, sealed, created_at, created_by, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.TenantID, k.WorkspaceID, k.Name, string(k.Role), scopes, k.Sealed,
			micros(k.CreatedAt), k.CreatedBy, nullMicros(k.RevokedAt))
		return err
	})
}

const accessKeyColumns = `id, tenant_id, workspace_id, name, role, scopes, sealed, created_at, created_by, revoked_at`

func scanAccessKey(r rowScanner) (*sb.AccessKey, error) {
	var k sb.AccessKey
	var created int64
	var revoked sql.NullInt64
	err := r.Scan(&k.ID, &k.TenantID, &k.WorkspaceID, &k.Name, &k.Role, jsonCol{&k.Scopes}, &k.Sealed,
		&created, &k.CreatedBy, &revoked)
	if err != nil {
		return nil, err
	}
	k.CreatedAt, k.RevokedAt = fromMicros(created), fromNullMicros(revoked)
	return &k, nil
}

// GetAccessKey returns the access key whose id is id, revoked or not.
func (s *Store) GetAccessKey(ctx context.Context, id string) (*sb.AccessKey, error) {
	k, err := scanAccessKey(s.read.QueryRowContext(ctx, `SELECT `+accessKeyColumns+` FROM access_keys WHERE id = ?`, id))
	if err != nil {
		return nil, s.notFound(err, "access_key")
	}
	return k, nil
}

// ListAccessKeys lists a tenant's access keys, only those of workspaceID unless it is "".
func (s *Store) ListAccessKeys(ctx context.Context, tenantID, workspaceID string, p sb.Page) ([]*sb.AccessKey, error) {
	if workspaceID == "" {
		return list(ctx, s, scanAccessKey, `SELECT `+accessKeyColumns+` FROM access_keys
			WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, p.After, limit(p))
	}
	return list(ctx, s, scanAccessKey, `SELECT `+accessKeyColumns+` FROM access_keys
		WHERE tenant_id = ? AND workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, workspaceID, p.After, limit(p))
}

// RevokeAccessKey sets the revocation time of the tenant's access key id, keeping an earlier one.
func (s *Store) RevokeAccessKey(ctx context.Context, tenantID, id string, at time.Time, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET revoked_at = COALESCE(revoked_at, ?)
			WHERE tenant_id = ? AND id = ?`, micros(at), tenantID, id)
		if err != nil {
			return err
		}
		return affected(res, "access_key")
	})
}
