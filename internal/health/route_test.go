package health_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// switchable is a partner API whose health the test sets: 200 to the right token while up,
// 503 while down. It counts requests.
type switchable struct {
	srv  *httptest.Server
	down atomic.Bool
	hits atomic.Int64

	mu    sync.Mutex
	paths map[string]int // requests per path
}

func (s *switchable) seen() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.paths)
}

func newSwitchable(t *testing.T) *switchable {
	t.Helper()
	s := &switchable{paths: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.paths[r.URL.Path]++
		s.mu.Unlock()
		switch {
		case r.Header.Get("Authorization") != "Bearer "+secretToken:
			w.WriteHeader(http.StatusUnauthorized)
		case s.down.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// createBearer creates an http-bearer connection (built-in: GET {{base_url}}/ with the token)
// pointing at url and returns its id.
func createBearer(t *testing.T, e *testenv.Env, name, url string) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
		"connector_id": "http-bearer", "connection_name": name,
		"config": map[string]any{"base_url": url, "token": secretToken},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

type testAnswer struct {
	Connection struct {
		Status string `json:"status"`
		Health struct {
			LastHealthyAt   *string `json:"last_healthy_at"`
			LastUnhealthyAt *string `json:"last_unhealthy_at"`
			LastError       string  `json:"last_error"`
		} `json:"health"`
	} `json:"connection"`
	Result struct {
		Healthy bool   `json:"healthy"`
		Error   string `json:"error"`
	} `json:"result"`
}

func runTest(t *testing.T, e *testenv.Env, id string) testAnswer {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/default/connections/"+id+"/test", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("POST .../test: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "s3cret") {
		t.Fatalf("test answer holds the secret: %s", r.Body)
	}
	var a testAnswer
	r.JSON(t, &a)
	return a
}

func TestTestConnectionRoute(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Service.SetHealthChecker(health.New(loopback))
			p := newSwitchable(t)
			id := createBearer(t, e, "partner", p.srv.URL)

			a := runTest(t, e, id)
			if !a.Result.Healthy || a.Connection.Status != "ACTIVE" || a.Connection.Health.LastHealthyAt == nil {
				t.Fatalf("healthy check: %+v, want ACTIVE with last_healthy_at", a)
			}
			p.down.Store(true)
			a = runTest(t, e, id)
			if a.Result.Healthy || a.Connection.Status != "FAILED" || a.Connection.Health.LastUnhealthyAt == nil ||
				a.Connection.Health.LastError != "unexpected status 503 from 127.0.0.1" {
				t.Fatalf("failing check: %+v, want FAILED with last_error", a)
			}
			a = runTest(t, e, id) // still failing: no transition
			if a.Connection.Status != "FAILED" {
				t.Fatalf("second failing check: status %s", a.Connection.Status)
			}
			p.down.Store(false)
			if a = runTest(t, e, id); a.Connection.Status != "ACTIVE" || a.Connection.Health.LastError != "" {
				t.Fatalf("recovered check: %+v, want ACTIVE with no last_error", a)
			}

			// The audit trail: two transitions each way... PENDING->ACTIVE, ACTIVE->FAILED,
			// FAILED->ACTIVE, and one plain health event.
			r := e.Do(t, "GET", "/v1/workspaces/default/audit?object_id="+id, e.OwnerKey, nil)
			var audit struct {
				Items []struct {
					Action  string         `json:"action"`
					Details map[string]any `json:"details"`
				} `json:"items"`
			}
			r.JSON(t, &audit)
			var moves []string
			healthEvents := 0
			for _, ev := range audit.Items {
				switch ev.Action {
				case "connection.status":
					moves = append(moves, ev.Details["status_from"].(string)+">"+ev.Details["status_to"].(string))
				case "connection.health":
					healthEvents++
				}
			}
			if got := strings.Join(moves, ","); got != "PENDING>ACTIVE,ACTIVE>FAILED,FAILED>ACTIVE" || healthEvents != 1 {
				t.Errorf("audit: transitions %q and %d health events; want PENDING>ACTIVE,ACTIVE>FAILED,FAILED>ACTIVE and 1", got, healthEvents)
			}
			if strings.Contains(string(r.Body), "s3cret") {
				t.Errorf("audit holds the secret")
			}

			// A person's status is not the checks' to change.
			if r := e.Do(t, "PATCH", "/v1/workspaces/default/connections/"+id, e.OwnerKey, map[string]any{"enabled": false}); r.Status != 200 {
				t.Fatalf("disable: %d %s", r.Status, r.Body)
			}
			p.down.Store(true)
			if a = runTest(t, e, id); a.Connection.Status != "DISABLED" || a.Result.Healthy {
				t.Errorf("check of a disabled connection: %+v, want DISABLED kept", a)
			}

			// Loopback without the allow-list: refused by policy, recorded, nothing sent.
			e.Service.SetHealthChecker(health.New(outbound.Config{}))
			p.down.Store(false)
			id2 := createBearer(t, e, "internal", p.srv.URL)
			before := p.hits.Load()
			a = runTest(t, e, id2)
			if a.Result.Healthy || a.Connection.Status != "FAILED" || !strings.Contains(a.Connection.Health.LastError, "not allowed") {
				t.Errorf("loopback without allow-list: %+v, want FAILED, refused by policy", a)
			}
			if p.hits.Load() != before {
				t.Errorf("a refused check reached the server")
			}

			// A connector without a health check: 409.
			r = e.Do(t, "POST", "/v1/workspaces/default/connectors", e.OwnerKey, map[string]any{
				"key": "nocheck", "name": "No check", "schema": map[string]any{
					"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
					"additionalProperties": false, "properties": map[string]any{"url": map[string]any{"type": "string"}}},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create connector: %d %s", r.Status, r.Body)
			}
			r = e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "nocheck", "connection_name": "n", "config": map[string]any{"url": "x"},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create connection: %d %s", r.Status, r.Body)
			}
			nid := r.Map(t)["id"].(string)
			if r := e.Do(t, "POST", "/v1/workspaces/default/connections/"+nid+"/test", e.OwnerKey, nil); r.Status != http.StatusConflict {
				t.Errorf("connection without a check: %d %s, want 409", r.Status, r.Body)
			}
		})
	}
}
