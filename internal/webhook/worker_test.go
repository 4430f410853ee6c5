package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/sqlite"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

var drivers = []string{"sqlite", "postgres"}

// stack is a store and service that can be closed and opened again on the same database,
// as a restarted replica would.
type stack struct {
	t      *testing.T
	driver string
	where  string // SQLite file or PostgreSQL DSN
	ring   *seal.Keyring
	store  sb.Store
	svc    *sb.Service
	ctx    context.Context // acting as the owner of workspace "default"
}

func newStack(t *testing.T, driver string) *stack {
	t.Helper()
	s := &stack{t: t, driver: driver}
	switch driver {
	case "sqlite":
		s.where = filepath.Join(t.TempDir(), "switchboard.db")
	case "postgres":
		s.where = postgres.TestDSN(t)
	}
	var err error
	if s.ring, err = seal.GenerateKey(seal.NewKeyID()); err != nil {
		t.Fatal(err)
	}
	s.open()
	if _, _, err := s.svc.Bootstrap(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.ctx = sb.WithPrincipal(t.Context(), &sb.Principal{
		Subject: "tester", TenantID: "default", Workspaces: []string{"default"},
		Role: sb.RoleOwner, Scopes: []string{sb.ScopeCredentialsRead},
	})
	return s
}

// open opens another store and service on the stack's database.
func (s *stack) open() {
	t := s.t
	t.Helper()
	var err error
	switch s.driver {
	case "sqlite":
		s.store, err = sqlite.Open(t.Context(), s.where)
	case "postgres":
		s.store, err = postgres.Open(t.Context(), s.where)
	}
	if err != nil {
		t.Fatal(err)
	}
	st := s.store
	t.Cleanup(func() { st.Close() })
	defs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.svc, err = sb.NewService(s.store, seal.New(s.store, s.ring), defs); err != nil {
		t.Fatal(err)
	}
}

// worker starts a delivery worker allowed to reach 127.0.0.1, with short waits.
func (s *stack) worker(backoff ...time.Duration) *webhook.Worker {
	if backoff == nil {
		backoff = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	}
	g := outbound.NewGuard(outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 5 * time.Second})
	w := webhook.Start(webhook.Config{Service: s.svc, Doer: webhook.NewGuardDoer(g), PollInterval: 20 * time.Millisecond,
		Lease: 10 * time.Second, Backoff: backoff})
	s.t.Cleanup(w.Stop)
	return w
}

func (s *stack) endpoint(url string, events ...string) (*sb.WebhookEndpoint, sb.Secret) {
	s.t.Helper()
	in := sb.WebhookEndpointInput{URL: &url}
	if events != nil {
		in.Events = events
	}
	e, secret, err := s.svc.CreateWebhookEndpoint(s.ctx, "default", in)
	if err != nil {
		s.t.Fatal(err)
	}
	return e, secret
}

const canary = "canary-token-6f1d2b9e0c4a"

func (s *stack) connection(name string) *sb.Connection {
	s.t.Helper()
	c, _, err := s.svc.CreateConnection(s.ctx, "default", sb.ConnectionInput{
		ConnectorID: "http-bearer", Name: name,
		Config: map[string]any{"base_url": "https://api.example.com", "token": canary},
	}, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// received is one request the test receiver got.
type received struct {
	header http.Header
	body   []byte
	typ    string
}

// receiver is a webhook endpoint on 127.0.0.1 that records what reaches it and answers with
// the status answer gives for the n-th request (from 1).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int) int
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env struct{ Type string }
		_ = json.Unmarshal(body, &env)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), body, env.Type})
		n := len(r.got)
		r.mu.Unlock()
		status := http.StatusNoContent
		if r.answer != nil {
			status = r.answer(n)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor polls until cond holds, for at most 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func types(rs []received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.typ)
	}
	return out
}

// TestDeliversConnectionEvents: every change to a connection reaches a registered endpoint,
// in order, signed with its secret, and no payload holds a secret.
func TestDeliversConnectionEvents(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s := newStack(t, d)
			rcv := newReceiver(t, nil)
			_, secret := s.endpoint(rcv.srv.URL + "/hooks")
			s.worker()

			c := s.connection("crm")
			desc := "renamed"
			if _, err := s.svc.UpdateConnection(s.ctx, "default", c.ID, sb.ConnectionPatch{Description: &desc}, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := s.svc.TransitionConnection(s.ctx, "default", c.ID, sb.TransitionSuspend); err != nil {
				t.Fatal(err)
			}
			if _, err := s.svc.GetCredentials(s.ctx, "default", c.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.svc.DeleteConnection(s.ctx, "default", c.ID, false); err != nil {
				t.Fatal(err)
			}
			want := []string{sb.EventConnectionCreated, sb.EventConnectionUpdated, sb.EventConnectionStatusChanged,
				sb.EventConnectionCredsRead, sb.EventConnectionDeleted}
			waitFor(t, "5 events", func() bool { return len(rcv.all()) >= len(want) })
			time.Sleep(100 * time.Millisecond) // nothing more arrives
			got := rcv.all()
			if !slices.Equal(types(got), want) {
				t.Fatalf("event types = %v, want %v", types(got), want)
			}
			key := sb.WebhookKey(secret.Reveal())
			seen := webhook.NewMemoryReplayCache()
			for i, r := range got {
				if err := webhook.Verify(key, r.header, r.body, 0, seen); err != nil {
					t.Errorf("event %d (%s): %v", i, r.typ, err)
				}
				if !strings.HasPrefix(r.header.Get("webhook-id"), "msg_") || r.header.Get("Content-Type") != "application/json" {
					t.Errorf("event %d headers: %v", i, r.header)
				}
				if strings.Contains(string(r.body), canary) || strings.Contains(string(r.body), secret.Reveal()) {
					t.Errorf("event %d carries a secret: %s", i, r.body)
				}
				var p struct {
					Type      string
					Timestamp time.Time
					Data      map[string]any
				}
				if err := json.Unmarshal(r.body, &p); err != nil {
					t.Fatal(err)
				}
				if p.Data["connection_id"] != c.ID || p.Data["workspace_id"] != "default" || p.Data["actor"] != "tester" || p.Timestamp.IsZero() {
					t.Errorf("event %d payload: %s", i, r.body)
				}
				if p.Type == sb.EventConnectionStatusChanged && (p.Data["from"] != string(sb.StatusPending) || p.Data["to"] != string(sb.StatusSuspended)) {
					t.Errorf("status change payload: %s", r.body)
				}
			}
		})
	}
}

// TestRetriesUntilDelivered: a receiver failing twice gets the event on the third attempt,
// under the same webhook-id, and every attempt is recorded.
func TestRetriesUntilDelivered(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s := newStack(t, d)
			rcv := newReceiver(t, func(n int) int {
				if n <= 2 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			})
			e, _ := s.endpoint(rcv.srv.URL, sb.EventConnectionCreated)
			s.worker()
			s.connection("crm")
			var ds []*sb.WebhookDelivery
			waitFor(t, "delivery", func() bool {
				var err error
				ds, _, err = s.svc.ListWebhookDeliveries(s.ctx, "default", e.ID, sb.Page{})
				return err == nil && len(ds) == 1 && ds[0].Status == sb.DeliveryDelivered
			})
			dl := ds[0]
			if dl.Attempts != 3 || dl.LastStatus != 200 || dl.DeliveredAt == nil || len(dl.AttemptLog) != 3 {
				t.Fatalf("delivery = %+v", dl)
			}
			for i, want := range []int{500, 500, 200} {
				a := dl.AttemptLog[i]
				if a.StatusCode != want || a.At.IsZero() || a.Duration <= 0 {
					t.Errorf("attempt %d = %+v, want status %d", i, a, want)
				}
			}
			if dl.AttemptLog[0].Error == "" || dl.AttemptLog[2].Error != "" {
				t.Errorf("attempt errors: %+v", dl.AttemptLog)
			}
			got := rcv.all()
			if len(got) != 3 {
				t.Fatalf("receiver got %d requests", len(got))
			}
			for _, r := range got[1:] {
				if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") {
					t.Errorf("retry under another webhook-id: %s vs %s", r.header.Get("webhook-id"), got[0].header.Get("webhook-id"))
				}
			}
		})
	}
}

// TestGivesUpAfterMaxAttempts: past the last backoff step the delivery is failed and no
// more requests are sent.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	s := newStack(t, "sqlite")
	rcv := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	e, _ := s.endpoint(rcv.srv.URL, sb.EventConnectionCreated)
	s.worker(5*time.Millisecond, 5*time.Millisecond)
	s.connection("crm")
	waitFor(t, "failed delivery", func() bool {
		ds, _, _ := s.svc.ListWebhookDeliveries(s.ctx, "default", e.ID, sb.Page{})
		return len(ds) == 1 && ds[0].Status == sb.DeliveryFailed
	})
	time.Sleep(100 * time.Millisecond)
	if n := len(rcv.all()); n != 3 {
		t.Errorf("receiver got %d requests, want 3 (1 + 2 retries)", n)
	}
}

// TestRestartLosesNoEvent: events written while no worker runs, and a store closed before
// delivering them, are all delivered exactly once by a worker of a new process.
func TestRestartLosesNoEvent(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s := newStack(t, d)
			rcv := newReceiver(t, nil)
			_, secret := s.endpoint(rcv.srv.URL)
			w := s.worker()
			w.Stop() // the replica goes down before anything happens...
			for _, n := range []string{"a", "b", "c"} {
				s.connection(n)
			}
			if err := s.store.Close(); err != nil { // ...and its database connection with it
				t.Fatal(err)
			}
			if n := len(rcv.all()); n != 0 {
				t.Fatalf("delivered %d events without a worker", n)
			}
			s.open()
			s.worker()
			waitFor(t, "3 events", func() bool { return len(rcv.all()) >= 3 })
			time.Sleep(200 * time.Millisecond)
			got := rcv.all()
			ids := map[string]int{}
			for _, r := range got {
				ids[r.header.Get("webhook-id")]++
				if err := webhook.Verify(sb.WebhookKey(secret.Reveal()), r.header, r.body, 0, nil); err != nil {
					t.Error(err)
				}
			}
			if len(got) != 3 || len(ids) != 3 {
				t.Errorf("received %d requests with %d distinct ids, want 3 and 3", len(got), len(ids))
			}
		})
	}
}

// TestTwoWorkersDeliverOnce: two replicas on one PostgreSQL, each with several senders, never
// deliver one event twice.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	s := newStack(t, "postgres")
	rcv := newReceiver(t, nil)
	s.endpoint(rcv.srv.URL)
	const n = 30
	for i := range n {
		s.connection("c" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	other := &stack{t: t, driver: s.driver, where: s.where, ring: s.ring}
	other.open()
	g := outbound.NewGuard(outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	for _, svc := range []*sb.Service{s.svc, other.svc} {
		w := webhook.Start(webhook.Config{Service: svc, Doer: webhook.NewGuardDoer(g), Workers: 3, Batch: 2,
			PollInterval: 10 * time.Millisecond, Lease: time.Minute})
		t.Cleanup(w.Stop)
	}
	waitFor(t, "all events", func() bool { return len(rcv.all()) >= n })
	time.Sleep(200 * time.Millisecond)
	ids := map[string]int{}
	for _, r := range rcv.all() {
		ids[r.header.Get("webhook-id")]++
	}
	for id, c := range ids {
		if c != 1 {
			t.Errorf("%s delivered %d times", id, c)
		}
	}
	if len(ids) != n {
		t.Errorf("%d distinct events delivered, want %d", len(ids), n)
	}
}

// TestRotatedSecretSignsTwice: after a rotation a delivery carries one signature per secret,
// and each verifies with its own secret alone.
func TestRotatedSecretSignsTwice(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s := newStack(t, d)
			rcv := newReceiver(t, nil)
			e, old := s.endpoint(rcv.srv.URL, sb.EventConnectionCreated)
			_, fresh, err := s.svc.RotateWebhookSecret(s.ctx, "default", e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if fresh.Reveal() == old.Reveal() || !strings.HasPrefix(fresh.Reveal(), "whsec_") {
				t.Fatal("rotation kept the secret or changed its form")
			}
			s.worker()
			s.connection("crm")
			waitFor(t, "event", func() bool { return len(rcv.all()) == 1 })
			r := rcv.all()[0]
			sigs := strings.Fields(r.header.Get("webhook-signature"))
			if len(sigs) != 2 {
				t.Fatalf("webhook-signature = %q, want two signatures", r.header.Get("webhook-signature"))
			}
			for i, secret := range []sb.Secret{fresh, old} {
				h := r.header.Clone()
				h.Set("webhook-signature", sigs[i])
				if err := webhook.Verify(sb.WebhookKey(secret.Reveal()), h, r.body, 0, nil); err != nil {
					t.Errorf("signature %d with its secret: %v", i, err)
				}
			}
		})
	}
}

// TestTestEvent: the test action sends a signed webhook.test event, even to an endpoint
// subscribed to nothing else.
func TestTestEvent(t *testing.T) {
	s := newStack(t, "sqlite")
	rcv := newReceiver(t, nil)
	e, secret := s.endpoint(rcv.srv.URL, sb.EventConnectionDeleted)
	s.worker()
	if _, err := s.svc.TestWebhookEndpoint(s.ctx, "default", e.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "test event", func() bool { return len(rcv.all()) == 1 })
	r := rcv.all()[0]
	if r.typ != sb.EventWebhookTest {
		t.Errorf("type = %q", r.typ)
	}
	if err := webhook.Verify(sb.WebhookKey(secret.Reveal()), r.header, r.body, 0, nil); err != nil {
		t.Error(err)
	}
}
