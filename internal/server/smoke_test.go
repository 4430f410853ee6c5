package server_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

func TestSmokeCreateAndReadCredentials(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "http-bearer", "connection_name": "api",
				"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-0123456789abcdef"},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			id := r.Map(t)["id"].(string)
			r = e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("credentials: %d %s", r.Status, r.Body)
			}
			if got := r.Map(t)["config"].(map[string]any)["token"]; got != "tok-0123456789abcdef" {
				t.Fatalf("token = %v", got)
			}
		})
	}
}
