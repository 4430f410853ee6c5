package sqlite

import (
	"context"
	"database/sql"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// CreateAPIKey inserts k.
func (s *Store) CreateAPIKey(ctx context.Context, k *sb.APIKey, ev *sb.AuditEvent) error {
	scopes, err := toJSON(k.Scopes)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "tenant", `SELECT 1 FROM tenants WHERE id = ?`, k.TenantID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys
			(id, tenant_id, workspace_id, name, role, scopes, hash, prefix, created_at, created_by, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.TenantID, k.WorkspaceID, k.Name, string(k.Role), scopes, k.Hash, k.Prefix,
			micros(k.CreatedAt), k.CreatedBy, nullMicros(k.RevokedAt))
		return err
	})
}

const apiKeyColumns = `id, tenant_id, workspace_id, name, role, scopes, hash, prefix, created_at, created_by, revoked_at`

func scanAPIKey(r rowScanner) (*sb.APIKey, error) {
	var k sb.APIKey
	var created int64
	var revoked sql.NullInt64
	err := r.Scan(&k.ID, &k.TenantID, &k.WorkspaceID, &k.Name, &k.Role, jsonCol{&k.Scopes}, &k.Hash, &k.Prefix,
		&created, &k.CreatedBy, &revoked)
	if err != nil {
		return nil, err
	}
	k.CreatedAt, k.RevokedAt = fromMicros(created), fromNullMicros(revoked)
	return &k, nil
}

// GetAPIKeyByHash returns the key whose hash is hash, revoked or not.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*sb.APIKey, error) {
	k, err := scanAPIKey(s.read.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		return nil, s.notFound(err, "api_key")
	}
	return k, nil
}

// ListAPIKeys lists a tenant's keys, only those of workspaceID unless it is "".
func (s *Store) ListAPIKeys(ctx context.Context, tenantID, workspaceID string, p sb.Page) ([]*sb.APIKey, error) {
	if workspaceID == "" {
		return list(ctx, s, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys
			WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, p.After, limit(p))
	}
	return list(ctx, s, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE tenant_id = ? AND workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, workspaceID, p.After, limit(p))
}

// RevokeAPIKey sets the revocation time of the tenant's key id.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ?`,
			micros(at), tenantID, id)
		if err != nil {
			return err
		}
		return affected(res, "api_key")
	})
}
