package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateAPIKey inserts k. Conflict "api_key.exists" when the id or hash is taken.
func (s *Store) CreateAPIKey(ctx context.Context, k *switchboard.APIKey, ev *switchboard.AuditEvent) error {
	scopes, err := marshal(k.Scopes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys
			(id, tenant_id, workspace_id, name, role, scopes, hash, prefix, created_at, created_by, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			k.ID, k.TenantID, k.WorkspaceID, k.Name, k.Role, scopes, k.Hash, k.Prefix,
			k.CreatedAt, k.CreatedBy, k.RevokedAt)
		return err
	})
}

const apiKeyColumns = `id, tenant_id, workspace_id, name, role, scopes, hash, prefix, created_at, created_by, revoked_at`

func scanAPIKey(row pgx.Row) (*switchboard.APIKey, error) {
	var (
		k      switchboard.APIKey
		scopes []byte
	)
	err := row.Scan(&k.ID, &k.TenantID, &k.WorkspaceID, &k.Name, &k.Role, &scopes, &k.Hash, &k.Prefix,
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

// GetAPIKeyByHash returns the key (revoked or not) whose hash is hash. NotFound.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*switchboard.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if err != nil {
		return nil, translate(err, "api_key")
	}
	return k, nil
}

// ListAPIKeys lists the keys of a tenant whose WorkspaceID is workspaceID, or all of the
// tenant's keys when workspaceID is "".
func (s *Store) ListAPIKeys(ctx context.Context, tenantID, workspaceID string, p switchboard.Page) ([]*switchboard.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE tenant_id = $1 AND ($2 = '' OR workspace_id = $2) AND id > $3
		ORDER BY id LIMIT $4`, tenantID, workspaceID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanAPIKey)
}

// RevokeAPIKey sets RevokedAt of the tenant's key id. NotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, at)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("api_key")
		}
		return nil
	})
}
