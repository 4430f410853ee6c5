package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// PutOAuthClient inserts or replaces the workspace's OAuth client for a connector.
func (s *Store) PutOAuthClient(ctx context.Context, c *switchboard.OAuthClient, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO oauth_clients
			(workspace_id, connector_id, client_id, sealed, created_at, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (workspace_id, connector_id) DO UPDATE SET client_id = EXCLUDED.client_id,
				sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
			c.WorkspaceID, c.ConnectorID, c.ClientID, c.Sealed, c.CreatedAt, c.UpdatedAt, c.UpdatedBy)
		return err
	})
}

// GetOAuthClient returns the workspace's OAuth client for a connector. NotFound.
func (s *Store) GetOAuthClient(ctx context.Context, workspaceID, connectorID string) (*switchboard.OAuthClient, error) {
	var c switchboard.OAuthClient
	err := s.pool.QueryRow(ctx, `SELECT workspace_id, connector_id, client_id, sealed, created_at, updated_at, updated_by
		FROM oauth_clients WHERE workspace_id = $1 AND connector_id = $2`, workspaceID, connectorID).
		Scan(&c.WorkspaceID, &c.ConnectorID, &c.ClientID, &c.Sealed, &c.CreatedAt, &c.UpdatedAt, &c.UpdatedBy)
	if err != nil {
		return nil, translate(err, "oauth_client")
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

// DeleteOAuthClient removes the workspace's OAuth client for a connector. NotFound.
func (s *Store) DeleteOAuthClient(ctx context.Context, workspaceID, connectorID string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_clients WHERE workspace_id = $1 AND connector_id = $2`, workspaceID, connectorID)
		if err == nil && tag.RowsAffected() == 0 {
			return switchboard.NotFound("oauth_client")
		}
		return err
	})
}

// CreateConnectSession inserts cs.
func (s *Store) CreateConnectSession(ctx context.Context, cs *switchboard.ConnectSession, ev *switchboard.AuditEvent) error {
	scopes, err := marshal(cs.Scopes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO connect_sessions (id, workspace_id, connector_id, connection_id,
			connection_name, success_url, failure_url, scopes, token_hash, state_hash, sealed, expires_at,
			opened_at, used_at, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			cs.ID, cs.WorkspaceID, cs.ConnectorID, cs.ConnectionID, cs.ConnectionName, cs.SuccessURL,
			cs.FailureURL, scopes, cs.TokenHash, cs.StateHash, cs.Sealed, cs.ExpiresAt, cs.OpenedAt,
			cs.UsedAt, cs.CreatedAt, cs.CreatedBy)
		return err
	})
}

const connectSessionColumns = `id, workspace_id, connector_id, connection_id, connection_name, success_url,
	failure_url, scopes, token_hash, state_hash, sealed, expires_at, opened_at, used_at, created_at, created_by`

func scanConnectSession(row pgx.Row) (*switchboard.ConnectSession, error) {
	var (
		cs     switchboard.ConnectSession
		scopes []byte
	)
	err := row.Scan(&cs.ID, &cs.WorkspaceID, &cs.ConnectorID, &cs.ConnectionID, &cs.ConnectionName,
		&cs.SuccessURL, &cs.FailureURL, &scopes, &cs.TokenHash, &cs.StateHash, &cs.Sealed, &cs.ExpiresAt,
		&cs.OpenedAt, &cs.UsedAt, &cs.CreatedAt, &cs.CreatedBy)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(scopes, &cs.Scopes); err != nil {
		return nil, err
	}
	cs.ExpiresAt, cs.CreatedAt = cs.ExpiresAt.UTC(), cs.CreatedAt.UTC()
	cs.OpenedAt, cs.UsedAt = utc(cs.OpenedAt), utc(cs.UsedAt)
	return &cs, nil
}

// GetConnectSessionByToken returns the session of a link token hash. NotFound.
func (s *Store) GetConnectSessionByToken(ctx context.Context, tokenHash []byte) (*switchboard.ConnectSession, error) {
	cs, err := scanConnectSession(s.pool.QueryRow(ctx, `SELECT `+connectSessionColumns+`
		FROM connect_sessions WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return nil, translate(err, "connect_session")
	}
	return cs, nil
}

// GetConnectSessionByState returns the session of a state hash. NotFound.
func (s *Store) GetConnectSessionByState(ctx context.Context, stateHash []byte) (*switchboard.ConnectSession, error) {
	cs, err := scanConnectSession(s.pool.QueryRow(ctx, `SELECT `+connectSessionColumns+`
		FROM connect_sessions WHERE state_hash = $1`, stateHash))
	if err != nil {
		return nil, translate(err, "connect_session")
	}
	return cs, nil
}

// OpenConnectSession records the state and verifier of a session opened for the first time,
// before it expires.
func (s *Store) OpenConnectSession(ctx context.Context, id string, stateHash, sealed []byte, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE connect_sessions SET state_hash = $2, sealed = $3, opened_at = $4
		WHERE id = $1 AND opened_at IS NULL AND expires_at > $4`, id, stateHash, sealed, now)
	if err != nil {
		return translate(err, "connect_session")
	}
	if tag.RowsAffected() == 0 {
		return switchboard.Conflict("connect_session.unusable")
	}
	return nil
}

// ClaimConnectSession marks the opened, unused, unexpired session of a state hash used.
func (s *Store) ClaimConnectSession(ctx context.Context, stateHash []byte, now time.Time) (*switchboard.ConnectSession, error) {
	cs, err := scanConnectSession(s.pool.QueryRow(ctx, `UPDATE connect_sessions SET used_at = $2
		WHERE state_hash = $1 AND opened_at IS NOT NULL AND used_at IS NULL AND expires_at > $2
		RETURNING `+connectSessionColumns, stateHash, now))
	if err == nil {
		return cs, nil
	}
	if err = translate(err, "connect_session"); switchboard.ErrorCode(err) != switchboard.CodeNotFound {
		return nil, err
	}
	if _, gerr := s.GetConnectSessionByState(ctx, stateHash); gerr != nil {
		return nil, gerr
	}
	return nil, switchboard.Conflict("connect_session.unusable")
}

// PutConnectionToken inserts or replaces a connection's token and frees its lease.
func (s *Store) PutConnectionToken(ctx context.Context, t *switchboard.ConnectionToken, ev *switchboard.AuditEvent) error {
	scopes, err := marshal(t.Scopes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO connection_tokens
			(workspace_id, connection_id, grant_type, sealed, scopes, expires_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (workspace_id, connection_id) DO UPDATE SET grant_type = EXCLUDED.grant_type,
				sealed = EXCLUDED.sealed, scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at,
				updated_at = EXCLUDED.updated_at, refresh_lease_owner = '', refresh_lease_until = NULL`,
			t.WorkspaceID, t.ConnectionID, t.GrantType, t.Sealed, scopes, t.ExpiresAt, t.UpdatedAt)
		return err
	})
}

const tokenColumns = `workspace_id, connection_id, grant_type, sealed, scopes, expires_at, updated_at`

func scanToken(row pgx.Row) (*switchboard.ConnectionToken, error) {
	var (
		t      switchboard.ConnectionToken
		scopes []byte
	)
	if err := row.Scan(&t.WorkspaceID, &t.ConnectionID, &t.GrantType, &t.Sealed, &scopes, &t.ExpiresAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	if err := unmarshal(scopes, &t.Scopes); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.UpdatedAt = utc(t.ExpiresAt), t.UpdatedAt.UTC()
	return &t, nil
}

// EnsureConnectionToken inserts t unless the connection has a token.
func (s *Store) EnsureConnectionToken(ctx context.Context, t *switchboard.ConnectionToken) error {
	scopes, err := marshal(t.Scopes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, nil, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO connection_tokens
			(workspace_id, connection_id, grant_type, sealed, scopes, expires_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, connection_id) DO NOTHING`,
			t.WorkspaceID, t.ConnectionID, t.GrantType, t.Sealed, scopes, t.ExpiresAt, t.UpdatedAt)
		return err
	})
}

// GetConnectionToken returns a connection's token. NotFound.
func (s *Store) GetConnectionToken(ctx context.Context, workspaceID, connectionID string) (*switchboard.ConnectionToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM connection_tokens
		WHERE workspace_id = $1 AND connection_id = $2`, workspaceID, connectionID))
	if err != nil {
		return nil, translate(err, "connection_token")
	}
	return t, nil
}

// AcquireRefreshLease takes the lease with one conditional UPDATE.
func (s *Store) AcquireRefreshLease(ctx context.Context, workspaceID, connectionID, owner string, now, until time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE connection_tokens SET refresh_lease_owner = $3, refresh_lease_until = $5
		WHERE workspace_id = $1 AND connection_id = $2 AND (refresh_lease_until IS NULL OR refresh_lease_until <= $4)`,
		workspaceID, connectionID, owner, now, until)
	if err != nil {
		return false, translate(err, "connection_token")
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	if _, err := s.GetConnectionToken(ctx, workspaceID, connectionID); err != nil {
		return false, err
	}
	return false, nil
}

// ReleaseRefreshLease frees the lease if owner holds it.
func (s *Store) ReleaseRefreshLease(ctx context.Context, workspaceID, connectionID, owner string) error {
	_, err := s.pool.Exec(ctx, `UPDATE connection_tokens SET refresh_lease_owner = '', refresh_lease_until = NULL
		WHERE workspace_id = $1 AND connection_id = $2 AND refresh_lease_owner = $3`, workspaceID, connectionID, owner)
	return translate(err, "connection_token")
}

// ListExpiringTokens lists tokens expiring before before whose lease is free at now.
func (s *Store) ListExpiringTokens(ctx context.Context, before, now time.Time, n int) ([]*switchboard.ConnectionToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.workspace_id, t.connection_id, t.grant_type, t.sealed, t.scopes,
			t.expires_at, t.updated_at
		FROM connection_tokens t JOIN connections c ON c.workspace_id = t.workspace_id AND c.id = t.connection_id
		WHERE t.expires_at IS NOT NULL AND t.expires_at < $1
			AND (t.refresh_lease_until IS NULL OR t.refresh_lease_until <= $2) AND c.status IN ('ACTIVE', 'PENDING')
		ORDER BY t.expires_at, t.connection_id LIMIT $3`, before, now, limit(n))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanToken)
}
