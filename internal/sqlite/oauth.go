package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// PutOAuthClient inserts or replaces the workspace's OAuth client for a connector.
func (s *Store) PutOAuthClient(ctx context.Context, c *sb.OAuthClient, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, c.WorkspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_clients
			(workspace_id, connector_id, client_id, sealed, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, connector_id) DO UPDATE SET client_id = excluded.client_id,
				sealed = excluded.sealed, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			c.WorkspaceID, c.ConnectorID, c.ClientID, c.Sealed, micros(c.CreatedAt), micros(c.UpdatedAt), c.UpdatedBy)
		return err
	})
}

// GetOAuthClient returns the workspace's OAuth client for a connector. NotFound.
func (s *Store) GetOAuthClient(ctx context.Context, workspaceID, connectorID string) (*sb.OAuthClient, error) {
	var (
		c                sb.OAuthClient
		created, updated int64
	)
	err := s.read.QueryRowContext(ctx, `SELECT workspace_id, connector_id, client_id, sealed, created_at, updated_at, updated_by
		FROM oauth_clients WHERE workspace_id = ? AND connector_id = ?`, workspaceID, connectorID).
		Scan(&c.WorkspaceID, &c.ConnectorID, &c.ClientID, &c.Sealed, &created, &updated, &c.UpdatedBy)
	if err != nil {
		return nil, s.notFound(err, "oauth_client")
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// DeleteOAuthClient removes the workspace's OAuth client for a connector. NotFound.
func (s *Store) DeleteOAuthClient(ctx context.Context, workspaceID, connectorID string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_clients WHERE workspace_id = ? AND connector_id = ?`, workspaceID, connectorID)
		if err != nil {
			return err
		}
		return affected(res, "oauth_client")
	})
}

// CreateConnectSession inserts cs.
func (s *Store) CreateConnectSession(ctx context.Context, cs *sb.ConnectSession, ev *sb.AuditEvent) error {
	scopes, err := toJSON(cs.Scopes)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, cs.WorkspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO connect_sessions (id, workspace_id, connector_id, connection_id,
			connection_name, success_url, failure_url, scopes, token_hash, state_hash, sealed, expires_at,
			opened_at, used_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			cs.ID, cs.WorkspaceID, cs.ConnectorID, cs.ConnectionID, cs.ConnectionName, cs.SuccessURL,
			cs.FailureURL, scopes, cs.TokenHash, cs.StateHash, cs.Sealed, micros(cs.ExpiresAt),
			nullMicros(cs.OpenedAt), nullMicros(cs.UsedAt), micros(cs.CreatedAt), cs.CreatedBy)
		return err
	})
}

const connectSessionColumns = `id, workspace_id, connector_id, connection_id, connection_name, success_url,
	failure_url, scopes, token_hash, state_hash, sealed, expires_at, opened_at, used_at, created_at, created_by`

func scanConnectSession(r rowScanner) (*sb.ConnectSession, error) {
	var (
		cs               sb.ConnectSession
		expires, created int64
		opened, used     sql.NullInt64
	)
	err := r.Scan(&cs.ID, &cs.WorkspaceID, &cs.ConnectorID, &cs.ConnectionID, &cs.ConnectionName,
		&cs.SuccessURL, &cs.FailureURL, jsonCol{&cs.Scopes}, &cs.TokenHash, &cs.StateHash, &cs.Sealed, &expires,
		&opened, &used, &created, &cs.CreatedBy)
	if err != nil {
		return nil, err
	}
	cs.ExpiresAt, cs.CreatedAt = fromMicros(expires), fromMicros(created)
	cs.OpenedAt, cs.UsedAt = fromNullMicros(opened), fromNullMicros(used)
	return &cs, nil
}

// GetConnectSessionByToken returns the session of a link token hash. NotFound.
func (s *Store) GetConnectSessionByToken(ctx context.Context, tokenHash []byte) (*sb.ConnectSession, error) {
	cs, err := scanConnectSession(s.read.QueryRowContext(ctx, `SELECT `+connectSessionColumns+`
		FROM connect_sessions WHERE token_hash = ?`, tokenHash))
	if err != nil {
		return nil, s.notFound(err, "connect_session")
	}
	return cs, nil
}

// GetConnectSessionByState returns the session of a state hash. NotFound.
func (s *Store) GetConnectSessionByState(ctx context.Context, stateHash []byte) (*sb.ConnectSession, error) {
	cs, err := scanConnectSession(s.read.QueryRowContext(ctx, `SELECT `+connectSessionColumns+`
		FROM connect_sessions WHERE state_hash = ?`, stateHash))
	if err != nil {
		return nil, s.notFound(err, "connect_session")
	}
	return cs, nil
}

// OpenConnectSession records the state and verifier of a session opened for the first time,
// before it expires.
func (s *Store) OpenConnectSession(ctx context.Context, id string, stateHash, sealed []byte, now time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE connect_sessions SET state_hash = ?, sealed = ?, opened_at = ?
		WHERE id = ? AND opened_at IS NULL AND expires_at > ?`, stateHash, sealed, micros(now), id, micros(now))
	if err != nil {
		return s.fail(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return s.fail(err)
		}
		return sb.Conflict("connect_session.unusable")
	}
	return nil
}

// ClaimConnectSession marks the opened, unused, unexpired session of a state hash used.
func (s *Store) ClaimConnectSession(ctx context.Context, stateHash []byte, now time.Time) (*sb.ConnectSession, error) {
	cs, err := scanConnectSession(s.write.QueryRowContext(ctx, `UPDATE connect_sessions SET used_at = ?
		WHERE state_hash = ? AND opened_at IS NOT NULL AND used_at IS NULL AND expires_at > ?
		RETURNING `+connectSessionColumns, micros(now), stateHash, micros(now)))
	if err == nil {
		return cs, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, s.fail(err)
	}
	if _, err := s.GetConnectSessionByState(ctx, stateHash); err != nil {
		return nil, err
	}
	return nil, sb.Conflict("connect_session.unusable")
}

// PutConnectionToken inserts or replaces a connection's token and frees its lease.
func (s *Store) PutConnectionToken(ctx context.Context, t *sb.ConnectionToken, ev *sb.AuditEvent) error {
	scopes, err := toJSON(t.Scopes)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`,
			t.WorkspaceID, t.ConnectionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO connection_tokens
			(workspace_id, connection_id, grant_type, sealed, scopes, expires_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (connection_id) DO UPDATE SET grant_type = excluded.grant_type,
				sealed = excluded.sealed, scopes = excluded.scopes, expires_at = excluded.expires_at,
				updated_at = excluded.updated_at, refresh_lease_owner = '', refresh_lease_until = NULL`,
			t.WorkspaceID, t.ConnectionID, t.GrantType, t.Sealed, scopes, nullMicros(t.ExpiresAt), micros(t.UpdatedAt))
		return err
	})
}

const tokenColumns = `workspace_id, connection_id, grant_type, sealed, scopes, expires_at, updated_at`

func scanToken(r rowScanner) (*sb.ConnectionToken, error) {
	var (
		t       sb.ConnectionToken
		expires sql.NullInt64
		updated int64
	)
	if err := r.Scan(&t.WorkspaceID, &t.ConnectionID, &t.GrantType, &t.Sealed, jsonCol{&t.Scopes}, &expires, &updated); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.UpdatedAt = fromNullMicros(expires), fromMicros(updated)
	return &t, nil
}

// EnsureConnectionToken inserts t unless the connection has a token.
func (s *Store) EnsureConnectionToken(ctx context.Context, t *sb.ConnectionToken) error {
	scopes, err := toJSON(t.Scopes)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`,
			t.WorkspaceID, t.ConnectionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO connection_tokens
			(workspace_id, connection_id, grant_type, sealed, scopes, expires_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (connection_id) DO NOTHING`,
			t.WorkspaceID, t.ConnectionID, t.GrantType, t.Sealed, scopes, nullMicros(t.ExpiresAt), micros(t.UpdatedAt))
		return err
	})
}

// GetConnectionToken returns a connection's token. NotFound.
func (s *Store) GetConnectionToken(ctx context.Context, workspaceID, connectionID string) (*sb.ConnectionToken, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM connection_tokens
		WHERE workspace_id = ? AND connection_id = ?`, workspaceID, connectionID))
	if err != nil {
		return nil, s.notFound(err, "connection_token")
	}
	return t, nil
}

// AcquireRefreshLease takes the lease with one conditional UPDATE.
func (s *Store) AcquireRefreshLease(ctx context.Context, workspaceID, connectionID, owner string, now, until time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE connection_tokens SET refresh_lease_owner = ?, refresh_lease_until = ?
		WHERE workspace_id = ? AND connection_id = ? AND (refresh_lease_until IS NULL OR refresh_lease_until <= ?)`,
		owner, micros(until), workspaceID, connectionID, micros(now))
	if err != nil {
		return false, s.fail(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(err)
	}
	if n == 1 {
		return true, nil
	}
	if _, err := s.GetConnectionToken(ctx, workspaceID, connectionID); err != nil {
		return false, err
	}
	return false, nil
}

// ReleaseRefreshLease frees the lease if owner holds it.
func (s *Store) ReleaseRefreshLease(ctx context.Context, workspaceID, connectionID, owner string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE connection_tokens SET refresh_lease_owner = '', refresh_lease_until = NULL
		WHERE workspace_id = ? AND connection_id = ? AND refresh_lease_owner = ?`, workspaceID, connectionID, owner)
	return s.fail(err)
}

// ListExpiringTokens lists tokens expiring before before whose lease is free at now.
func (s *Store) ListExpiringTokens(ctx context.Context, before, now time.Time, n int) ([]*sb.ConnectionToken, error) {
	return list(ctx, s, scanToken, `SELECT t.workspace_id, t.connection_id, t.grant_type, t.sealed, t.scopes,
			t.expires_at, t.updated_at
		FROM connection_tokens t JOIN connections c ON c.id = t.connection_id
		WHERE t.expires_at IS NOT NULL AND t.expires_at < ?
			AND (t.refresh_lease_until IS NULL OR t.refresh_lease_until <= ?) AND c.status IN ('ACTIVE', 'PENDING')
		ORDER BY t.expires_at, t.connection_id LIMIT ?`, micros(before), micros(now), limit(sb.Page{Limit: n}))
}
