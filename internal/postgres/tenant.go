package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateTenant inserts t. Conflict "tenant.exists" when the id is taken.
func (s *Store) CreateTenant(ctx context.Context, t *switchboard.Tenant) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)`,
		t.ID, t.Name, t.CreatedAt)
	return translate(err, "tenant", "ID", t.ID)
}

// GetTenant returns the tenant with id. NotFound.
func (s *Store) GetTenant(ctx context.Context, id string) (*switchboard.Tenant, error) {
	var t switchboard.Tenant
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM tenants WHERE id = $1`, id).
		Scan(&t.ID, &t.Name, &t.CreatedAt)
	if err != nil {
		return nil, translate(err, "tenant")
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// CreateWorkspace inserts w. Conflict "workspace.exists" when the id is taken; NotFound when
// the tenant does not exist.
func (s *Store) CreateWorkspace(ctx context.Context, w *switchboard.Workspace, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO workspaces (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)`,
			w.ID, w.TenantID, w.Name, w.CreatedAt)
		return err
	}, "ID", w.ID)
}

const workspaceColumns = `id, tenant_id, name, created_at`

func scanWorkspace(row pgx.Row) (*switchboard.Workspace, error) {
	var w switchboard.Workspace
	if err := row.Scan(&w.ID, &w.TenantID, &w.Name, &w.CreatedAt); err != nil {
		return nil, err
	}
	w.CreatedAt = w.CreatedAt.UTC()
	return &w, nil
}

// GetWorkspace returns the workspace with id. NotFound.
func (s *Store) GetWorkspace(ctx context.Context, id string) (*switchboard.Workspace, error) {
	w, err := scanWorkspace(s.pool.QueryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err, "workspace")
	}
	return w, nil
}

// ListWorkspaces lists the workspaces of a tenant, by id.
func (s *Store) ListWorkspaces(ctx context.Context, tenantID string, p switchboard.Page) ([]*switchboard.Workspace, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+workspaceColumns+` FROM workspaces
		WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`, tenantID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanWorkspace)
}
