package switchboard

import (
	"context"
	"errors"
	"time"
)

// refreshWait bounds how long a reader waits for another replica's refresh.
const refreshWait = 30 * time.Second

// fresh reports whether t is usable beyond the refresh margin.
func (s *Service) fresh(t *ConnectionToken) bool {
	if t.ExpiresAt == nil {
		return len(t.Sealed) > 0
	}
	margin := 15 * time.Minute
	if s.oauth != nil {
		margin = s.oauth.RefreshMargin
	}
	return t.ExpiresAt.After(s.now().Add(margin))
}

// usable reports whether t can still be used at all (not yet expired).
func (s *Service) usable(t *ConnectionToken) bool {
	return len(t.Sealed) > 0 && (t.ExpiresAt == nil || t.ExpiresAt.After(s.now()))
}

// openToken decrypts a token's secrets.
func (s *Service) openToken(ctx context.Context, t *ConnectionToken) (*ConnectionToken, error) {
	m, err := s.openMap(ctx, t.WorkspaceID, t.ConnectionID, "oauth_token", t.Sealed)
	if err != nil {
		return nil, err
	}
	t.Secrets = m
	return t, nil
}

// connectionToken returns a connection's OAuth2 token, refreshed first when it expires within
// the margin; nil when the connection has none.
func (s *Service) connectionToken(ctx context.Context, c *Connection) (*ConnectionToken, error) {
	// Only a connector version with an OAuth2 configuration gets tokens (through the connect
	// flow or the client credentials grant), and versions do not change: any other connection
	// skips the read, which every credentials read of a non-OAuth connection paid for nothing.
	_, _, spec, serr := s.oauthSpecOf(ctx, c.WorkspaceID, c.ConnectorID, c.ConnectorVersion)
	if ErrorCode(serr) == CodeInvalid {
		return nil, nil
	}
	t, err := s.store.GetConnectionToken(ctx, c.WorkspaceID, c.ID)
	if ErrorCode(err) == CodeNotFound && s.oauth != nil {
		// A connector on the client credentials grant gets its token on first use: an
		// expired placeholder row carries the lease that keeps the fetch to one.
		if serr != nil || spec.Grant != GrantClientCredentials {
			return nil, nil
		}
		epoch := time.Unix(0, 0).UTC()
		if err := s.store.EnsureConnectionToken(ctx, &ConnectionToken{WorkspaceID: c.WorkspaceID, ConnectionID: c.ID,
			GrantType: GrantClientCredentials, Scopes: nonNil(spec.Scopes), ExpiresAt: &epoch, UpdatedAt: s.now()}); err != nil {
			return nil, err
		}
		t, err = s.store.GetConnectionToken(ctx, c.WorkspaceID, c.ID)
	}
	if ErrorCode(err) == CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.fresh(t) || s.oauth == nil {
		return s.openToken(ctx, t)
	}
	// One refresh per connection in this process; the lease makes it one across replicas.
	// The shared call outlives a caller that gives up.
	return s.oauth.flights.Do(c.WorkspaceID+"/"+c.ID, func() (*ConnectionToken, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshWait)
		defer cancel()
		return s.refresh(ctx, c.WorkspaceID, c.ID)
	})
}

// refresh makes the token of a connection fresh, coordinating through the lease: the holder
// re-reads (another replica may have refreshed meanwhile), calls the provider with no
// transaction open, and stores the new token (a rotated refresh token included) before
// anyone gets it; the others wait for the stored result.
func (s *Service) refresh(ctx context.Context, wsID, connID string) (*ConnectionToken, error) {
	owner := NewID("lease")
	for {
		t, err := s.store.GetConnectionToken(ctx, wsID, connID)
		if err != nil {
			return nil, err
		}
		if s.fresh(t) {
			return s.openToken(ctx, t)
		}
		now := s.now()
		got, err := s.store.AcquireRefreshLease(ctx, wsID, connID, owner, now, now.Add(s.oauth.Lease))
		if err != nil {
			return nil, err
		}
		if got {
			return s.refreshHeld(ctx, wsID, connID, owner)
		}
		select {
		case <-ctx.Done():
			if s.usable(t) {
				return s.openToken(context.WithoutCancel(ctx), t)
			}
			return nil, Errorf(CodeUnavailable, "oauth.refresh_unavailable")
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// refreshHeld refreshes with the lease held by owner.
func (s *Service) refreshHeld(ctx context.Context, wsID, connID, owner string) (*ConnectionToken, error) {
	release := func() { _ = s.store.ReleaseRefreshLease(context.WithoutCancel(ctx), wsID, connID, owner) }
	t, err := s.store.GetConnectionToken(ctx, wsID, connID)
	if err != nil {
		release()
		return nil, err
	}
	if s.fresh(t) {
		release()
		return s.openToken(ctx, t)
	}
	if _, err := s.openToken(ctx, t); err != nil {
		release()
		return nil, err
	}
	c, err := s.store.GetConnection(ctx, wsID, connID)
	if err != nil {
		release()
		return nil, err
	}
	tok, err := s.callProvider(ctx, c, t)
	if err != nil {
		release()
		if f, ok := errors.AsType[*OAuthFailure](err); ok && !f.Temporary {
			s.markRefreshFailed(ctx, c, t.GrantType, f.ErrorCode)
			return nil, Conflict("connection.reauthorization_needed")
		}
		if ErrorCode(err) == CodeConflict || ErrorCode(err) == CodeInvalid {
			return nil, err
		}
		if s.usable(t) {
			return t, nil // still valid for a while: better than nothing
		}
		return nil, Errorf(CodeUnavailable, "oauth.refresh_unavailable")
	}
	nt := &ConnectionToken{WorkspaceID: wsID, ConnectionID: connID, GrantType: t.GrantType,
		Secrets: tokenSecrets(tok, t.Secrets["refresh_token"]), Scopes: t.Scopes, UpdatedAt: s.now()}
	if tok.Scopes != nil {
		nt.Scopes = tok.Scopes
	}
	if !tok.Expiry.IsZero() {
		exp := tok.Expiry.UTC()
		nt.ExpiresAt = &exp
	}
	if nt.Sealed, err = s.sealMap(ctx, wsID, connID, "oauth_token", nt.Secrets); err != nil {
		release()
		return nil, err
	}
	// Stored (and the lease freed) before anyone sees the new access token: a rotated
	// refresh token is never lost.
	if err := s.store.PutConnectionToken(context.WithoutCancel(ctx), nt, nil); err != nil {
		release()
		return nil, err
	}
	return nt, nil
}

// callProvider asks the token endpoint for a new token, retrying temporary failures with
// backoff.
func (s *Service) callProvider(ctx context.Context, c *Connection, t *ConnectionToken) (*OAuthToken, error) {
	_, _, spec, err := s.oauthSpecOf(ctx, c.WorkspaceID, c.ConnectorID, c.ConnectorVersion)
	if err != nil {
		return nil, err
	}
	cfg, err := s.oauthConfig(ctx, c.WorkspaceID, c.ConnectorID, spec, t.Scopes)
	if err != nil {
		return nil, err
	}
	rt := t.Secrets["refresh_token"]
	if t.GrantType != GrantClientCredentials && rt.IsZero() {
		return nil, &OAuthFailure{ErrorCode: "invalid_grant"}
	}
	for i := 0; ; i++ {
		var tok *OAuthToken
		if t.GrantType == GrantClientCredentials {
			tok, err = s.oauth.Flow.ClientCredentials(ctx, cfg)
		} else {
			tok, err = s.oauth.Flow.Refresh(ctx, cfg, rt.Reveal())
		}
		if err == nil {
			if tok.AccessToken.IsZero() {
				return nil, &OAuthFailure{Temporary: true}
			}
			return tok, nil
		}
		f, ok := errors.AsType[*OAuthFailure](err)
		if !ok || !f.Temporary || i >= len(s.oauth.Backoff) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(s.oauth.Backoff[i]):
		}
	}
}

// markRefreshFailed records that a connection needs re-authorization: FAILED, with the
// reason in last_error and a connection.refresh_failed audit event.
func (s *Service) markRefreshFailed(ctx context.Context, c *Connection, grant, code string) {
	ctx = context.WithoutCancel(ctx)
	ws, err := s.store.GetWorkspace(ctx, c.WorkspaceID)
	if err != nil {
		return
	}
	for range 3 {
		prev := c.Status
		now := s.now()
		if c.Enabled && !c.Paused {
			c.Status = StatusFailed
		}
		c.Health.LastError = "re-authorization needed"
		if grant == GrantClientCredentials {
			c.Health.LastError = "the provider refused the client credentials"
		}
		c.Health.LastUnhealthyAt = &now
		c.UpdatedAt = now
		if code == "" || !oauthErrorCode.MatchString(code) {
			code = "refused"
		}
		ev := s.event(ctx, nil, ws, "connection.refresh_failed", "connection", c.ID, map[string]any{
			"reason": code, "status_from": string(prev), "status_to": string(c.Status),
		})
		ev.Actor = "system"
		err := s.store.UpdateConnection(ctx, c, ev)
		if ErrorCode(err) != CodePreconditionFailed {
			return
		}
		if c, err = s.store.GetConnection(ctx, c.WorkspaceID, c.ID); err != nil {
			return
		}
	}
}

// RefreshExpiring refreshes up to limit tokens that expire within the refresh margin and
// that no one is refreshing (the background refresher of idle connections; every replica
// may run it, the lease keeps each refresh to one). It returns how many it refreshed.
func (s *Service) RefreshExpiring(ctx context.Context, limit int) (int, error) {
	if s.oauth == nil {
		return 0, nil
	}
	now := s.now()
	ts, err := s.store.ListExpiringTokens(ctx, now.Add(s.oauth.RefreshMargin), now, limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		_, err := s.oauth.flights.Do(t.WorkspaceID+"/"+t.ConnectionID, func() (*ConnectionToken, error) {
			ctx, cancel := context.WithTimeout(ctx, refreshWait)
			defer cancel()
			return s.refresh(ctx, t.WorkspaceID, t.ConnectionID)
		})
		if err == nil {
			n++
		}
	}
	return n, nil
}
