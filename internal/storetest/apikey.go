package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newAPIKey(ws *sb.Workspace) *sb.APIKey {
	key, hash := sb.GenerateAPIKey()
	return &sb.APIKey{
		ID:          sb.NewID(sb.PrefixAPIKey),
		TenantID:    ws.TenantID,
		WorkspaceID: ws.ID,
		Name:        "ci",
		Role:        sb.RoleEditor,
		Scopes:      []string{sb.ScopeCredentialsRead, "other"},
		Hash:        hash,
		Prefix:      key[:8],
		CreatedAt:   sb.Now(),
		CreatedBy:   "user_1",
	}
}

func testAPIKey(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		want := newAPIKey(f.a)
		ev := event(f.a, "api_key.create", "api_key", want.ID)
		if err := f.s.CreateAPIKey(f.ctx, want, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetAPIKeyByHash(f.ctx, want.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("GetAPIKeyByHash (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a, ev)
		_, err = f.s.GetAPIKeyByHash(f.ctx, sb.HashAPIKey("sbk_nope"))
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("Exists", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		k := newAPIKey(f.a)
		if err := f.s.CreateAPIKey(f.ctx, k, nil); err != nil {
			t.Fatal(err)
		}
		sameID := newAPIKey(f.a)
		sameID.ID = k.ID
		wantConflict(t, f.s.CreateAPIKey(f.ctx, sameID, event(f.a, "api_key.create", "api_key", k.ID)), "api_key.exists")
		sameHash := newAPIKey(f.a)
		sameHash.Hash = k.Hash
		wantConflict(t, f.s.CreateAPIKey(f.ctx, sameHash, event(f.a, "api_key.create", "api_key", sameHash.ID)), "api_key.exists")
		f.wantAudit(t, f.a)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		other := &sb.Tenant{ID: sb.NewID("tnt"), Name: "other", CreatedAt: sb.Now()}
		if err := f.s.CreateTenant(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		otherWS := f.workspace(t, other.ID, "other")
		var inA, all []string
		for i := range 12 {
			ws := f.a
			if i%3 == 0 {
				ws = f.b
			}
			k := newAPIKey(ws)
			if err := f.s.CreateAPIKey(f.ctx, k, nil); err != nil {
				t.Fatal(err)
			}
			all = append(all, k.ID)
			if ws == f.a {
				inA = append(inA, k.ID)
			}
			if err := f.s.CreateAPIKey(f.ctx, newAPIKey(otherWS), nil); err != nil {
				t.Fatal(err)
			}
		}
		id := func(k *sb.APIKey) string { return k.ID }
		got := walk(t, 5, func(p sb.Page) ([]*sb.APIKey, error) {
			return f.s.ListAPIKeys(f.ctx, f.tenant.ID, f.a.ID, p)
		}, id)
		if diff := cmp.Diff(sorted(inA), got); diff != "" {
			t.Errorf("ListAPIKeys of workspace A (-want +got):\n%s", diff)
		}
		got = walk(t, 5, func(p sb.Page) ([]*sb.APIKey, error) {
			return f.s.ListAPIKeys(f.ctx, f.tenant.ID, "", p)
		}, id)
		if diff := cmp.Diff(sorted(all), got); diff != "" {
			t.Errorf("ListAPIKeys of the tenant (-want +got):\n%s", diff)
		}
		// A workspace id paired with the wrong tenant shows nothing.
		none, err := f.s.ListAPIKeys(f.ctx, other.ID, f.a.ID, sb.Page{Limit: 100})
		wantNone(t, none, err)
	})

	t.Run("Revoke", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		k := newAPIKey(f.a)
		if err := f.s.CreateAPIKey(f.ctx, k, nil); err != nil {
			t.Fatal(err)
		}
		other := &sb.Tenant{ID: sb.NewID("tnt"), Name: "other", CreatedAt: sb.Now()}
		if err := f.s.CreateTenant(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		at := sb.Now()
		bad := event(f.a, "api_key.revoke", "api_key", k.ID)
		wantCode(t, f.s.RevokeAPIKey(f.ctx, other.ID, k.ID, at, bad), sb.CodeNotFound)
		wantCode(t, f.s.RevokeAPIKey(f.ctx, f.tenant.ID, sb.NewID(sb.PrefixAPIKey), at, bad), sb.CodeNotFound)
		got, err := f.s.GetAPIKeyByHash(f.ctx, k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt != nil {
			t.Fatalf("RevokedAt after a failed revoke = %v, want nil", got.RevokedAt)
		}
		f.wantAudit(t, f.a)

		ev := event(f.a, "api_key.revoke", "api_key", k.ID)
		if err := f.s.RevokeAPIKey(f.ctx, f.tenant.ID, k.ID, at, ev); err != nil {
			t.Fatal(err)
		}
		// A revoked key is still found by its hash: authentication must tell "revoked" from
		// "unknown".
		got, err = f.s.GetAPIKeyByHash(f.ctx, k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		want := *k
		want.RevokedAt = &at
		if diff := cmp.Diff(&want, got, opts()); diff != "" {
			t.Errorf("revoked key (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a, ev)
	})
}
