package health_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestCompatViewsShowHealth checks that a health check run through the native route shows in
// the compatibility views: SecMaster's status and Unified's health timestamps.
func TestCompatViewsShowHealth(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Service.SetHealthChecker(health.New(loopback))
			p := newSwitchable(t)
			id := createBearer(t, e, "partner", p.srv.URL)

			views := func() (secmaster string, unified map[string]any) {
				t.Helper()
				r := e.Do(t, "GET", "/v1/default/workspaces/default/soc/assetcredentials/"+id, e.OwnerKey, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("secmaster GET: %d %s", r.Status, r.Body)
				}
				secmaster, _ = r.Map(t)["asset"].(map[string]any)["status"].(string)
				r = e.Do(t, "GET", "/unified/connection/"+id, e.OwnerKey, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("unified GET: %d %s", r.Status, r.Body)
				}
				return secmaster, r.Map(t)
			}

			runTest(t, e, id)
			status, u := views()
			if status != "SUCCESS" || u["last_healthy_at"] == nil || u["last_unhealthy_at"] != nil {
				t.Errorf("after a passing check: secmaster %q, unified healthy %v unhealthy %v", status, u["last_healthy_at"], u["last_unhealthy_at"])
			}
			p.down.Store(true)
			runTest(t, e, id)
			status, u = views()
			if status != "FAILED" || u["last_unhealthy_at"] == nil {
				t.Errorf("after a failing check: secmaster %q, unified unhealthy %v", status, u["last_unhealthy_at"])
			}
		})
	}
}

// TestSlashStatusFollowsHealth: a Slash connection starts PENDING; a passing health check
// (GET partnerEndpoint) run through the native test route shows it ACTIVE (20010203) in the
// Slash view; a failing one shows CONFIGURING (20010202: the core's FAILED needs its setup
// fixed); passing again shows ACTIVE again.
func TestSlashStatusFollowsHealth(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Service.SetHealthChecker(health.New(loopback))
			var down atomic.Bool
			var hits atomic.Int64
			partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if down.Load() || r.URL.Path != "/api" {
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(partner.Close)
			const apiKey = "sk_live_slash_health_test_key"
			r := e.Do(t, "POST", "/web/v1/workspaces/default/slash/connections", e.OwnerKey, map[string]any{
				"connectionName": "slash-health", "partnerEndpoint": partner.URL + "/api",
				"slashApiBaseUrl": "https://api.slash.com", "slashApiKey": apiKey,
				"slashAccountId": "acct_1", "slashWebhookSecret": "whsec_abcdefghijklmnop",
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			id := r.Map(t)["connectionBizId"].(string)
			view := func() (string, float64) {
				t.Helper()
				r := e.Do(t, "GET", "/web/v1/workspaces/default/slash/connections/"+id, e.OwnerKey, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("slash GET: %d %s", r.Status, r.Body)
				}
				m := r.Map(t)
				name, _ := m["connectionStatusName"].(string)
				code, _ := m["connectionStatus"].(float64)
				return name, code
			}
			check := func(want string) {
				t.Helper()
				r := e.Do(t, "POST", "/v1/workspaces/default/connections/"+id+"/test", e.OwnerKey, nil)
				if r.Status != http.StatusOK || strings.Contains(string(r.Body), apiKey) {
					t.Fatalf("POST .../test: %d %s", r.Status, r.Body)
				}
				var a testAnswer
				r.JSON(t, &a)
				if a.Connection.Status != want {
					t.Fatalf("core status after the check: %q, want %q (%s)", a.Connection.Status, want, r.Body)
				}
			}

			if name, code := view(); name != "PENDING" || code != 20010201 {
				t.Fatalf("new connection: %s %v, want PENDING 20010201", name, code)
			}
			check("ACTIVE")
			if name, code := view(); name != "ACTIVE" || code != 20010203 {
				t.Errorf("after a passing check: %s %v, want ACTIVE 20010203", name, code)
			}
			down.Store(true)
			check("FAILED")
			if name, code := view(); name != "CONFIGURING" || code != 20010202 {
				t.Errorf("after a failing check: %s %v, want CONFIGURING 20010202", name, code)
			}
			down.Store(false)
			check("ACTIVE")
			if name, code := view(); name != "ACTIVE" || code != 20010203 {
				t.Errorf("after recovering: %s %v, want ACTIVE 20010203", name, code)
			}
			if hits.Load() != 3 {
				t.Errorf("partner endpoint reached %d times, want 3", hits.Load())
			}
		})
	}
}
