package storetest

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newEndpoint(ws *sb.Workspace, events ...string) *sb.WebhookEndpoint {
	now := sb.Now()
	return &sb.WebhookEndpoint{
		ID: sb.NewID(sb.PrefixWebhookEndpoint), TenantID: ws.TenantID, WorkspaceID: ws.ID,
		URL: "https://hooks.example.com/in", Events: events, Enabled: true,
		Sealed: []byte("sealed-secret"), CreatedAt: now, CreatedBy: "user_1", UpdatedAt: now,
	}
}

func (f *fixture) endpoint(t testing.TB, ws *sb.Workspace, events ...string) *sb.WebhookEndpoint {
	t.Helper()
	e := newEndpoint(ws, events...)
	if err := f.s.CreateWebhookEndpoint(f.ctx, e, nil); err != nil {
		t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	return e
}

func (f *fixture) deliveries(t testing.TB, ws *sb.Workspace, endpointID string) []*sb.WebhookDelivery {
	t.Helper()
	ds, err := f.s.ListWebhookDeliveries(f.ctx, ws.ID, endpointID, sb.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListWebhookDeliveries: %v", err)
	}
	return ds
}

func testWebhook(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("EndpointCRUD", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		want := newEndpoint(f.a, sb.EventConnectionCreated, sb.EventConnectionDeleted)
		ev := event(f.a, "webhook_endpoint.create", "webhook_endpoint", want.ID)
		if err := f.s.CreateWebhookEndpoint(f.ctx, want, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetWebhookEndpoint(f.ctx, f.a.ID, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("GetWebhookEndpoint (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a, ev)
		_, err = f.s.GetWebhookEndpoint(f.ctx, f.b.ID, want.ID)
		wantCode(t, err, sb.CodeNotFound)
		other := newEndpoint(f.a)
		other.WorkspaceID = "ws_missing"
		wantCode(t, f.s.CreateWebhookEndpoint(f.ctx, other, nil), sb.CodeNotFound)

		exp := sb.Now().Add(time.Hour)
		want.URL, want.Events, want.Enabled = "http://other.example/x", []string{sb.EventConnectionUpdated}, false
		want.PreviousSealed, want.PreviousExpiresAt, want.Sealed = want.Sealed, &exp, []byte("new-sealed")
		want.UpdatedAt = sb.Now()
		if err := f.s.UpdateWebhookEndpoint(f.ctx, want, nil); err != nil {
			t.Fatal(err)
		}
		got, err = f.s.GetWebhookEndpoint(f.ctx, f.a.ID, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("after update (-want +got):\n%s", diff)
		}
		inB := *want
		inB.WorkspaceID = f.b.ID
		wantCode(t, f.s.UpdateWebhookEndpoint(f.ctx, &inB, nil), sb.CodeNotFound)

		second := f.endpoint(t, f.a)
		list, err := f.s.ListWebhookEndpoints(f.ctx, f.a.ID, sb.Page{Limit: 1})
		if err != nil || len(list) != 1 || list[0].ID != want.ID {
			t.Fatalf("ListWebhookEndpoints page 1 = %v, %v", list, err)
		}
		list, err = f.s.ListWebhookEndpoints(f.ctx, f.a.ID, sb.Page{After: want.ID})
		if err != nil || len(list) != 1 || list[0].ID != second.ID {
			t.Fatalf("ListWebhookEndpoints page 2 = %v, %v", list, err)
		}
		if list, _ := f.s.ListWebhookEndpoints(f.ctx, f.b.ID, sb.Page{}); len(list) != 0 {
			t.Errorf("workspace B lists %d endpoints of A", len(list))
		}
		wantCode(t, f.s.DeleteWebhookEndpoint(f.ctx, f.b.ID, want.ID, nil), sb.CodeNotFound)
		if err := f.s.DeleteWebhookEndpoint(f.ctx, f.a.ID, want.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.GetWebhookEndpoint(f.ctx, f.a.ID, want.ID)
		wantCode(t, err, sb.CodeNotFound)
	})

	// One event per AppendAudit, then all of them in one call (the bulk path of the buffered
	// read audit): the same deliveries either way.
	for _, bulk := range []bool{false, true} {
		t.Run(map[bool]string{false: "AuditEnqueues", true: "AuditEnqueuesInBulk"}[bulk], func(t *testing.T) {
			t.Parallel()
			f := setup(t, newStore)
			all := f.endpoint(t, f.a, sb.WebhookEventTypes...)
			createdOnly := f.endpoint(t, f.a, sb.EventConnectionCreated)
			disabled := newEndpoint(f.a, sb.WebhookEventTypes...)
			disabled.Enabled = false
			if err := f.s.CreateWebhookEndpoint(f.ctx, disabled, nil); err != nil {
				t.Fatal(err)
			}
			inB := f.endpoint(t, f.b, sb.WebhookEventTypes...)

			create := event(f.a, "connection.create", "connection", "conn_1")
			status := event(f.a, "connection.status", "connection", "conn_1")
			status.Details = map[string]any{"status_from": "ACTIVE", "status_to": "FAILED"}
			other := event(f.a, "credential.create", "credential", "cred_1")
			evs := []*sb.AuditEvent{create, status, other}
			if bulk {
				if err := f.s.AppendAudit(f.ctx, evs...); err != nil {
					t.Fatal(err)
				}
			}
			for _, ev := range evs {
				if bulk {
					break
				}
				if err := f.s.AppendAudit(f.ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			ds := f.deliveries(t, f.a, all.ID)
			if len(ds) != 2 || ds[0].EventType != sb.EventConnectionCreated || ds[1].EventType != sb.EventConnectionStatusChanged {
				t.Fatalf("deliveries of the all-events endpoint = %+v", ds)
			}
			d := ds[1]
			if d.Status != sb.DeliveryPending || d.Attempts != 0 || d.WorkspaceID != f.a.ID || d.TenantID != f.a.TenantID {
				t.Errorf("new delivery = %+v", d)
			}
			var body struct {
				Type string
				Data map[string]any
			}
			if err := json.Unmarshal(d.Payload, &body); err != nil {
				t.Fatal(err)
			}
			if body.Type != sb.EventConnectionStatusChanged || body.Data["connection_id"] != "conn_1" ||
				body.Data["from"] != "ACTIVE" || body.Data["to"] != "FAILED" || body.Data["workspace_id"] != f.a.ID {
				t.Errorf("payload = %s", d.Payload)
			}
			if ds := f.deliveries(t, f.a, createdOnly.ID); len(ds) != 1 || ds[0].EventType != sb.EventConnectionCreated {
				t.Errorf("deliveries of the created-only endpoint = %+v", ds)
			}
			if ds := f.deliveries(t, f.a, disabled.ID); len(ds) != 0 {
				t.Errorf("a disabled endpoint got %d deliveries", len(ds))
			}
			if ds := f.deliveries(t, f.b, inB.ID); len(ds) != 0 {
				t.Errorf("workspace B's endpoint got %d deliveries of A's events", len(ds))
			}
			if ds := f.deliveries(t, f.b, all.ID); len(ds) != 0 {
				t.Errorf("A's deliveries listed through workspace B: %d", len(ds))
			}

			// A refresh failure that moved the status is announced as both.
			refresh := event(f.a, "connection.refresh_failed", "connection", "conn_2")
			refresh.Details = map[string]any{"reason": "invalid_grant", "status_from": "ACTIVE", "status_to": "FAILED"}
			if err := f.s.AppendAudit(f.ctx, refresh); err != nil {
				t.Fatal(err)
			}
			ds = f.deliveries(t, f.a, all.ID)
			if len(ds) != 4 || ds[2].EventType != sb.EventConnectionRefreshFailed || ds[3].EventType != sb.EventConnectionStatusChanged {
				t.Fatalf("deliveries after a refresh failure = %+v", ds)
			}
			if !strings.Contains(string(ds[3].Payload), `"from":"ACTIVE"`) {
				t.Errorf("status change of a refresh failure: %s", ds[3].Payload)
			}

			// An event whose change fails is not announced either.
			bad := event(f.a, "connection.delete", "connection", "conn_missing")
			wantCode(t, f.s.DeleteConnection(f.ctx, f.a.ID, "conn_missing", bad), sb.CodeNotFound)
			if ds := f.deliveries(t, f.a, all.ID); len(ds) != 4 {
				t.Errorf("a failed change enqueued a delivery: %d", len(ds))
			}
		})
	}

	t.Run("ClaimFinish", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		e := f.endpoint(t, f.a, sb.WebhookEventTypes...)
		for range 3 {
			if err := f.s.AppendAudit(f.ctx, event(f.a, "connection.update", "connection", "conn_1")); err != nil {
				t.Fatal(err)
			}
		}
		now := sb.Now()
		got, err := f.s.ClaimWebhookDeliveries(f.ctx, now, time.Minute, 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("claim = %d, %v", len(got), err)
		}
		if got[0].ID >= got[1].ID || got[0].LeaseToken == "" {
			t.Errorf("claim order/token: %+v", got)
		}
		// Claimed rows are not claimed again while the lease runs.
		rest, err := f.s.ClaimWebhookDeliveries(f.ctx, now, time.Minute, 10)
		if err != nil || len(rest) != 1 {
			t.Fatalf("second claim = %d, %v", len(rest), err)
		}
		if none, _ := f.s.ClaimWebhookDeliveries(f.ctx, now, time.Minute, 10); len(none) != 0 {
			t.Fatalf("third claim took %d", len(none))
		}

		d := got[0]
		at := sb.Now()
		d.Status, d.DeliveredAt, d.LastStatus, d.NextAttemptAt = sb.DeliveryDelivered, &at, 204, at
		a := sb.WebhookAttempt{At: at, StatusCode: 204, Duration: 3 * time.Millisecond}
		if err := f.s.FinishWebhookDelivery(f.ctx, d, a); err != nil {
			t.Fatal(err)
		}
		wantConflict(t, f.s.FinishWebhookDelivery(f.ctx, d, a), "webhook_delivery.lease_lost")
		missing := *d
		missing.ID = sb.NewID(sb.PrefixWebhookDelivery)
		wantCode(t, f.s.FinishWebhookDelivery(f.ctx, &missing, a), sb.CodeNotFound)

		r := got[1]
		r.Status, r.LastStatus, r.LastError, r.NextAttemptAt = sb.DeliveryPending, 500, "endpoint answered 500", now
		if err := f.s.FinishWebhookDelivery(f.ctx, r, sb.WebhookAttempt{At: at, StatusCode: 500, Error: r.LastError}); err != nil {
			t.Fatal(err)
		}
		// Due again right away (NextAttemptAt = now), and an expired lease frees the third.
		again, err := f.s.ClaimWebhookDeliveries(f.ctx, now.Add(2*time.Minute), time.Minute, 10)
		if err != nil || len(again) != 2 || again[0].ID != r.ID || again[1].ID != rest[0].ID {
			t.Fatalf("claim after retry/lease end = %+v, %v", again, err)
		}
		if again[1].LeaseToken == rest[0].LeaseToken {
			t.Error("a new claim kept the old lease token")
		}
		wantConflict(t, f.s.FinishWebhookDelivery(f.ctx, rest[0], a), "webhook_delivery.lease_lost")

		ds := f.deliveries(t, f.a, e.ID)
		if ds[0].Status != sb.DeliveryDelivered || ds[0].Attempts != 1 || ds[0].DeliveredAt == nil || ds[0].LastStatus != 204 {
			t.Errorf("delivered = %+v", ds[0])
		}
		if diff := cmp.Diff([]sb.WebhookAttempt{a}, ds[0].AttemptLog); diff != "" {
			t.Errorf("attempt log (-want +got):\n%s", diff)
		}
		if ds[1].Status != sb.DeliveryPending || ds[1].Attempts != 1 || ds[1].LastError != "endpoint answered 500" || len(ds[1].AttemptLog) != 1 {
			t.Errorf("retried = %+v", ds[1])
		}

		// Disabled endpoints' deliveries wait; deleting an endpoint drops its deliveries.
		e.Enabled = false
		if err := f.s.UpdateWebhookEndpoint(f.ctx, e, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.ClaimWebhookDeliveries(f.ctx, now.Add(time.Hour), time.Minute, 10); len(got) != 0 {
			t.Errorf("claimed %d deliveries of a disabled endpoint", len(got))
		}
		if err := f.s.DeleteWebhookEndpoint(f.ctx, f.a.ID, e.ID, nil); err != nil {
			t.Fatal(err)
		}
		if ds := f.deliveries(t, f.a, e.ID); len(ds) != 0 {
			t.Errorf("%d deliveries outlived their endpoint", len(ds))
		}
	})

	t.Run("Enqueue", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		e := f.endpoint(t, f.a, sb.EventConnectionCreated)
		now := sb.Now()
		d := &sb.WebhookDelivery{ID: sb.NewID(sb.PrefixWebhookDelivery), TenantID: f.a.TenantID, WorkspaceID: f.a.ID,
			EndpointID: e.ID, EventType: sb.EventWebhookTest, Payload: []byte(`{"type":"webhook.test"}`),
			Status: sb.DeliveryPending, NextAttemptAt: now, CreatedAt: now}
		if err := f.s.EnqueueWebhookDelivery(f.ctx, d); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*sb.WebhookDelivery{d}, f.deliveries(t, f.a, e.ID), opts()); diff != "" {
			t.Errorf("deliveries (-want +got):\n%s", diff)
		}
		inB := *d
		inB.ID, inB.WorkspaceID = sb.NewID(sb.PrefixWebhookDelivery), f.b.ID
		wantCode(t, f.s.EnqueueWebhookDelivery(f.ctx, &inB), sb.CodeNotFound)
	})

	t.Run("ConcurrentClaims", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		f.endpoint(t, f.a, sb.WebhookEventTypes...)
		const n = 40
		for range n {
			if err := f.s.AppendAudit(f.ctx, event(f.a, "connection.update", "connection", "conn_1")); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					ds, err := f.s.ClaimWebhookDeliveries(f.ctx, sb.Now(), time.Minute, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d distinct deliveries, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("delivery %s claimed %d times", id, c)
			}
		}
	})
	t.Run("RememberWebhookID", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "one"))
		other := f.connection(t, newConnection(f.a, "kafka", "two"))
		later := sb.Now().Add(5 * time.Minute)
		remember := func(wsID, connID, id string, exp time.Time) bool {
			t.Helper()
			fresh, err := f.s.RememberWebhookID(f.ctx, wsID, connID, id, exp)
			if err != nil {
				t.Fatalf("RememberWebhookID(%s, %s): %v", connID, id, err)
			}
			return fresh
		}
		if !remember(f.a.ID, c.ID, "msg_1", later) {
			t.Error("first msg_1 is not fresh")
		}
		if remember(f.a.ID, c.ID, "msg_1", later) {
			t.Error("second msg_1 (a replay) is fresh")
		}
		if !remember(f.a.ID, c.ID, "msg_2", later) {
			t.Error("msg_2 is not fresh")
		}
		// The id is remembered per connection: the same id through another one is fresh.
		if !remember(f.a.ID, other.ID, "msg_1", later) {
			t.Error("msg_1 through another connection is not fresh")
		}
		// An expired record does not make a replay: it is taken over.
		past := sb.Now().Add(-time.Second)
		if !remember(f.a.ID, c.ID, "msg_old", past) {
			t.Error("first msg_old is not fresh")
		}
		if !remember(f.a.ID, c.ID, "msg_old", later) {
			t.Error("msg_old after its record expired is not fresh")
		}
		if remember(f.a.ID, c.ID, "msg_old", later) {
			t.Error("msg_old again within its new record is fresh")
		}
		// Another workspace does not reach the connection; unknown connections are NotFound.
		_, err := f.s.RememberWebhookID(f.ctx, f.b.ID, c.ID, "msg_3", later)
		wantCode(t, err, sb.CodeNotFound)
		_, err = f.s.RememberWebhookID(f.ctx, f.a.ID, "conn_missing", "msg_3", later)
		wantCode(t, err, sb.CodeNotFound)
		// Deleting the connection forgets its ids (and a new one with its id starts afresh).
		if err := f.s.DeleteConnection(f.ctx, f.a.ID, other.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.RememberWebhookID(f.ctx, f.a.ID, other.ID, "msg_1", later)
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("ConcurrentRememberWebhookID", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "one"))
		exp := sb.Now().Add(5 * time.Minute)
		var fresh atomic.Int32
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				ok, err := f.s.RememberWebhookID(f.ctx, f.a.ID, c.ID, "msg_same", exp)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					fresh.Add(1)
				}
			})
		}
		wg.Wait()
		if n := fresh.Load(); n != 1 {
			t.Errorf("%d of 10 concurrent calls were fresh, want exactly 1", n)
		}
	})
}
