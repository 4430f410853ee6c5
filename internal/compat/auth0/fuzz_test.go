package auth0_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The operations of FuzzAuth0Request, chosen by its first argument.
const (
	aCreateOrg   = iota // POST /api/v2/organizations, body fuzzed
	aAdd                // POST .../organizations/{id}/connections, body fuzzed
	aUpdate             // PATCH .../connections/{connection_id}, body fuzzed
	aList               // GET .../connections?s (page, per_page, include_totals, is_enabled)
	aListEnabled        // GET .../enabled_connections?s
	aOps
)

// FuzzAuth0Request drives the Auth0 organization routes of a real server on SQLite with
// fuzzed bodies and list queries. No input may panic or get a 5xx; every refusal is a 4xx in
// Auth0's error body ({"statusCode","error","message","errorCode"?}) whose statusCode is the
// response's status.
func FuzzAuth0Request(f *testing.F) {
	e := testenv.New(f, "sqlite")
	r := e.Do(f, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
		"connector_id": "http-bearer", "connection_name": "fuzz-login",
		"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-fuzz"},
	})
	if r.Status != http.StatusCreated {
		f.Fatalf("create connection: %d %s", r.Status, r.Body)
	}
	conn := r.Map(f)["id"].(string)
	r = e.Do(f, "POST", orgs, e.OwnerKey, map[string]any{"name": "fuzz-org", "display_name": "Fuzz"})
	if r.Status != http.StatusCreated {
		f.Fatalf("create organization: %d %s", r.Status, r.Body)
	}
	org := orgs + "/" + r.Map(f)["id"].(string)
	r = e.Do(f, "POST", org+"/connections", e.OwnerKey, map[string]any{"connection_id": conn, "assign_membership_on_login": true})
	if r.Status != http.StatusCreated {
		f.Fatalf("add connection: %d %s", r.Status, r.Body)
	}
	for _, s := range []struct {
		op   uint8
		s    string
		body string
	}{
		{aCreateOrg, "", `{"name":"acme","display_name":"Acme"}`},
		{aCreateOrg, "", `{"name":"Not Valid!","display_name":"","branding":{"logo_url":"javascript:x"},"id":"org_x"}`},
		{aAdd, "", `{"connection_id":"` + conn + `","organization_connection_name":"acme-login","assign_membership_on_login":true,"show_as_button":true,"is_signup_enabled":true,"organization_access_level":"none","is_enabled":true}`},
		{aAdd, "", `{"connection_id":"<string>","organization_connection_name":"<string>","assign_membership_on_login":true,"show_as_button":true,"is_signup_enabled":true,"organization_access_level":"none","is_enabled":true}`},
		{aAdd, "", `{"connection_id":"` + conn + `","is_signup_enabled":true,"organization_access_level":"root"}`},
		{aAdd, "", `{"connection_id":"con_p8k8DoM15hulZbjc012345678901234567890123456789012"}`},
		{aUpdate, "", `{"assign_membership_on_login":false,"show_as_button":false,"is_enabled":false,"organization_access_level":"full"}`},
		{aUpdate, "", `{"connection_id":"x","is_signup_enabled":true}`},
		{aUpdate, "", `{"organization_connection_name":""}`},
		{aList, "page=0&per_page=50&include_totals=true", ""},
		{aList, "page=-1&per_page=101&include_totals=yes&is_enabled=maybe", ""},
		{aListEnabled, "page=1048577&per_page=0", ""},
		{aListEnabled, "is_enabled=false&include_totals=false", ""},
	} {
		f.Add(s.op, s.s, []byte(s.body))
	}
	h := e.Server.Handler()
	f.Fuzz(func(t *testing.T, op uint8, s string, body []byte) {
		var req *http.Request
		switch op % aOps {
		case aCreateOrg:
			req = httptest.NewRequestWithContext(t.Context(), "POST", orgs, bytes.NewReader(body))
		case aAdd:
			req = httptest.NewRequestWithContext(t.Context(), "POST", org+"/connections", bytes.NewReader(body))
		case aUpdate:
			req = httptest.NewRequestWithContext(t.Context(), "PATCH", org+"/connections/"+conn, bytes.NewReader(body))
		case aList:
			req = httptest.NewRequestWithContext(t.Context(), "GET", org+"/connections", nil)
			req.URL.RawQuery = s
		case aListEnabled:
			req = httptest.NewRequestWithContext(t.Context(), "GET", org+"/enabled_connections", nil)
			req.URL.RawQuery = s
		}
		if req.Method != "GET" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkAuth0(t, w)
	})
}

// checkAuth0 fails t unless w is a success or a 4xx in Auth0's error body.
func checkAuth0(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
		ErrorCode  string `json:"errorCode"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.StatusCode != w.Code || body.Error == "" || body.Message == "" {
		t.Fatalf("status %d: not Auth0's error body (%v): %s", w.Code, err, w.Body)
	}
}
