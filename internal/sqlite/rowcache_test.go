package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// TestConnectionCacheFollowsWrites reads a connection through the cache after every kind of
// change to it: each read shows the change at once.
func TestConnectionCacheFollowsWrites(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	ctx := t.Context()
	c, ev := f.connection("cached")
	if err := f.s.CreateConnection(ctx, c, ev); err != nil {
		t.Fatal(err)
	}
	read := func() *sb.Connection {
		t.Helper()
		got, err := f.s.GetConnection(ctx, f.ws.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := read()
	hits := f.s.conns.hits.Load()
	// A caller changing what it got does not change what the next caller gets.
	first.Name, first.Config["host"], first.Tags[0] = "mutated", "mutated", "mutated"
	second := read()
	if f.s.conns.hits.Load() != hits+1 {
		t.Errorf("second read was not served from the cache")
	}
	if second.Name != "cached" || second.Config["host"] != "kafka.example" || second.Tags[0] != "eu" {
		t.Fatalf("cached row changed by a caller: %+v", second)
	}

	second.Name, second.Description = "renamed", "new description"
	if err := f.s.UpdateConnection(ctx, second, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.Name != "renamed" || got.Revision != 2 {
		t.Fatalf("after update: name %q revision %d, want renamed 2", got.Name, got.Revision)
	}

	u := &sb.Usage{ID: sb.NewID(sb.PrefixUsage), WorkspaceID: f.ws.ID, ConnectionID: c.ID, Consumer: "svc-a", CreatedAt: sb.Now()}
	if err := f.s.CreateUsage(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.UsageCount != 1 {
		t.Fatalf("after a usage: usage count %d, want 1", got.UsageCount)
	}
	if err := f.s.DeleteUsage(ctx, f.ws.ID, c.ID, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.UsageCount != 0 {
		t.Fatalf("after removing the usage: usage count %d, want 0", got.UsageCount)
	}

	// Another workspace's caller never gets the row, cached or not.
	if _, err := f.s.GetConnection(ctx, "ws_other", c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
		t.Fatalf("read from another workspace: %v, want NotFound", err)
	}

	if err := f.s.DeleteConnection(ctx, f.ws.ID, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.GetConnection(ctx, f.ws.ID, c.ID); sb.ErrorCode(err) != sb.CodeNotFound {
		t.Fatalf("after delete: %v, want NotFound", err)
	}
}

// TestConnectionCacheNeverGoesBack updates one connection from one goroutine while readers
// read it: once an update has returned, no read that starts later shows an older revision.
func TestConnectionCacheNeverGoesBack(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	ctx := t.Context()
	c, ev := f.connection("raced")
	if err := f.s.CreateConnection(ctx, c, ev); err != nil {
		t.Fatal(err)
	}
	const updates = 200
	var committed atomic.Int64
	committed.Store(1)
	var stale atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				floor := committed.Load()
				got, err := f.s.GetConnection(ctx, f.ws.ID, c.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if got.Revision < floor {
					stale.Add(1)
				}
			}
		}()
	}
	cur, err := f.s.GetConnection(ctx, f.ws.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for range updates {
		if err := f.s.UpdateConnection(ctx, cur, nil); err != nil {
			t.Fatal(err)
		}
		committed.Store(cur.Revision)
	}
	close(done)
	wg.Wait()
	if n := stale.Load(); n != 0 {
		t.Fatalf("%d reads showed a revision older than one already committed", n)
	}
	if f.s.conns.hits.Load() == 0 {
		t.Errorf("no read was served from the cache")
	}
}

// TestSubscriptionsFollowEndpoints: deliveries go to the endpoints subscribed at the time of
// each event, as endpoints are added and as a write that added one is rolled back.
func TestSubscriptionsFollowEndpoints(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	ctx := t.Context()
	read := func() *sb.AuditEvent {
		return &sb.AuditEvent{ID: sb.NewID(sb.PrefixAudit), TenantID: f.tenant.ID, WorkspaceID: f.ws.ID, Actor: "key_1",
			Action: "connection.credentials.read", ObjectType: "connection", ObjectID: "conn_1", CreatedAt: sb.Now()}
	}
	endpoint := func() *sb.WebhookEndpoint {
		return &sb.WebhookEndpoint{ID: sb.NewID("whe"), TenantID: f.tenant.ID, WorkspaceID: f.ws.ID, URL: "https://hooks.example/x",
			Events: []string{sb.EventConnectionCredsRead}, Enabled: true, Sealed: []byte("sealed"), CreatedAt: sb.Now(),
			CreatedBy: "key_1", UpdatedAt: sb.Now()}
	}
	deliveries := func(e *sb.WebhookEndpoint) int {
		t.Helper()
		ds, err := f.s.ListWebhookDeliveries(ctx, f.ws.ID, e.ID, sb.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	// No endpoint yet: the workspace's (empty) subscriptions get kept.
	if err := f.s.AppendAudit(ctx, read()); err != nil {
		t.Fatal(err)
	}
	first := endpoint()
	if err := f.s.CreateWebhookEndpoint(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AppendAudit(ctx, read()); err != nil {
		t.Fatal(err)
	}
	if n := deliveries(first); n != 1 {
		t.Fatalf("endpoint added after the first event: %d deliveries, want 1", n)
	}
	// A write that adds an endpoint, announces a read (loading the subscriptions with the
	// uncommitted endpoint) and then fails is undone alone; the next event must not be
	// delivered to the endpoint that never was.
	phantom := endpoint()
	err := f.s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, tenant_id, workspace_id, url, events, enabled, sealed,
			created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, 0, '', 0)`,
			phantom.ID, phantom.TenantID, phantom.WorkspaceID, phantom.URL, `["`+sb.EventConnectionCredsRead+`"]`, phantom.Sealed); err != nil {
			return err
		}
		if err := f.s.insertAudit(ctx, tx, read()); err != nil {
			return err
		}
		return errors.New("fail after loading")
	})
	if err == nil {
		t.Fatal("the failing write succeeded")
	}
	if err := f.s.AppendAudit(ctx, read()); err != nil {
		t.Fatalf("event after the rolled-back endpoint: %v", err)
	}
	if n := deliveries(first); n != 2 {
		t.Fatalf("first endpoint: %d deliveries, want 2", n)
	}
	if n := deliveries(phantom); n != 0 {
		t.Fatalf("rolled-back endpoint got %d deliveries", n)
	}
}

// TestReadsDoNotWaitForTheWriter holds a write transaction open (a write that has changed a
// row and not committed) while reads run: they answer from the last committed state at once.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	ctx := t.Context()
	c, ev := f.connection("committed")
	if err := f.s.CreateConnection(ctx, c, ev); err != nil {
		t.Fatal(err)
	}
	inTx, release := make(chan struct{}), make(chan struct{})
	writeDone := make(chan error, 1)
	go func() {
		writeDone <- f.s.inTx(context.Background(), nil, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE connections SET name = 'uncommitted' WHERE id = ?`, c.ID); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	readsDone := make(chan error, 1)
	go func() {
		got, err := f.s.GetConnection(ctx, f.ws.ID, c.ID)
		if err == nil && got.Name != "committed" {
			err = fmt.Errorf("read saw %q, an uncommitted name", got.Name)
		}
		if err == nil {
			var list []*sb.Connection
			list, err = f.s.ListConnections(ctx, f.ws.ID, sb.ConnectionFilter{Page: sb.Page{Limit: 10}})
			if err == nil && len(list) != 1 {
				err = fmt.Errorf("list: %d connections, want 1", len(list))
			}
		}
		readsDone <- err
	}()
	select {
	case err := <-readsDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("reads waited for the open write transaction")
	}
	close(release)
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
	got, err := f.s.GetConnection(ctx, f.ws.ID, c.ID)
	if err != nil || got.Name != "uncommitted" {
		t.Fatalf("after the commit: %+v, %v", got, err)
	}
}
