package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newAccessKey(ws *sb.Workspace) *sb.AccessKey {
	id, _ := sb.GenerateAccessKey()
	return &sb.AccessKey{
		ID:          id,
		TenantID:    ws.TenantID,
		WorkspaceID: ws.ID,
		Name:        "huawei sdk",
		Role:        sb.RoleEditor,
		Scopes:      []string{sb.ScopeCredentialsRead},
		Sealed:      []byte("sealed-" + id), // the store keeps whatever bytes it is given
		CreatedAt:   sb.Now(),
		CreatedBy:   "user_1",
	}
}

func testAccessKey(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		want := newAccessKey(f.a)
		ev := event(f.a, "access_key.create", "access_key", want.ID)
		if err := f.s.CreateAccessKey(f.ctx, want, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetAccessKey(f.ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("GetAccessKey (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a, ev)
		noScopes := newAccessKey(f.a)
		noScopes.Scopes, noScopes.Name = nil, ""
		if err := f.s.CreateAccessKey(f.ctx, noScopes, nil); err != nil {
			t.Fatal(err)
		}
		got, err = f.s.GetAccessKey(f.ctx, noScopes.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(noScopes, got, opts()); diff != "" {
			t.Errorf("GetAccessKey without scopes (-want +got):\n%s", diff)
		}
		unknown, _ := sb.GenerateAccessKey()
		_, err = f.s.GetAccessKey(f.ctx, unknown)
		wantCode(t, err, sb.CodeNotFound)
		_, err = f.s.GetAccessKey(f.ctx, want.ID[:len(want.ID)-1])
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("CreateErrors", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		k := newAccessKey(f.a)
		if err := f.s.CreateAccessKey(f.ctx, k, nil); err != nil {
			t.Fatal(err)
		}
		bad := event(f.a, "access_key.create", "access_key", k.ID)
		sameID := newAccessKey(f.b)
		sameID.ID = k.ID
		wantConflict(t, f.s.CreateAccessKey(f.ctx, sameID, bad), "access_key.exists")

		other := &sb.Tenant{ID: sb.NewID("tnt"), Name: "other", CreatedAt: sb.Now()}
		if err := f.s.CreateTenant(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		missingWS := newAccessKey(f.a)
		missingWS.WorkspaceID = sb.NewID("ws")
		otherTenant := newAccessKey(f.a) // workspace A named under another tenant
		otherTenant.TenantID = other.ID
		for name, k := range map[string]*sb.AccessKey{"missing workspace": missingWS, "workspace of another tenant": otherTenant} {
			if err := f.s.CreateAccessKey(f.ctx, k, bad); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("%s: error %v, want not found", name, err)
			}
			if _, err := f.s.GetAccessKey(f.ctx, k.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("%s: stored anyway (%v)", name, err)
			}
		}
		f.wantAudit(t, f.a)
		got, err := f.s.GetAccessKey(f.ctx, k.ID)
		if err != nil || got.WorkspaceID != f.a.ID {
			t.Errorf("the first key changed: %+v, %v", got, err)
		}
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
			k := newAccessKey(ws)
			if err := f.s.CreateAccessKey(f.ctx, k, nil); err != nil {
				t.Fatal(err)
			}
			all = append(all, k.ID)
			if ws == f.a {
				inA = append(inA, k.ID)
			}
			if err := f.s.CreateAccessKey(f.ctx, newAccessKey(otherWS), nil); err != nil {
				t.Fatal(err)
			}
		}
		id := func(k *sb.AccessKey) string { return k.ID }
		got := walk(t, 5, func(p sb.Page) ([]*sb.AccessKey, error) {
			return f.s.ListAccessKeys(f.ctx, f.tenant.ID, f.a.ID, p)
		}, id)
		if diff := cmp.Diff(sorted(inA), got); diff != "" {
			t.Errorf("ListAccessKeys of workspace A (-want +got):\n%s", diff)
		}
		got = walk(t, 5, func(p sb.Page) ([]*sb.AccessKey, error) {
			return f.s.ListAccessKeys(f.ctx, f.tenant.ID, "", p)
		}, id)
		if diff := cmp.Diff(sorted(all), got); diff != "" {
			t.Errorf("ListAccessKeys of the tenant (-want +got):\n%s", diff)
		}
		// A workspace id paired with the wrong tenant shows nothing.
		none, err := f.s.ListAccessKeys(f.ctx, other.ID, f.a.ID, sb.Page{Limit: 100})
		wantNone(t, none, err)
		// Listed keys are whole, sealed secret included.
		page, err := f.s.ListAccessKeys(f.ctx, f.tenant.ID, f.a.ID, sb.Page{Limit: 1})
		if err != nil || len(page) != 1 {
			t.Fatalf("first page: %d keys, %v", len(page), err)
		}
		if want, err := f.s.GetAccessKey(f.ctx, page[0].ID); err != nil {
			t.Fatal(err)
		} else if diff := cmp.Diff(want, page[0], opts()); diff != "" {
			t.Errorf("listed key (-get +list):\n%s", diff)
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		k := newAccessKey(f.a)
		if err := f.s.CreateAccessKey(f.ctx, k, nil); err != nil {
			t.Fatal(err)
		}
		other := &sb.Tenant{ID: sb.NewID("tnt"), Name: "other", CreatedAt: sb.Now()}
		if err := f.s.CreateTenant(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		at := sb.Now()
		bad := event(f.a, "access_key.revoke", "access_key", k.ID)
		wantCode(t, f.s.RevokeAccessKey(f.ctx, other.ID, k.ID, at, bad), sb.CodeNotFound)
		unknown, _ := sb.GenerateAccessKey()
		wantCode(t, f.s.RevokeAccessKey(f.ctx, f.tenant.ID, unknown, at, bad), sb.CodeNotFound)
		got, err := f.s.GetAccessKey(f.ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt != nil {
			t.Fatalf("RevokedAt after a failed revoke = %v, want nil", got.RevokedAt)
		}
		f.wantAudit(t, f.a)

		ev := event(f.a, "access_key.revoke", "access_key", k.ID)
		if err := f.s.RevokeAccessKey(f.ctx, f.tenant.ID, k.ID, at, ev); err != nil {
			t.Fatal(err)
		}
		// A revoked key is still found: authentication must tell "revoked" from "unknown".
		got, err = f.s.GetAccessKey(f.ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := *k
		want.RevokedAt = &at
		if diff := cmp.Diff(&want, got, opts()); diff != "" {
			t.Errorf("revoked key (-want +got):\n%s", diff)
		}
		// Revoking again succeeds and keeps the first time.
		ev2 := event(f.a, "access_key.revoke", "access_key", k.ID)
		if err := f.s.RevokeAccessKey(f.ctx, f.tenant.ID, k.ID, at.Add(time.Hour), ev2); err != nil {
			t.Fatal(err)
		}
		got, err = f.s.GetAccessKey(f.ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&want, got, opts()); diff != "" {
			t.Errorf("key revoked twice (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a, ev, ev2)
	})
}
