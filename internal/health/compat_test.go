package health_test

import (
	"net/http"
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
