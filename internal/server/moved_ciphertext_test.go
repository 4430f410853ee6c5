package server_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// A sealed secret copied into another connection's row (as an attacker with database write
// access might) does not decrypt there: the connection reads as unreadable, its credentials
// answer 500 without any text of the secret, and the original row is unaffected.
func TestCiphertextMovedToAnotherRowDoesNotDecrypt(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			create := func(name, token string) string {
				r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
					"connector_id": "http-bearer", "connection_name": name,
					"config": map[string]any{"base_url": "https://api.example.com", "token": token},
				})
				if r.Status != http.StatusCreated {
					t.Fatalf("create: %d %s", r.Status, r.Body)
				}
				return r.Map(t)["id"].(string)
			}
			a := create("a", "token-of-a-0123456789")
			b := create("b", "token-of-b-0123456789")

			ctx := t.Context()
			ra, err := e.Store.GetConnection(ctx, "default", a)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := e.Store.GetConnection(ctx, "default", b)
			if err != nil {
				t.Fatal(err)
			}
			rb.Sealed = ra.Sealed
			if err := e.Store.UpdateConnection(ctx, rb, nil); err != nil {
				t.Fatal(err)
			}

			r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+b, e.OwnerKey, nil)
			if r.Status != http.StatusOK || r.Map(t)["unreadable"] != true {
				t.Errorf("GET moved row: %d %s, want 200 flagged unreadable", r.Status, r.Body)
			}
			r = e.Do(t, "GET", "/v1/workspaces/default/connections/"+b+"/credentials", e.OwnerKey, nil)
			if r.Status != http.StatusInternalServerError || r.Map(t)["code"] != "5000" {
				t.Errorf("credentials of moved row: %d %s, want 500 / 5000", r.Status, r.Body)
			}
			r = e.Do(t, "GET", "/v1/workspaces/default/connections/"+a+"/credentials", e.OwnerKey, nil)
			if r.Status != http.StatusOK || r.Map(t)["config"].(map[string]any)["token"] != "token-of-a-0123456789" {
				t.Errorf("credentials of the original row: %d %s", r.Status, r.Body)
			}
		})
	}
}
