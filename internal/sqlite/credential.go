package sqlite

import (
	"context"
	"database/sql"

	sb "github.com/switchboardhq/switchboard"
)

// CreateCredential inserts c with revision 1.
func (s *Store) CreateCredential(ctx context.Context, c *sb.Credential, ev *sb.AuditEvent) error {
	ref, err := externalRef(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, c.WorkspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO credentials
			(id, workspace_id, name, type, sealed, external_ref, created_at, updated_at, created_by, updated_by, revision)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
			c.ID, c.WorkspaceID, c.Name, string(c.Type), c.Sealed, ref,
			micros(c.CreatedAt), micros(c.UpdatedAt), c.CreatedBy, c.UpdatedBy)
		return err
	})
	if err == nil {
		c.Revision = 1
	}
	return withArgs(err, "Name", c.Name)
}

func externalRef(c *sb.Credential) (sql.NullString, error) {
	if c.ExternalRef == nil {
		return sql.NullString{}, nil
	}
	s, err := toJSON(c.ExternalRef)
	if err != nil {
		return sql.NullString{}, sb.Internal(err)
	}
	return sql.NullString{String: s, Valid: true}, nil
}

const credentialColumns = `id, workspace_id, name, type, sealed, external_ref, created_at, updated_at,
	created_by, updated_by, revision`

func scanCredential(r rowScanner) (*sb.Credential, error) {
	var c sb.Credential
	var created, updated int64
	var ref *sb.ExternalRef
	err := r.Scan(&c.ID, &c.WorkspaceID, &c.Name, &c.Type, &c.Sealed, jsonCol{&ref},
		&created, &updated, &c.CreatedBy, &c.UpdatedBy, &c.Revision)
	if err != nil {
		return nil, err
	}
	c.ExternalRef = ref
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// GetCredential returns one credential of a workspace.
func (s *Store) GetCredential(ctx context.Context, workspaceID, id string) (*sb.Credential, error) {
	c, err := scanCredential(s.read.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	if err != nil {
		return nil, s.notFound(err, "credential")
	}
	return c, nil
}

// ListCredentials lists a workspace's credentials.
func (s *Store) ListCredentials(ctx context.Context, workspaceID string, p sb.Page) ([]*sb.Credential, error) {
	return list(ctx, s, scanCredential, `SELECT `+credentialColumns+` FROM credentials
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, p.After, limit(p))
}

// UpdateCredential stores c if its stored revision is still c.Revision, then increments
// c.Revision.
func (s *Store) UpdateCredential(ctx context.Context, c *sb.Credential, ev *sb.AuditEvent) error {
	ref, err := externalRef(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE credentials SET name = ?, type = ?, sealed = ?, external_ref = ?,
			updated_at = ?, updated_by = ?, revision = revision + 1
			WHERE workspace_id = ? AND id = ? AND revision = ?`,
			c.Name, string(c.Type), c.Sealed, ref, micros(c.UpdatedAt), c.UpdatedBy, c.WorkspaceID, c.ID, c.Revision)
		if err != nil {
			return err
		}
		return stale(ctx, tx, res, "credential", `SELECT 1 FROM credentials WHERE workspace_id = ? AND id = ?`, c.WorkspaceID, c.ID)
	})
	if err == nil {
		c.Revision++
	}
	return withArgs(err, "Name", c.Name)
}

// DeleteCredential removes one credential of a workspace.
func (s *Store) DeleteCredential(ctx context.Context, workspaceID, id string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return err
		}
		return affected(res, "credential")
	})
}

// CountCredentialUses returns how many of the workspace's connections reference the
// credential in either slot.
func (s *Store) CountCredentialUses(ctx context.Context, workspaceID, credentialID string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM connection_credentials
		WHERE workspace_id = ? AND credential_id = ?`, workspaceID, credentialID).Scan(&n)
	if err != nil {
		return 0, s.fail(err)
	}
	return n, nil
}

// stale explains an optimistic update that changed no row: NotFound when the row (found by
// query) is gone or in another workspace, PreconditionFailed when only its revision moved on.
func stale(ctx context.Context, tx *sql.Tx, res sql.Result, kind, query string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	if err := exists(ctx, tx, kind, query, args...); err != nil {
		return err
	}
	return sb.Errorf(sb.CodePreconditionFailed, "precondition.failed", "Kind", kind)
}
