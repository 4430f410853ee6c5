package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newUsage(c *sb.Connection, consumer string) *sb.Usage {
	return &sb.Usage{
		ID:           sb.NewID(sb.PrefixUsage),
		WorkspaceID:  c.WorkspaceID,
		ConnectionID: c.ID,
		Consumer:     consumer,
		CreatedAt:    sb.Now(),
	}
}

func testUsage(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateList", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		other := f.connection(t, newConnection(f.a, "kafka", "other"))
		// Oldest first means by CreatedAt: these are created newest first.
		base := sb.Now()
		var want []*sb.Usage
		var evs []*sb.AuditEvent
		for i, consumer := range []string{"workflow:wf_2", "org:org_1", "workflow:wf_1"} {
			u := newUsage(c, consumer)
			u.CreatedAt = base.Add(time.Duration(3-i) * time.Second)
			ev := event(f.a, "connection.usage.create", "connection", c.ID)
			evs = append(evs, ev)
			if err := f.s.CreateUsage(f.ctx, u, ev); err != nil {
				t.Fatal(err)
			}
			want = append([]*sb.Usage{u}, want...)
		}
		if err := f.s.CreateUsage(f.ctx, newUsage(other, "workflow:wf_2"), nil); err != nil {
			t.Fatalf("same consumer on another connection: %v", err)
		}
		got, err := f.s.ListUsages(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("ListUsages (-want +got):\n%s", diff)
		}
		none, err := f.s.ListUsages(f.ctx, f.b.ID, c.ID)
		wantNone(t, none, err)
		f.wantAudit(t, f.a, evs...)
	})

	t.Run("Exists", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		if err := f.s.CreateUsage(f.ctx, newUsage(c, "workflow:wf_1"), nil); err != nil {
			t.Fatal(err)
		}
		dup := newUsage(c, "workflow:wf_1")
		wantConflict(t, f.s.CreateUsage(f.ctx, dup, event(f.a, "connection.usage.create", "connection", c.ID)), "usage.exists")
		f.wantAudit(t, f.a)
		f.wantConnection(t, c, 1)
	})

	t.Run("NoConnection", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		missing := newUsage(c, "workflow:wf_1")
		missing.ConnectionID = sb.NewID(sb.PrefixConnection)
		bad := event(f.a, "connection.usage.create", "connection", c.ID)
		wantCode(t, f.s.CreateUsage(f.ctx, missing, bad), sb.CodeNotFound)
		// Workspace B cannot attach a usage to A's connection.
		crossed := newUsage(c, "workflow:wf_1")
		crossed.WorkspaceID = f.b.ID
		wantCode(t, f.s.CreateUsage(f.ctx, crossed, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		f.wantAudit(t, f.b)
		f.wantConnection(t, c, 0)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		other := f.connection(t, newConnection(f.a, "kafka", "other"))
		u, keep := newUsage(c, "workflow:wf_1"), newUsage(c, "workflow:wf_2")
		for _, x := range []*sb.Usage{u, keep} {
			if err := f.s.CreateUsage(f.ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		bad := event(f.a, "connection.usage.delete", "connection", c.ID)
		wantCode(t, f.s.DeleteUsage(f.ctx, f.b.ID, c.ID, u.ID, bad), sb.CodeNotFound)
		wantCode(t, f.s.DeleteUsage(f.ctx, f.a.ID, other.ID, u.ID, bad), sb.CodeNotFound)
		wantCode(t, f.s.DeleteUsage(f.ctx, f.a.ID, c.ID, sb.NewID(sb.PrefixUsage), bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		f.wantConnection(t, c, 2)

		ev := event(f.a, "connection.usage.delete", "connection", c.ID)
		if err := f.s.DeleteUsage(f.ctx, f.a.ID, c.ID, u.ID, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.ListUsages(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*sb.Usage{keep}, got, opts()); diff != "" {
			t.Errorf("ListUsages after delete (-want +got):\n%s", diff)
		}
		wantCode(t, f.s.DeleteUsage(f.ctx, f.a.ID, c.ID, u.ID, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		f.wantConnection(t, c, 1)
	})
}
