package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

// newConnection returns a connection of ws with every field set.
func newConnection(ws *sb.Workspace, connectorID, name string) *sb.Connection {
	now := sb.Now()
	return &sb.Connection{
		ID:               sb.NewID(sb.PrefixConnection),
		WorkspaceID:      ws.ID,
		ConnectorID:      connectorID,
		ConnectorVersion: "1.0.0",
		Name:             name,
		Description:      "Orders topic",
		Config: map[string]any{
			"host":    "kafka.example",
			"port":    9092.0,
			"tls":     true,
			"topics":  []any{"orders", "refunds"},
			"options": map[string]any{"acks": "all", "retries": 3.0},
		},
		Secrets:        map[string]sb.Secret{"password": sb.NewSecret("hunter2hunter2")},
		Sealed:         []byte("sealed\x00\xff" + name),
		Variables:      []sb.Variable{{Name: "region", Value: "eu"}, {Name: "tier", Value: "gold"}},
		Credentials:    sb.CredentialRefs{Action: []string{"cred_a1", "cred_a2"}, Trigger: []string{"cred_t1"}},
		Status:         sb.StatusActive,
		Enabled:        true,
		Paused:         false,
		Environment:    "production",
		ExternalXref:   "customer-42",
		Tags:           []string{"billing", "eu"},
		Permissions:    []string{"write", "read", "admin"}, // not sorted: order is kept
		Categories:     []string{"streaming", "data"},
		Health:         sb.Health{LastHealthyAt: ptr(now.Add(-time.Hour)), LastUnhealthyAt: ptr(now.Add(-2 * time.Hour)), LastError: "timeout"},
		CreatedAt:      now,
		UpdatedAt:      now,
		CreatedBy:      "user_1",
		UpdatedBy:      "user_1",
		IdempotencyKey: "",
		RequestHash:    "",
	}
}

// storedConnection returns what a store gives back for c: everything but the clear Secrets,
// with usages counted.
func storedConnection(c *sb.Connection, usages int) *sb.Connection {
	s := *c
	s.Secrets = nil
	s.UsageCount = usages
	return &s
}

func (f *fixture) connection(t testing.TB, c *sb.Connection) *sb.Connection {
	t.Helper()
	if err := f.s.CreateConnection(f.ctx, c, nil); err != nil {
		t.Fatalf("CreateConnection: %v", err)
	}
	return c
}

func (f *fixture) wantConnection(t testing.TB, want *sb.Connection, usages int) {
	t.Helper()
	got, err := f.s.GetConnection(f.ctx, want.WorkspaceID, want.ID)
	if err != nil {
		t.Fatalf("GetConnection: %v", err)
	}
	if diff := cmp.Diff(storedConnection(want, usages), got, opts()); diff != "" {
		t.Errorf("GetConnection (-want +got):\n%s", diff)
	}
}

func testConnection(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		full := newConnection(f.a, "kafka", "orders")
		full.IdempotencyKey, full.RequestHash = "idem-1", "sha256:abc"
		full.Revision = 9 // ignored: a create always starts at 1
		// The least a connection can hold: every optional field empty.
		minimal := &sb.Connection{
			ID: sb.NewID(sb.PrefixConnection), WorkspaceID: f.a.ID, ConnectorID: "slash",
			ConnectorVersion: "1", Name: "bare", Status: sb.StatusPending, CreatedAt: sb.Now(), UpdatedAt: sb.Now(),
		}
		disabled := newConnection(f.a, "kafka", "disabled")
		disabled.Status, disabled.Enabled, disabled.Paused = sb.StatusPaused, false, true
		disabled.Health = sb.Health{}
		var evs []*sb.AuditEvent
		for _, c := range []*sb.Connection{full, minimal, disabled} {
			ev := event(f.a, "connection.create", "connection", c.ID)
			evs = append(evs, ev)
			if err := f.s.CreateConnection(f.ctx, c, ev); err != nil {
				t.Fatal(err)
			}
			if c.Revision != 1 {
				t.Errorf("Revision after create = %d, want 1", c.Revision)
			}
			f.wantConnection(t, c, 0)
		}
		_, err := f.s.GetConnection(f.ctx, f.a.ID, sb.NewID(sb.PrefixConnection))
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a, evs...)
	})

	t.Run("NameTaken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		dup := newConnection(f.a, "kafka", "orders")
		wantConflict(t, f.s.CreateConnection(f.ctx, dup, event(f.a, "connection.create", "connection", dup.ID)), "connection.name_taken", "Name", "orders")
		_, err := f.s.GetConnection(f.ctx, f.a.ID, dup.ID)
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a)
		// Names are unique per connector and per workspace only.
		f.connection(t, newConnection(f.a, "slash", "orders"))
		f.connection(t, newConnection(f.b, "kafka", "orders"))
		f.wantConnection(t, c, 0)
	})

	t.Run("Idempotency", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		first := newConnection(f.a, "kafka", "first")
		first.IdempotencyKey, first.RequestHash = "key-1", "hash-1"
		f.connection(t, first)
		retry := newConnection(f.a, "kafka", "retry")
		retry.IdempotencyKey, retry.RequestHash = "key-1", "hash-2"
		wantConflict(t, f.s.CreateConnection(f.ctx, retry, event(f.a, "connection.create", "connection", retry.ID)), "idempotency.key_taken")
		f.wantAudit(t, f.a)
		got, err := f.s.GetConnectionByIdempotencyKey(f.ctx, f.a.ID, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(storedConnection(first, 0), got, opts()); diff != "" {
			t.Errorf("GetConnectionByIdempotencyKey (-want +got):\n%s", diff)
		}
		// The same key in workspace B is another key.
		_, err = f.s.GetConnectionByIdempotencyKey(f.ctx, f.b.ID, "key-1")
		wantCode(t, err, sb.CodeNotFound)
		inB := newConnection(f.b, "kafka", "first")
		inB.IdempotencyKey = "key-1"
		f.connection(t, inB)
		got, err = f.s.GetConnectionByIdempotencyKey(f.ctx, f.b.ID, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != inB.ID {
			t.Errorf("GetConnectionByIdempotencyKey(B) = %s, want %s", got.ID, inB.ID)
		}
		_, err = f.s.GetConnectionByIdempotencyKey(f.ctx, f.a.ID, "key-2")
		wantCode(t, err, sb.CodeNotFound)
		// No key is not a key: any number of connections are created without one.
		f.connection(t, newConnection(f.a, "kafka", "no-key-1"))
		f.connection(t, newConnection(f.a, "kafka", "no-key-2"))
		_, err = f.s.GetConnectionByIdempotencyKey(f.ctx, f.a.ID, "")
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("OtherWorkspace", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		_, err := f.s.GetConnection(f.ctx, f.b.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
		list, err := f.s.ListConnections(f.ctx, f.b.ID, sb.ConnectionFilter{Page: sb.Page{Limit: 100}})
		wantNone(t, list, err)
		moved := *c
		moved.WorkspaceID = f.b.ID
		moved.Name = "stolen"
		bad := event(f.b, "connection.update", "connection", c.ID)
		wantCode(t, f.s.UpdateConnection(f.ctx, &moved, bad), sb.CodeNotFound)
		wantCode(t, f.s.DeleteConnection(f.ctx, f.b.ID, c.ID, bad), sb.CodeNotFound)
		f.wantConnection(t, c, 0)
		f.wantAudit(t, f.b)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		f.connection(t, newConnection(f.a, "kafka", "taken"))
		before := *c

		upd := *c
		upd.ConnectorVersion = "2.0.0"
		upd.Name = "orders-v2"
		upd.Description = "Orders, version 2"
		upd.Config = map[string]any{"host": "kafka2.example", "list": []any{1.0, "two", nil}}
		upd.Sealed = []byte("resealed")
		upd.Variables = []sb.Variable{{Name: "tier", Value: "silver"}}
		upd.Credentials = sb.CredentialRefs{Action: []string{"cred_x"}, Trigger: []string{"cred_y", "cred_z"}}
		upd.Status = sb.StatusFailed
		upd.Enabled = false
		upd.Paused = true
		upd.Environment = "staging"
		upd.ExternalXref = "customer-43"
		upd.Tags = []string{"eu", "new"}
		upd.Permissions = []string{"read"}
		upd.Categories = []string{"crm", "data", "analytics"}
		upd.Health = sb.Health{LastUnhealthyAt: ptr(sb.Now()), LastError: "refused"}
		upd.UpdatedAt = c.UpdatedAt.Add(time.Minute)
		upd.UpdatedBy = "user_2"
		bad := event(f.a, "connection.update", "connection", c.ID)

		stale := upd
		stale.Revision = 0
		wantCode(t, f.s.UpdateConnection(f.ctx, &stale, bad), sb.CodePreconditionFailed)
		if stale.Revision != 0 {
			t.Errorf("Revision after a failed update = %d, want 0 unchanged", stale.Revision)
		}
		missing := upd
		missing.ID = sb.NewID(sb.PrefixConnection)
		wantCode(t, f.s.UpdateConnection(f.ctx, &missing, bad), sb.CodeNotFound)
		clash := upd
		clash.Name = "taken"
		wantConflict(t, f.s.UpdateConnection(f.ctx, &clash, bad), "connection.name_taken", "Name", "taken")
		f.wantConnection(t, &before, 0)
		f.wantAudit(t, f.a)

		ev := event(f.a, "connection.update", "connection", c.ID)
		if err := f.s.UpdateConnection(f.ctx, &upd, ev); err != nil {
			t.Fatal(err)
		}
		if upd.Revision != 2 {
			t.Errorf("Revision after update = %d, want 2", upd.Revision)
		}
		f.wantConnection(t, &upd, 0)
		f.wantAudit(t, f.a, ev)
		// The pre-update copy is now stale.
		wantCode(t, f.s.UpdateConnection(f.ctx, &before, nil), sb.CodePreconditionFailed)
		f.wantConnection(t, &upd, 0)

		// Clearing every optional field sticks: no merge with the stored row.
		upd.Description, upd.Config, upd.Sealed, upd.Variables = "", nil, nil, nil
		upd.Credentials, upd.Environment, upd.ExternalXref, upd.Tags = sb.CredentialRefs{}, "", "", nil
		upd.Permissions, upd.Categories = nil, []string{}
		upd.Health = sb.Health{}
		if err := f.s.UpdateConnection(f.ctx, &upd, nil); err != nil {
			t.Fatal(err)
		}
		f.wantConnection(t, &upd, 0)
		list, err := f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Tag: "eu", Page: sb.Page{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Name != "taken" {
			t.Errorf("tag filter after removing tags found %d connections", len(list))
		}
		// So does the category filter after removing categories.
		list, err = f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Category: "streaming", Page: sb.Page{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Name != "taken" {
			t.Errorf("category filter after removing categories found %d connections", len(list))
		}
	})

	t.Run("ConcurrentUpdates", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := newConnection(f.a, "kafka", "counter")
		c.Config = map[string]any{"counter": 0.0}
		f.connection(t, c)
		const n = 20
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				// Read-modify-write with retry, as the service does for a PATCH without
				// If-Match: every increment must land exactly once.
				for {
					cur, err := f.s.GetConnection(f.ctx, f.a.ID, c.ID)
					if err != nil {
						errs <- err
						return
					}
					cur.Config["counter"] = cur.Config["counter"].(float64) + 1
					err = f.s.UpdateConnection(f.ctx, cur, nil)
					if sb.ErrorCode(err) == sb.CodePreconditionFailed {
						continue
					}
					errs <- err
					return
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("update: %v", err)
			}
		}
		got, err := f.s.GetConnection(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Config["counter"] != float64(n) || got.Revision != n+1 {
			t.Errorf("counter %v, revision %d; want %d, %d", got.Config["counter"], got.Revision, n, n+1)
		}
	})

	t.Run("ConcurrentCreates", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		// Uniqueness holds under races, not only when a create sees the other's row: of many
		// creates with one name, or one idempotency key, exactly one wins.
		const n = 10
		for _, sameKey := range []bool{false, true} {
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					c := newConnection(f.a, "kafka", "racer")
					if sameKey {
						c.Name = c.ID
						c.IdempotencyKey = "race-key"
					}
					errs[i] = f.s.CreateConnection(f.ctx, c, event(f.a, "connection.create", "connection", c.ID))
				})
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case sameKey:
					wantConflict(t, err, "idempotency.key_taken")
				default:
					wantConflict(t, err, "connection.name_taken")
				}
			}
			if wins != 1 {
				t.Errorf("same idempotency key %v: %d creates won, want 1", sameKey, wins)
			}
		}
		list, err := f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Page: sb.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		audit, err := f.s.ListAudit(f.ctx, f.a.ID, sb.AuditFilter{Page: sb.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || len(audit) != 2 {
			t.Errorf("%d connections and %d audit events, want 2 of each", len(list), len(audit))
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		kept := f.connection(t, newConnection(f.a, "kafka", "kept"))
		for _, u := range []*sb.Usage{newUsage(c, "workflow:wf_1"), newUsage(c, "org:org_1"), newUsage(kept, "workflow:wf_1")} {
			if err := f.s.CreateUsage(f.ctx, u, nil); err != nil {
				t.Fatal(err)
			}
		}
		bad := event(f.a, "connection.delete", "connection", c.ID)
		wantCode(t, f.s.DeleteConnection(f.ctx, f.a.ID, sb.NewID(sb.PrefixConnection), bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		ev := event(f.a, "connection.delete", "connection", c.ID)
		if err := f.s.DeleteConnection(f.ctx, f.a.ID, c.ID, ev); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.GetConnection(f.ctx, f.a.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
		usages, err := f.s.ListUsages(f.ctx, f.a.ID, c.ID)
		wantNone(t, usages, err)
		wantCode(t, f.s.DeleteConnection(f.ctx, f.a.ID, c.ID, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		f.wantConnection(t, kept, 1)
		// Name is free again.
		f.connection(t, newConnection(f.a, "kafka", "orders"))
	})

	t.Run("UsageCount", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		used := f.connection(t, newConnection(f.a, "kafka", "used"))
		unused := f.connection(t, newConnection(f.a, "kafka", "unused"))
		for _, consumer := range []string{"workflow:wf_1", "workflow:wf_2", "org:org_1"} {
			if err := f.s.CreateUsage(f.ctx, newUsage(used, consumer), nil); err != nil {
				t.Fatal(err)
			}
		}
		f.wantConnection(t, used, 3)
		f.wantConnection(t, unused, 0)
		list, err := f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Page: sb.Page{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		want := []*sb.Connection{storedConnection(used, 3), storedConnection(unused, 0)}
		if unused.ID < used.ID {
			want[0], want[1] = want[1], want[0]
		}
		if diff := cmp.Diff(want, list, opts()); diff != "" {
			t.Errorf("ListConnections (-want +got):\n%s", diff)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		var want []string
		for i := range 25 {
			c := f.connection(t, newConnection(f.a, "kafka", "c"+string(rune('A'+i))))
			want = append(want, c.ID)
			f.connection(t, newConnection(f.b, "kafka", c.Name))
		}
		got := walk(t, 7, func(p sb.Page) ([]*sb.Connection, error) {
			return f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Page: p})
		}, func(c *sb.Connection) string { return c.ID })
		if diff := cmp.Diff(sorted(want), got); diff != "" {
			t.Errorf("ListConnections pages (-want +got):\n%s", diff)
		}
		// Pages are exactly Limit long until the end: 7, 7, 7, 4.
		w := sorted(want)
		page, err := f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Page: sb.Page{Limit: 7, After: w[20]}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 4 {
			t.Errorf("last page has %d items, want 4", len(page))
		}
		page, err = f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Page: sb.Page{Limit: 7, After: w[24]}})
		if err != nil || len(page) != 0 {
			t.Errorf("page after the last = %d items, %v; want none", len(page), err)
		}
	})
}
