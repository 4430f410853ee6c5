package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

// serve sends webhooks with one worker unless told otherwise; 0 turns delivery off, and a
// value that is not a number stops the start with the variable named.
func TestServeWebhookWorkersFlag(t *testing.T) {
	t.Setenv("SWITCHBOARD_WEBHOOK_WORKERS", "")
	if got := serveCmd(&options{}).Flags().Lookup("webhook-workers").DefValue; got != "1" {
		t.Errorf("--webhook-workers default = %q, want 1", got)
	}
	t.Setenv("SWITCHBOARD_WEBHOOK_WORKERS", "0")
	if got := serveCmd(&options{}).Flags().Lookup("webhook-workers").DefValue; got != "0" {
		t.Errorf("--webhook-workers with SWITCHBOARD_WEBHOOK_WORKERS=0 = %q, want 0", got)
	}
	t.Setenv("SWITCHBOARD_WEBHOOK_WORKERS", "many")
	var out strings.Builder
	code := Run(t.Context(), []string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, &out, &out)
	if code == 0 || !strings.Contains(out.String(), "SWITCHBOARD_WEBHOOK_WORKERS") {
		t.Errorf("serve with SWITCHBOARD_WEBHOOK_WORKERS=many: exit %d\n%s", code, out.String())
	}
}

// A running serve delivers connection events to a registered endpoint (on 127.0.0.1, opened
// with --outbound-allow), signed with the endpoint's secret, and none with --webhook-workers 0.
func TestServeDeliversWebhooks(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			var mu sync.Mutex
			var got []http.Header
			var bodies [][]byte
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got, bodies = append(got, r.Header.Clone()), append(bodies, b)
				mu.Unlock()
			}))
			defer rcv.Close()
			count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }

			b := newBackend(t, d)
			// Health checks off: a check of the new connection would announce a status change
			// too, and this test counts exactly the events it causes.
			p := startServe(t, nil, append(b.flags(), "--outbound-allow", "127.0.0.1/32", "--health-interval", "0")...)
			key := parseBootstrap(t, p.stderr.String()).key
			r := p.do("POST", "/v1/workspaces/default/webhook-endpoints", key, map[string]any{"url": rcv.URL + "/in"}).
				expect(t, http.StatusCreated, "register endpoint")
			secret, _ := r.m(t)["secret"].(string)
			p.createConnection(key, "default", "crm", "tok-serve-canary")
			deadline := time.Now().Add(15 * time.Second)
			for count() < 1 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if count() != 1 {
				t.Fatalf("receiver got %d requests, want 1", count())
			}
			mu.Lock()
			h, body := got[0], bodies[0]
			mu.Unlock()
			if err := webhook.Verify(switchboard.WebhookKey(secret), h, body, 0, nil); err != nil {
				t.Errorf("delivered event does not verify: %v", err)
			}
			if !strings.Contains(string(body), `"connection.created"`) || strings.Contains(string(body), "tok-serve-canary") {
				t.Errorf("payload: %s", body)
			}
			if strings.Contains(p.stderr.String(), secret) {
				t.Error("the webhook secret is in the log")
			}
			p.stop()

			// Restarted without workers: the next event waits in the outbox.
			q := startServe(t, nil, append(b.flags(), "--outbound-allow", "127.0.0.1/32", "--health-interval", "0", "--webhook-workers", "0")...)
			q.createConnection(key, "default", "erp", "tok-2")
			time.Sleep(300 * time.Millisecond)
			if n := count(); n != 1 {
				t.Errorf("with --webhook-workers 0 the receiver got %d requests, want still 1", n)
			}
		})
	}
}
