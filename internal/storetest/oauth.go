package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

var secretEq = cmp.Comparer(func(a, b sb.Secret) bool { return a.Reveal() == b.Reveal() })

func testOAuth(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("Client", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		now := sb.Now()
		c := &sb.OAuthClient{WorkspaceID: f.a.ID, ConnectorID: "github", ClientID: "cid", Sealed: []byte("s1"),
			CreatedAt: now, UpdatedAt: now, UpdatedBy: "user_1"}
		ev := event(f.a, "oauth_client.put", "connector", "github")
		if err := f.s.PutOAuthClient(f.ctx, c, ev); err != nil {
			t.Fatal(err)
		}
		f.wantAudit(t, f.a, ev)
		c2 := *c
		c2.ClientID, c2.Sealed, c2.UpdatedAt = "cid2", []byte("s2"), now.Add(time.Second)
		c2.CreatedAt = now.Add(time.Hour) // ignored on replace: the first creation time stays
		if err := f.s.PutOAuthClient(f.ctx, &c2, nil); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetOAuthClient(f.ctx, f.a.ID, "github")
		if err != nil {
			t.Fatal(err)
		}
		want := c2
		want.CreatedAt = now
		if diff := cmp.Diff(&want, got, opts(), secretEq); diff != "" {
			t.Errorf("GetOAuthClient (-want +got):\n%s", diff)
		}
		if _, err := f.s.GetOAuthClient(f.ctx, f.b.ID, "github"); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("other workspace: %v, want NotFound", err)
		}
		if err := f.s.DeleteOAuthClient(f.ctx, f.b.ID, "github", nil); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("delete from other workspace: %v, want NotFound", err)
		}
		if err := f.s.DeleteOAuthClient(f.ctx, f.a.ID, "github", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetOAuthClient(f.ctx, f.a.ID, "github"); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("after delete: %v, want NotFound", err)
		}
		if err := f.s.PutOAuthClient(f.ctx, &sb.OAuthClient{WorkspaceID: "ws_missing", ConnectorID: "x", CreatedAt: now, UpdatedAt: now}, nil); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("missing workspace: %v, want NotFound", err)
		}
	})

	t.Run("ConnectSession", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		now := sb.Now()
		cs := &sb.ConnectSession{ID: sb.NewID(sb.PrefixConnectSession), WorkspaceID: f.a.ID, ConnectorID: "github",
			ConnectionName: "gh", SuccessURL: "https://app.example/ok", FailureURL: "https://app.example/ko",
			Scopes: []string{"repo"}, TokenHash: []byte("token-hash-1"), ExpiresAt: now.Add(10 * time.Minute),
			CreatedAt: now, CreatedBy: "user_1"}
		if err := f.s.CreateConnectSession(f.ctx, cs, nil); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetConnectSessionByToken(f.ctx, cs.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cs, got, opts(), secretEq); diff != "" {
			t.Errorf("GetConnectSessionByToken (-want +got):\n%s", diff)
		}
		state := []byte("state-hash-1")
		if _, err := f.s.ClaimConnectSession(f.ctx, state, now); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("claim before open: %v, want NotFound", err)
		}
		if err := f.s.OpenConnectSession(f.ctx, cs.ID, state, []byte("verifier"), now); err != nil {
			t.Fatal(err)
		}
		if err := f.s.OpenConnectSession(f.ctx, cs.ID, []byte("state-hash-2"), nil, now); sb.ErrorCode(err) != sb.CodeConflict {
			t.Errorf("second open: %v, want Conflict", err)
		}
		claimed, err := f.s.ClaimConnectSession(f.ctx, state, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if claimed.ID != cs.ID || claimed.UsedAt == nil || string(claimed.Sealed) != "verifier" || claimed.OpenedAt == nil {
			t.Errorf("claimed = %+v", claimed)
		}
		if _, err := f.s.ClaimConnectSession(f.ctx, state, now.Add(time.Minute)); sb.ErrorCode(err) != sb.CodeConflict {
			t.Errorf("second claim: %v, want Conflict", err)
		}
		if got, err := f.s.GetConnectSessionByState(f.ctx, state); err != nil || got.ID != cs.ID {
			t.Errorf("GetConnectSessionByState = %v, %v", got, err)
		}

		expired := *cs
		expired.ID, expired.TokenHash = sb.NewID(sb.PrefixConnectSession), []byte("token-hash-2")
		if err := f.s.CreateConnectSession(f.ctx, &expired, nil); err != nil {
			t.Fatal(err)
		}
		if err := f.s.OpenConnectSession(f.ctx, expired.ID, []byte("state-hash-3"), nil, now.Add(11*time.Minute)); sb.ErrorCode(err) != sb.CodeConflict {
			t.Errorf("open after expiry: %v, want Conflict", err)
		}
		if err := f.s.OpenConnectSession(f.ctx, expired.ID, []byte("state-hash-3"), nil, now); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.ClaimConnectSession(f.ctx, []byte("state-hash-3"), now.Add(11*time.Minute)); sb.ErrorCode(err) != sb.CodeConflict {
			t.Errorf("claim after expiry: %v, want Conflict", err)
		}
	})

	t.Run("EnsureAndExpiring", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "svc", "cc"))
		now := sb.Now()
		epoch := time.Unix(0, 0).UTC()
		placeholder := &sb.ConnectionToken{WorkspaceID: f.a.ID, ConnectionID: c.ID, GrantType: sb.GrantClientCredentials,
			ExpiresAt: &epoch, UpdatedAt: now}
		if err := f.s.EnsureConnectionToken(f.ctx, &sb.ConnectionToken{WorkspaceID: f.b.ID, ConnectionID: c.ID, UpdatedAt: now}); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("ensure for another workspace's connection: %v, want NotFound", err)
		}
		if err := f.s.EnsureConnectionToken(f.ctx, placeholder); err != nil {
			t.Fatal(err)
		}
		real := *placeholder
		exp := now.Add(time.Hour)
		real.Sealed, real.ExpiresAt = []byte("tok"), &exp
		if err := f.s.PutConnectionToken(f.ctx, &real, nil); err != nil {
			t.Fatal(err)
		}
		if err := f.s.EnsureConnectionToken(f.ctx, placeholder); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetConnectionToken(f.ctx, f.a.ID, c.ID)
		if err != nil || string(got.Sealed) != "tok" {
			t.Errorf("EnsureConnectionToken replaced an existing token: %v, %v", got, err)
		}
		if ts, err := f.s.ListExpiringTokens(f.ctx, now.Add(2*time.Hour), now, 10); err != nil || len(ts) != 1 {
			t.Errorf("ListExpiringTokens of an ACTIVE connection = %v, %v; want it", ts, err)
		}
		c.Status = sb.StatusFailed
		if err := f.s.UpdateConnection(f.ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if ts, err := f.s.ListExpiringTokens(f.ctx, now.Add(2*time.Hour), now, 10); err != nil || len(ts) != 0 {
			t.Errorf("ListExpiringTokens of a FAILED connection = %v, %v; want none", ts, err)
		}
	})

	t.Run("TokenAndLease", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "github", "gh"))
		now := sb.Now()
		exp := now.Add(time.Hour)
		tok := &sb.ConnectionToken{WorkspaceID: f.a.ID, ConnectionID: c.ID, GrantType: sb.GrantAuthorizationCode,
			Sealed: []byte("tok1"), Scopes: []string{"repo"}, ExpiresAt: &exp, UpdatedAt: now}
		if err := f.s.PutConnectionToken(f.ctx, &sb.ConnectionToken{WorkspaceID: f.b.ID, ConnectionID: c.ID, UpdatedAt: now}, nil); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("token of another workspace's connection: %v, want NotFound", err)
		}
		if _, err := f.s.AcquireRefreshLease(f.ctx, f.a.ID, c.ID, "o1", now, now.Add(time.Minute)); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("lease without token: %v, want NotFound", err)
		}
		ev := event(f.a, "connection.authorize", "connection", c.ID)
		if err := f.s.PutConnectionToken(f.ctx, tok, ev); err != nil {
			t.Fatal(err)
		}
		f.wantAudit(t, f.a, ev)
		got, err := f.s.GetConnectionToken(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tok, got, opts(), secretEq); diff != "" {
			t.Errorf("GetConnectionToken (-want +got):\n%s", diff)
		}
		if _, err := f.s.GetConnectionToken(f.ctx, f.b.ID, c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("other workspace: %v, want NotFound", err)
		}
		lease := func(owner string, at time.Time) bool {
			t.Helper()
			ok, err := f.s.AcquireRefreshLease(f.ctx, f.a.ID, c.ID, owner, at, at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !lease("o1", now) {
			t.Fatal("first lease refused")
		}
		if lease("o2", now.Add(time.Second)) {
			t.Error("a held lease was given to another owner")
		}
		expiring, err := f.s.ListExpiringTokens(f.ctx, now.Add(2*time.Hour), now.Add(time.Second), 10)
		if err != nil || len(expiring) != 0 {
			t.Errorf("ListExpiringTokens with the lease held = %v, %v; want none", expiring, err)
		}
		if err := f.s.ReleaseRefreshLease(f.ctx, f.a.ID, c.ID, "o2"); err != nil {
			t.Fatal(err)
		}
		if lease("o2", now.Add(time.Second)) {
			t.Error("another owner's release freed the lease")
		}
		if !lease("o2", now.Add(2*time.Minute)) {
			t.Error("an expired lease was not given to another owner")
		}
		if err := f.s.ReleaseRefreshLease(f.ctx, f.a.ID, c.ID, "o2"); err != nil {
			t.Fatal(err)
		}
		if !lease("o3", now) {
			t.Error("a released lease was refused")
		}
		// Storing a token frees the lease.
		exp2 := now.Add(30 * time.Minute)
		tok.Sealed, tok.ExpiresAt = []byte("tok2"), &exp2
		if err := f.s.PutConnectionToken(f.ctx, tok, nil); err != nil {
			t.Fatal(err)
		}
		expiring, err = f.s.ListExpiringTokens(f.ctx, now.Add(2*time.Hour), now, 10)
		if err != nil || len(expiring) != 1 || string(expiring[0].Sealed) != "tok2" {
			t.Errorf("ListExpiringTokens = %v, %v; want the new token", expiring, err)
		}
		if expiring, _ = f.s.ListExpiringTokens(f.ctx, now.Add(10*time.Minute), now, 10); len(expiring) != 0 {
			t.Errorf("ListExpiringTokens before its expiry = %v, want none", expiring)
		}
		if !lease("o4", now) {
			t.Error("PutConnectionToken left the lease held")
		}
		if err := f.s.DeleteConnection(f.ctx, f.a.ID, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetConnectionToken(f.ctx, f.a.ID, c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
			t.Errorf("token after its connection's delete: %v, want NotFound", err)
		}
	})
}
