package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateOrganization inserts o. Conflict "organization.name_taken" when the workspace has an
// organization with that name; NotFound when the workspace does not exist.
func (s *Store) CreateOrganization(ctx context.Context, o *switchboard.Organization, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO organizations (workspace_id, id, name, display_name, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, o.WorkspaceID, o.ID, o.Name, o.DisplayName, o.CreatedAt, o.UpdatedAt)
		return err
	}, "Name", o.Name)
}

const organizationColumns = `id, workspace_id, name, display_name, created_at, updated_at`

func scanOrganization(row pgx.Row) (*switchboard.Organization, error) {
	var o switchboard.Organization
	if err := row.Scan(&o.ID, &o.WorkspaceID, &o.Name, &o.DisplayName, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// GetOrganization returns the workspace's organization whose id or name is idOrName. NotFound.
func (s *Store) GetOrganization(ctx context.Context, workspaceID, idOrName string) (*switchboard.Organization, error) {
	// Should one organization's name equal another's id, the id wins: ids are what references
	// hold.
	o, err := scanOrganization(s.pool.QueryRow(ctx, `SELECT `+organizationColumns+` FROM organizations
		WHERE workspace_id = $1 AND (id = $2 OR name = $2) ORDER BY id = $2 DESC LIMIT 1`, workspaceID, idOrName))
	if err != nil {
		return nil, translate(err, "organization")
	}
	return o, nil
}

// ListOrganizations lists a workspace's organizations by id.
func (s *Store) ListOrganizations(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Organization, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+organizationColumns+` FROM organizations
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanOrganization)
}

// UpdateOrganization stores o's name, display name and update time. NotFound; Conflict
// "organization.name_taken".
func (s *Store) UpdateOrganization(ctx context.Context, o *switchboard.Organization, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE organizations SET name = $3, display_name = $4, updated_at = $5
			WHERE workspace_id = $1 AND id = $2`, o.WorkspaceID, o.ID, o.Name, o.DisplayName, o.UpdatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("organization")
		}
		return nil
	}, "Name", o.Name)
}

// DeleteOrganization removes an organization and, by cascade, its organization connections.
// NotFound.
func (s *Store) DeleteOrganization(ctx context.Context, workspaceID, id string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM organizations WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("organization")
		}
		return nil
	})
}

// CreateOrganizationConnection inserts oc. Conflict "organization_connection.exists" when the
// organization already has that connection; NotFound when the organization or the connection
// does not exist in the workspace (the foreign keys include the workspace).
func (s *Store) CreateOrganizationConnection(ctx context.Context, oc *switchboard.OrganizationConnection, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO organization_connections (workspace_id, organization_id, connection_id,
			assign_membership_on_login, show_as_button, is_signup_enabled, access_level, is_enabled, created_at, updated_at, name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			oc.WorkspaceID, oc.OrganizationID, oc.ConnectionID, oc.AssignMembershipOnLogin, oc.ShowAsButton,
			oc.IsSignupEnabled, oc.AccessLevel, oc.IsEnabled, oc.CreatedAt, oc.UpdatedAt, oc.Name)
		return err
	})
}

const organizationConnectionColumns = `workspace_id, organization_id, connection_id, name, assign_membership_on_login,
	show_as_button, is_signup_enabled, access_level, is_enabled, created_at, updated_at`

func scanOrganizationConnection(row pgx.Row) (*switchboard.OrganizationConnection, error) {
	var oc switchboard.OrganizationConnection
	err := row.Scan(&oc.WorkspaceID, &oc.OrganizationID, &oc.ConnectionID, &oc.Name, &oc.AssignMembershipOnLogin,
		&oc.ShowAsButton, &oc.IsSignupEnabled, &oc.AccessLevel, &oc.IsEnabled, &oc.CreatedAt, &oc.UpdatedAt)
	if err != nil {
		return nil, err
	}
	oc.CreatedAt, oc.UpdatedAt = oc.CreatedAt.UTC(), oc.UpdatedAt.UTC()
	return &oc, nil
}

// GetOrganizationConnection returns one connection of an organization. NotFound.
func (s *Store) GetOrganizationConnection(ctx context.Context, workspaceID, organizationID, connectionID string) (*switchboard.OrganizationConnection, error) {
	oc, err := scanOrganizationConnection(s.pool.QueryRow(ctx, `SELECT `+organizationConnectionColumns+`
		FROM organization_connections WHERE workspace_id = $1 AND organization_id = $2 AND connection_id = $3`,
		workspaceID, organizationID, connectionID))
	if err != nil {
		return nil, translate(err, "organization_connection")
	}
	return oc, nil
}

// listOrganizationConnectionsWhere returns the condition of f on organization_connections
// and its arguments.
func listOrganizationConnectionsWhere(workspaceID, organizationID string, f switchboard.OrganizationConnectionFilter) (string, []any) {
	where := `workspace_id = $1 AND organization_id = $2`
	args := []any{workspaceID, organizationID}
	if f.IsEnabled != nil {
		args = append(args, *f.IsEnabled)
		where += fmt.Sprintf(" AND is_enabled = $%d", len(args))
	}
	return where, args
}

// ListOrganizationConnections lists an organization's connections ordered by connection id,
// filtered by f, with the total count of matches (ignoring paging). Both are read from one
// snapshot, so they agree.
func (s *Store) ListOrganizationConnections(ctx context.Context, workspaceID, organizationID string, f switchboard.OrganizationConnectionFilter) ([]*switchboard.OrganizationConnection, int, error) {
	where, args := listOrganizationConnectionsWhere(workspaceID, organizationID, f)
	var (
		list  []*switchboard.OrganizationConnection
		total int
	)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM organization_connections WHERE `+where, args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %s FROM organization_connections WHERE %s
			ORDER BY connection_id LIMIT $%d OFFSET $%d`, organizationConnectionColumns, where, n+1, n+2),
			append(args, limit(f.Limit), max(f.Offset, 0))...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanOrganizationConnection)
		return err
	})
	if err != nil {
		return nil, 0, translate(err, "")
	}
	return list, total, nil
}

// UpdateOrganizationConnection stores oc's flags, name and update time. NotFound.
func (s *Store) UpdateOrganizationConnection(ctx context.Context, oc *switchboard.OrganizationConnection, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE organization_connections SET assign_membership_on_login = $4,
			show_as_button = $5, is_signup_enabled = $6, access_level = $7, is_enabled = $8, updated_at = $9, name = $10
			WHERE workspace_id = $1 AND organization_id = $2 AND connection_id = $3`,
			oc.WorkspaceID, oc.OrganizationID, oc.ConnectionID, oc.AssignMembershipOnLogin, oc.ShowAsButton,
			oc.IsSignupEnabled, oc.AccessLevel, oc.IsEnabled, oc.UpdatedAt, oc.Name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("organization_connection")
		}
		return nil
	})
}

// DeleteOrganizationConnection removes one connection of an organization. NotFound.
func (s *Store) DeleteOrganizationConnection(ctx context.Context, workspaceID, organizationID, connectionID string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM organization_connections
			WHERE workspace_id = $1 AND organization_id = $2 AND connection_id = $3`, workspaceID, organizationID, connectionID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("organization_connection")
		}
		return nil
	})
}
