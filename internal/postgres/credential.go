package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// CreateCredential inserts c and sets its Revision to 1. Conflict "credential.name_taken" when
// the workspace has a credential with that name.
func (s *Store) CreateCredential(ctx context.Context, c *switchboard.Credential, ev *switchboard.AuditEvent) error {
	ref, err := externalRef(c.ExternalRef)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO credentials
			(workspace_id, id, name, type, sealed, external_ref, created_at, updated_at, created_by, updated_by, revision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)`,
			c.WorkspaceID, c.ID, c.Name, c.Type, c.Sealed, ref, c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy)
		return err
	}, "Name", c.Name)
	if err != nil {
		return err
	}
	c.Revision = 1
	return nil
}

// externalRef encodes an optional external reference: SQL NULL when there is none.
func externalRef(ref *switchboard.ExternalRef) ([]byte, error) {
	if ref == nil {
		return nil, nil
	}
	return marshal(ref)
}

const credentialColumns = `id, workspace_id, name, type, sealed, external_ref, created_at, updated_at,
	created_by, updated_by, revision`

func scanCredential(row pgx.Row) (*switchboard.Credential, error) {
	var (
		c   switchboard.Credential
		ref []byte
	)
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.Name, &c.Type, &c.Sealed, &ref, &c.CreatedAt, &c.UpdatedAt,
		&c.CreatedBy, &c.UpdatedBy, &c.Revision)
	if err != nil {
		return nil, err
	}
	if ref != nil {
		c.ExternalRef = new(switchboard.ExternalRef)
		if err := unmarshal(ref, c.ExternalRef); err != nil {
			return nil, err
		}
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

// GetCredential returns one credential. NotFound.
func (s *Store) GetCredential(ctx context.Context, workspaceID, id string) (*switchboard.Credential, error) {
	c, err := scanCredential(s.pool.QueryRow(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, translate(err, "credential")
	}
	return c, nil
}

// ListCredentials lists a workspace's credentials.
func (s *Store) ListCredentials(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Credential, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanCredential)
}

// UpdateCredential stores c if its stored revision is still c.Revision, then increments
// c.Revision. PreconditionFailed when stale; NotFound; Conflict "credential.name_taken".
func (s *Store) UpdateCredential(ctx context.Context, c *switchboard.Credential, ev *switchboard.AuditEvent) error {
	ref, err := externalRef(c.ExternalRef)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE credentials SET name = $4, type = $5, sealed = $6, external_ref = $7,
			created_at = $8, updated_at = $9, created_by = $10, updated_by = $11, revision = revision + 1
			WHERE workspace_id = $1 AND id = $2 AND revision = $3`,
			c.WorkspaceID, c.ID, c.Revision, c.Name, c.Type, c.Sealed, ref,
			c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return staleOrMissing(ctx, tx, "credential", `SELECT EXISTS (SELECT 1 FROM credentials
				WHERE workspace_id = $1 AND id = $2)`, c.WorkspaceID, c.ID)
		}
		return nil
	}, "Name", c.Name)
	if err != nil {
		return err
	}
	c.Revision++
	return nil
}

// DeleteCredential removes one credential. NotFound.
func (s *Store) DeleteCredential(ctx context.Context, workspaceID, id string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM credentials WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("credential")
		}
		return nil
	})
}

// CountCredentialUses returns how many connections of the workspace reference the credential,
// in any slot; a connection that names it twice counts once.
func (s *Store) CountCredentialUses(ctx context.Context, workspaceID, credentialID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT connection_id) FROM connection_credentials
		WHERE workspace_id = $1 AND credential_id = $2`, workspaceID, credentialID).Scan(&n)
	if err != nil {
		return 0, translate(err, "")
	}
	return n, nil
}
