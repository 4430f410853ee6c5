package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func testStore(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("HasData", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		// The keyring bootstrap trusts this answer to decide whether it may create keys, so an
		// empty store must say so and one tenant must be enough to say otherwise.
		has, err := s.HasData(ctx)
		if err != nil || has {
			t.Fatalf("HasData on an empty store = %v, %v; want false, nil", has, err)
		}
		if err := s.CreateTenant(ctx, &sb.Tenant{ID: sb.NewID("tnt"), Name: "t", CreatedAt: sb.Now()}); err != nil {
			t.Fatal(err)
		}
		has, err = s.HasData(ctx)
		if err != nil || !has {
			t.Fatalf("HasData after CreateTenant = %v, %v; want true, nil", has, err)
		}
	})

	t.Run("PingAndClose", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		// Readiness probes report a closed or unreachable database as unavailable, not as a
		// fault of ours.
		wantCode(t, s.Ping(t.Context()), sb.CodeUnavailable)
		_, err := s.GetTenant(t.Context(), "x")
		wantCode(t, err, sb.CodeUnavailable)
	})
}

func testTenant(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		want := &sb.Tenant{ID: sb.NewID("tnt"), Name: "Acme Corp", CreatedAt: sb.Now()}
		if err := s.CreateTenant(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetTenant(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("GetTenant (-want +got):\n%s", diff)
		}
		_, err = s.GetTenant(ctx, sb.NewID("tnt"))
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("Exists", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		tn := &sb.Tenant{ID: sb.NewID("tnt"), Name: "one", CreatedAt: sb.Now()}
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		wantConflict(t, s.CreateTenant(ctx, &sb.Tenant{ID: tn.ID, Name: "two", CreatedAt: sb.Now()}), "tenant.exists", "ID", tn.ID)
		got, err := s.GetTenant(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "one" {
			t.Errorf("name after a failed create = %q, want %q", got.Name, "one")
		}
	})
}

func testWorkspace(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		want := &sb.Workspace{ID: sb.NewID("ws"), TenantID: f.tenant.ID, Name: "Production", CreatedAt: sb.Now()}
		ev := event(want, "workspace.create", "workspace", want.ID)
		if err := f.s.CreateWorkspace(f.ctx, want, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetWorkspace(f.ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("GetWorkspace (-want +got):\n%s", diff)
		}
		f.wantAudit(t, want, ev)
		_, err = f.s.GetWorkspace(f.ctx, sb.NewID("ws"))
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("Exists", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		other := &sb.Tenant{ID: sb.NewID("tnt"), Name: "other", CreatedAt: sb.Now()}
		if err := f.s.CreateTenant(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		// Workspace ids are unique across tenants, so a taken id conflicts in any tenant, and
		// the failed create leaves no audit event behind.
		for _, tenantID := range []string{f.tenant.ID, other.ID} {
			w := &sb.Workspace{ID: f.a.ID, TenantID: tenantID, Name: "again", CreatedAt: sb.Now()}
			wantConflict(t, f.s.CreateWorkspace(f.ctx, w, event(w, "workspace.create", "workspace", w.ID)), "workspace.exists", "ID", f.a.ID)
		}
		f.wantAudit(t, f.a)
		got, err := f.s.GetWorkspace(f.ctx, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "A" || got.TenantID != f.tenant.ID {
			t.Errorf("workspace after failed creates = %+v", got)
		}
	})

	t.Run("NoTenant", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		w := &sb.Workspace{ID: sb.NewID("ws"), TenantID: sb.NewID("tnt"), Name: "orphan", CreatedAt: sb.Now()}
		wantCode(t, f.s.CreateWorkspace(f.ctx, w, event(w, "workspace.create", "workspace", w.ID)), sb.CodeNotFound)
		_, err := f.s.GetWorkspace(f.ctx, w.ID)
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, w)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		other := &sb.Tenant{ID: sb.NewID("tnt"), Name: "other", CreatedAt: sb.Now()}
		if err := f.s.CreateTenant(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		want := []string{f.a.ID, f.b.ID}
		for range 10 {
			want = append(want, f.workspace(t, f.tenant.ID, "w").ID)
			f.workspace(t, other.ID, "x")
		}
		got := walk(t, 4, func(p sb.Page) ([]*sb.Workspace, error) {
			return f.s.ListWorkspaces(f.ctx, f.tenant.ID, p)
		}, func(w *sb.Workspace) string { return w.ID })
		if diff := cmp.Diff(sorted(want), got); diff != "" {
			t.Errorf("ListWorkspaces ids (-want +got):\n%s", diff)
		}
		all, err := f.s.ListWorkspaces(f.ctx, f.tenant.ID, sb.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range all {
			if w.ID != f.a.ID {
				continue
			}
			if diff := cmp.Diff(f.a, w, opts()); diff != "" {
				t.Errorf("listed workspace (-want +got):\n%s", diff)
			}
		}
		none, err := f.s.ListWorkspaces(f.ctx, sb.NewID("tnt"), sb.Page{Limit: 100})
		wantNone(t, none, err)
	})
}
