package sqlite

import (
	"context"
	"database/sql"

	sb "github.com/switchboardhq/switchboard"
)

// CreateTenant inserts t.
func (s *Store) CreateTenant(ctx context.Context, t *sb.Tenant) error {
	return withArgs(s.inTx(ctx, nil, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`,
			t.ID, t.Name, micros(t.CreatedAt))
		return err
	}), "ID", t.ID)
}

// GetTenant returns the tenant with id.
func (s *Store) GetTenant(ctx context.Context, id string) (*sb.Tenant, error) {
	var t sb.Tenant
	var created int64
	err := s.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id).
		Scan(&t.ID, &t.Name, &created)
	if err != nil {
		return nil, s.notFound(err, "tenant")
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// CreateWorkspace inserts w.
func (s *Store) CreateWorkspace(ctx context.Context, w *sb.Workspace, ev *sb.AuditEvent) error {
	return withArgs(s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "tenant", `SELECT 1 FROM tenants WHERE id = ?`, w.TenantID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)`,
			w.ID, w.TenantID, w.Name, micros(w.CreatedAt))
		return err
	}), "ID", w.ID)
}

const workspaceColumns = `id, tenant_id, name, created_at`

func scanWorkspace(r rowScanner) (*sb.Workspace, error) {
	var w sb.Workspace
	var created int64
	if err := r.Scan(&w.ID, &w.TenantID, &w.Name, &created); err != nil {
		return nil, err
	}
	w.CreatedAt = fromMicros(created)
	return &w, nil
}

// GetWorkspace returns the workspace with id.
func (s *Store) GetWorkspace(ctx context.Context, id string) (*sb.Workspace, error) {
	w, err := scanWorkspace(s.read.QueryRowContext(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`, id))
	if err != nil {
		return nil, s.notFound(err, "workspace")
	}
	return w, nil
}

// ListWorkspaces lists the workspaces of a tenant.
func (s *Store) ListWorkspaces(ctx context.Context, tenantID string, p sb.Page) ([]*sb.Workspace, error) {
	return list(ctx, s, scanWorkspace, `SELECT `+workspaceColumns+` FROM workspaces
		WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, p.After, limit(p))
}
