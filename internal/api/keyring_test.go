package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

type keyringBody struct {
	ActiveKeyID string `json:"active_key_id"`
	Keys        []struct {
		ID        string `json:"id"`
		Rows      int    `json:"rows"`
		Active    bool   `json:"active"`
		InKeyring bool   `json:"in_keyring"`
	} `json:"keys"`
	Rewrap struct {
		Total     int  `json:"total"`
		Done      int  `json:"done"`
		Remaining int  `json:"remaining"`
		Complete  bool `json:"complete"`
	} `json:"rewrap"`
}

// TestKeyringStatus reads the keyring status as the tenant-wide owner: the active key wraps
// the data key of every workspace that sealed something, and a re-wrap has nothing left to do.
func TestKeyringStatus(t *testing.T) {
	e := testenv.New(t, "sqlite")
	for _, ws := range []string{"default", "team-b"} {
		e.Workspace(t, ws)
		createIn(t, e, ws)
	}
	r := e.Do(t, "GET", "/v1/keyring", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v1/keyring: %d %s", r.Status, r.Body)
	}
	var got keyringBody
	r.JSON(t, &got)
	if got.ActiveKeyID == "" || len(got.Keys) != 1 || got.Keys[0].ID != got.ActiveKeyID {
		t.Fatalf("keyring = %+v, want one key, the active one", got)
	}
	if k := got.Keys[0]; k.Rows != 2 || !k.Active || !k.InKeyring {
		t.Errorf("active key = %+v, want 2 rows (one data key per workspace), active, in the keyring", k)
	}
	if diff := cmp.Diff(struct{ Total, Done, Remaining int }{2, 2, 0},
		struct{ Total, Done, Remaining int }{got.Rewrap.Total, got.Rewrap.Done, got.Rewrap.Remaining}); diff != "" || !got.Rewrap.Complete {
		t.Errorf("rewrap = %+v (-want +got):\n%s", got.Rewrap, diff)
	}
}

// TestKeyringStatusCountsOwnTenant: the owner of another tenant sees the same keyring but
// none of tenant default's data keys.
func TestKeyringStatusCountsOwnTenant(t *testing.T) {
	e := testenv.New(t, "sqlite")
	createIn(t, e, "default")
	if err := e.Store.CreateTenant(t.Context(), &switchboard.Tenant{ID: "other", Name: "Other", CreatedAt: switchboard.Now()}); err != nil {
		t.Fatal(err)
	}
	other := e.Token(t, auth.Claims{Subject: "o", TenantID: "other", Workspaces: []string{"*"}, Role: switchboard.RoleOwner})
	var mine, theirs keyringBody
	e.Do(t, "GET", "/v1/keyring", e.OwnerKey, nil).JSON(t, &mine)
	r := e.Do(t, "GET", "/v1/keyring", other, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("other tenant's owner: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &theirs)
	if mine.Rewrap.Total != 1 || theirs.Rewrap.Total != 0 || theirs.ActiveKeyID != mine.ActiveKeyID {
		t.Errorf("default sees %+v, other sees %+v; want 1 and 0 data keys, one active key", mine, theirs)
	}
}

func createIn(t *testing.T, e *testenv.Env, ws string) {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/connections", e.OwnerKey, map[string]any{
		"connector_id": "http-bearer", "connection_name": "c",
		"config": map[string]any{"base_url": "https://api.example.com", "token": "tok_keyring_0123456789"},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create connection in %s: %d %s", ws, r.Status, r.Body)
	}
}

// TestKeyringStatusForbidden: the keyring serves every workspace, so a workspace-bound admin
// key and a tenant-wide editor are refused; no principal at all is unauthenticated.
func TestKeyringStatusForbidden(t *testing.T) {
	e := testenv.New(t, "sqlite")
	admin := e.Key(t, "default", switchboard.RoleAdmin)
	editor := e.Token(t, auth.Claims{Subject: "ed", TenantID: "default", Workspaces: []string{"*"}, Role: switchboard.RoleEditor})
	tenantAdmin := e.Token(t, auth.Claims{Subject: "ad", TenantID: "default", Workspaces: []string{"*"}, Role: switchboard.RoleAdmin})
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"workspace admin key", admin, http.StatusForbidden},
		{"tenant-wide editor", editor, http.StatusForbidden},
		{"tenant-wide admin", tenantAdmin, http.StatusOK},
		{"none", "", http.StatusUnauthorized},
	} {
		if r := e.Do(t, "GET", "/v1/keyring", tc.token, nil); r.Status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
		}
	}
}

// TestKeyringStatusWithoutKeyring: a service that was given no keyring answers 503, not an
// empty status that would read as "nothing to re-wrap".
func TestKeyringStatusWithoutKeyring(t *testing.T) {
	e := testenv.New(t, "sqlite")
	e.Service.SetKeyring(nil)
	if r := e.Do(t, "GET", "/v1/keyring", e.OwnerKey, nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /v1/keyring without a keyring: %d %s, want 503", r.Status, r.Body)
	}
}
