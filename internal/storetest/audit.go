package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func testAudit(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("AppendList", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		full := event(f.a, "connection.credentials.read", "connection", "conn_1")
		bare := &sb.AuditEvent{ID: sb.NewID(sb.PrefixAudit), WorkspaceID: f.a.ID, Action: "x", CreatedAt: sb.Now()}
		for _, ev := range []*sb.AuditEvent{full, bare, event(f.b, "connection.create", "connection", "conn_1")} {
			if err := f.s.AppendAudit(f.ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.s.ListAudit(f.ctx, f.a.ID, sb.AuditFilter{Page: sb.Page{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		want := []*sb.AuditEvent{full, bare}
		if bare.ID < full.ID {
			want = []*sb.AuditEvent{bare, full}
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("ListAudit (-want +got):\n%s", diff)
		}
	})

	t.Run("Filter", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		var all []*sb.AuditEvent
		for i := range 20 {
			obj, action := "conn_1", "connection.update"
			if i%2 == 0 {
				obj = "conn_2"
			}
			if i%3 == 0 {
				action = "connection.credentials.read"
			}
			ev := event(f.a, action, "connection", obj)
			if err := f.s.AppendAudit(f.ctx, ev); err != nil {
				t.Fatal(err)
			}
			all = append(all, ev)
			if err := f.s.AppendAudit(f.ctx, event(f.b, action, "connection", obj)); err != nil {
				t.Fatal(err)
			}
		}
		match := func(keep func(*sb.AuditEvent) bool) []string {
			var ids []string
			for _, ev := range all {
				if keep(ev) {
					ids = append(ids, ev.ID)
				}
			}
			return sorted(ids)
		}
		tests := []struct {
			name   string
			filter sb.AuditFilter
			want   []string
		}{
			{"none", sb.AuditFilter{}, match(func(*sb.AuditEvent) bool { return true })},
			{"object", sb.AuditFilter{ObjectID: "conn_1"}, match(func(e *sb.AuditEvent) bool { return e.ObjectID == "conn_1" })},
			{"action", sb.AuditFilter{Action: "connection.credentials.read"},
				match(func(e *sb.AuditEvent) bool { return e.Action == "connection.credentials.read" })},
			{"both", sb.AuditFilter{ObjectID: "conn_2", Action: "connection.update"},
				match(func(e *sb.AuditEvent) bool { return e.ObjectID == "conn_2" && e.Action == "connection.update" })},
			{"no match", sb.AuditFilter{ObjectID: "conn_3"}, nil},
		}
		for _, tt := range tests {
			got := walk(t, 3, func(p sb.Page) ([]*sb.AuditEvent, error) {
				fl := tt.filter
				fl.Page = p
				return f.s.ListAudit(f.ctx, f.a.ID, fl)
			}, func(e *sb.AuditEvent) string { return e.ID })
			if diff := cmp.Diff(tt.want, got, equateEmpty()); diff != "" {
				t.Errorf("%s: ListAudit(%+v) (-want +got):\n%s", tt.name, tt.filter, diff)
			}
		}
		none, err := f.s.ListAudit(f.ctx, sb.NewID("ws"), sb.AuditFilter{Page: sb.Page{Limit: 100}})
		wantNone(t, none, err)
	})
}
