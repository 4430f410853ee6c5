package sqlite

import (
	"context"
	"database/sql"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// CreateOrganization inserts o.
func (s *Store) CreateOrganization(ctx context.Context, o *sb.Organization, ev *sb.AuditEvent) error {
	return withArgs(s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, o.WorkspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, workspace_id, name, display_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, o.ID, o.WorkspaceID, o.Name, o.DisplayName, micros(o.CreatedAt), micros(o.UpdatedAt))
		return err
	}), "Name", o.Name)
}

const organizationColumns = `id, workspace_id, name, display_name, created_at, updated_at`

func scanOrganization(r rowScanner) (*sb.Organization, error) {
	var o sb.Organization
	var created, updated int64
	if err := r.Scan(&o.ID, &o.WorkspaceID, &o.Name, &o.DisplayName, &created, &updated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, nil
}

// GetOrganization returns the workspace's organization whose id or name is idOrName.
func (s *Store) GetOrganization(ctx context.Context, workspaceID, idOrName string) (*sb.Organization, error) {
	// Should a name ever equal another organization's id, the id wins.
	o, err := scanOrganization(s.read.QueryRowContext(ctx, `SELECT `+organizationColumns+` FROM organizations
		WHERE workspace_id = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1`,
		workspaceID, idOrName, idOrName, idOrName))
	if err != nil {
		return nil, s.notFound(err, "organization")
	}
	return o, nil
}

// ListOrganizations lists a workspace's organizations.
func (s *Store) ListOrganizations(ctx context.Context, workspaceID string, p sb.Page) ([]*sb.Organization, error) {
	return list(ctx, s, scanOrganization, `SELECT `+organizationColumns+` FROM organizations
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, p.After, limit(p))
}

// UpdateOrganization stores o's name, display name and update time.
func (s *Store) UpdateOrganization(ctx context.Context, o *sb.Organization, ev *sb.AuditEvent) error {
	return withArgs(s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE organizations SET name = ?, display_name = ?, updated_at = ?
			WHERE workspace_id = ? AND id = ?`, o.Name, o.DisplayName, micros(o.UpdatedAt), o.WorkspaceID, o.ID)
		if err != nil {
			return err
		}
		return affected(res, "organization")
	}), "Name", o.Name)
}

// DeleteOrganization removes an organization; its organization connections go with it (ON
// DELETE CASCADE).
func (s *Store) DeleteOrganization(ctx context.Context, workspaceID, id string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM organizations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return err
		}
		return affected(res, "organization")
	})
}

// CreateOrganizationConnection inserts oc for an organization and a connection of its
// workspace.
func (s *Store) CreateOrganizationConnection(ctx context.Context, oc *sb.OrganizationConnection, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		// The foreign keys alone would accept parents of another workspace.
		if err := exists(ctx, tx, "organization", `SELECT 1 FROM organizations WHERE workspace_id = ? AND id = ?`,
			oc.WorkspaceID, oc.OrganizationID); err != nil {
			return err
		}
		if err := exists(ctx, tx, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`,
			oc.WorkspaceID, oc.ConnectionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO organization_connections (organization_id, connection_id, workspace_id,
			name, assign_membership_on_login, show_as_button, is_signup_enabled, access_level, is_enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			oc.OrganizationID, oc.ConnectionID, oc.WorkspaceID, oc.Name, oc.AssignMembershipOnLogin, oc.ShowAsButton,
			oc.IsSignupEnabled, oc.AccessLevel, oc.IsEnabled, micros(oc.CreatedAt), micros(oc.UpdatedAt))
		return err
	})
}

const organizationConnectionColumns = `workspace_id, organization_id, connection_id, name, assign_membership_on_login,
	show_as_button, is_signup_enabled, access_level, is_enabled, created_at, updated_at`

func scanOrganizationConnection(r rowScanner) (*sb.OrganizationConnection, error) {
	var oc sb.OrganizationConnection
	var created, updated int64
	err := r.Scan(&oc.WorkspaceID, &oc.OrganizationID, &oc.ConnectionID, &oc.Name, &oc.AssignMembershipOnLogin,
		&oc.ShowAsButton, &oc.IsSignupEnabled, &oc.AccessLevel, &oc.IsEnabled, &created, &updated)
	if err != nil {
		return nil, err
	}
	oc.CreatedAt, oc.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &oc, nil
}

// GetOrganizationConnection returns one connection of an organization.
func (s *Store) GetOrganizationConnection(ctx context.Context, workspaceID, organizationID, connectionID string) (*sb.OrganizationConnection, error) {
	oc, err := scanOrganizationConnection(s.read.QueryRowContext(ctx, `SELECT `+organizationConnectionColumns+`
		FROM organization_connections WHERE workspace_id = ? AND organization_id = ? AND connection_id = ?`,
		workspaceID, organizationID, connectionID))
	if err != nil {
		return nil, s.notFound(err, "organization_connection")
	}
	return oc, nil
}

// ListOrganizationConnections lists an organization's connections by connection id, with the
// number of matches ignoring Offset and Limit. Both are read in one transaction, so they agree.
func (s *Store) ListOrganizationConnections(ctx context.Context, workspaceID, organizationID string, f sb.OrganizationConnectionFilter) ([]*sb.OrganizationConnection, int, error) {
	where := []string{"workspace_id = ?", "organization_id = ?"}
	args := []any{workspaceID, organizationID}
	if f.IsEnabled != nil {
		where = append(where, "is_enabled = ?")
		args = append(args, *f.IsEnabled)
	}
	cond := strings.Join(where, " AND ")
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, s.fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_connections WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, s.fail(err)
	}
	n := -1
	if f.Limit > 0 {
		n = f.Limit
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+organizationConnectionColumns+` FROM organization_connections
		WHERE `+cond+` ORDER BY connection_id LIMIT ? OFFSET ?`, append(args, n, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, s.fail(err)
	}
	defer rows.Close()
	var out []*sb.OrganizationConnection
	for rows.Next() {
		oc, err := scanOrganizationConnection(rows)
		if err != nil {
			return nil, 0, s.fail(err)
		}
		out = append(out, oc)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.fail(err)
	}
	return out, total, nil
}

// UpdateOrganizationConnection stores oc's flags, name and update time.
func (s *Store) UpdateOrganizationConnection(ctx context.Context, oc *sb.OrganizationConnection, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE organization_connections SET name = ?, assign_membership_on_login = ?,
			show_as_button = ?, is_signup_enabled = ?, access_level = ?, is_enabled = ?, updated_at = ?
			WHERE workspace_id = ? AND organization_id = ? AND connection_id = ?`,
			oc.Name, oc.AssignMembershipOnLogin, oc.ShowAsButton, oc.IsSignupEnabled, oc.AccessLevel, oc.IsEnabled,
			micros(oc.UpdatedAt), oc.WorkspaceID, oc.OrganizationID, oc.ConnectionID)
		if err != nil {
			return err
		}
		return affected(res, "organization_connection")
	})
}

// DeleteOrganizationConnection removes one connection of an organization.
func (s *Store) DeleteOrganizationConnection(ctx context.Context, workspaceID, organizationID, connectionID string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM organization_connections
			WHERE workspace_id = ? AND organization_id = ? AND connection_id = ?`, workspaceID, organizationID, connectionID)
		if err != nil {
			return err
		}
		return affected(res, "organization_connection")
	})
}
