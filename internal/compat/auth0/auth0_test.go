package auth0_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

const orgs = "/api/v2/organizations"

// newConnection creates a connection natively in workspace ws and returns its id.
func newConnection(t *testing.T, e *testenv.Env, ws, name string) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/connections", e.OwnerKey, map[string]any{
		"connector_id": "http-bearer", "connection_name": name,
		"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-" + name},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// newOrg creates an organization through Auth0's route and returns its id.
func newOrg(t *testing.T, e *testenv.Env, tok, name string, headers ...string) string {
	t.Helper()
	r := e.Do(t, "POST", orgs, tok, map[string]any{"name": name, "display_name": "Org " + name}, headers...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create organization: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// jsonEq compares a response body with the expected JSON value.
func jsonEq(t *testing.T, what string, r *testenv.Response, want any) {
	t.Helper()
	var got any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("%s: body %s: %v", what, r.Body, err)
	}
	raw, _ := json.Marshal(want)
	var w any
	_ = json.Unmarshal(raw, &w)
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func auth0Err(status int, text, message, code string) map[string]any {
	m := map[string]any{"statusCode": status, "error": text, "message": message}
	if code != "" {
		m["errorCode"] = code
	}
	return m
}

// TestContract replays the seed page's example and the Node SDK's recorded requests on both
// the new path and the legacy twin, checking status codes, every response field and the error
// bodies.
func TestContract(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			r := e.Do(t, "POST", orgs, e.OwnerKey, map[string]any{"name": "sb-accept-capture", "display_name": "Switchboard acceptance"})
			if r.Status != http.StatusCreated {
				t.Fatalf("create organization: %d %s", r.Status, r.Body)
			}
			org := r.Map(t)
			if id, _ := org["id"].(string); !strings.HasPrefix(id, "org_") || len(id) > 50 {
				t.Errorf("organization id %q", id)
			}
			jsonEq(t, "organization", r, map[string]any{"id": org["id"], "name": "sb-accept-capture", "display_name": "Switchboard acceptance"})
			orgID := org["id"].(string)

			for _, base := range []string{orgs + "/" + orgID + "/connections", orgs + "/" + orgID + "/enabled_connections"} {
				t.Run(base[strings.LastIndex(base, "/")+1:], func(t *testing.T) {
					c1 := newConnection(t, e, "default", "seed-"+randName(t))
					c2 := newConnection(t, e, "default", "sdk-"+randName(t))
					name := func(id string) string {
						return e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)["connection_name"].(string)
					}
					long := strings.Repeat("x", 51)
					for _, c := range []struct {
						what   string
						method string
						path   string
						body   any
						status int
						want   any // nil: not compared
					}{
						{"seed example", "POST", base, map[string]any{
							"connection_id": c1, "organization_connection_name": "acme-login", "assign_membership_on_login": true,
							"show_as_button": true, "is_signup_enabled": true, "organization_access_level": "none", "is_enabled": true,
						}, 201, map[string]any{
							"connection_id": c1, "organization_connection_name": "acme-login", "assign_membership_on_login": true,
							"show_as_button": true, "is_signup_enabled": true, "organization_access_level": "none", "is_enabled": true,
							"connection": map[string]any{"name": name(c1), "strategy": "http-bearer"},
						}},
						{"sdk create", "POST", base, map[string]any{
							"connection_id": c2, "assign_membership_on_login": true, "show_as_button": false, "is_enabled": true,
						}, 201, map[string]any{
							"connection_id": c2, "assign_membership_on_login": true, "show_as_button": false, "is_signup_enabled": false,
							"organization_access_level": "none", "is_enabled": true,
							"connection": map[string]any{"name": name(c2), "strategy": "http-bearer"},
						}},
						{"already enabled", "POST", base, map[string]any{"connection_id": c2}, 409, nil},
						{"sdk patch", "PATCH", base + "/" + c2, map[string]any{"assign_membership_on_login": false, "show_as_button": true}, 200, map[string]any{
							"connection_id": c2, "assign_membership_on_login": false, "show_as_button": true, "is_signup_enabled": false,
							"organization_access_level": "none", "is_enabled": true,
							"connection": map[string]any{"name": name(c2), "strategy": "http-bearer"},
						}},
						{"patch access level", "PATCH", base + "/" + c2, map[string]any{"organization_access_level": "full", "is_enabled": false}, 200, nil},
						{"sdk get", "GET", base + "/" + c2, nil, 200, map[string]any{
							"connection_id": c2, "assign_membership_on_login": false, "show_as_button": true, "is_signup_enabled": false,
							"organization_access_level": "full", "is_enabled": false,
							"connection": map[string]any{"name": name(c2), "strategy": "http-bearer"},
						}},
						{"patch null resets the access level", "PATCH", base + "/" + c2, map[string]any{"organization_access_level": nil}, 200, nil},
						{"signup without membership on patch", "PATCH", base + "/" + c2, map[string]any{"is_signup_enabled": true},
							400, auth0Err(400, "Bad Request", "Only database connections with assign_membership_on_login = true support is_signup_enabled = true.", "invalid_body")},
						{"patch unknown field", "PATCH", base + "/" + c2, map[string]any{"connection_id": c1}, 400, nil},
						{"patch bad enum", "PATCH", base + "/" + c2, map[string]any{"organization_access_level": "admin"}, 400, nil},
						{"sdk delete", "DELETE", base + "/" + c2, nil, 204, nil},
						{"sdk get after delete", "GET", base + "/" + c2, nil, 404, auth0Err(404, "Not Found", "No connection found by that id", "")},
						{"delete again", "DELETE", base + "/" + c2, nil, 404, nil},
						{"signup without membership", "POST", base, map[string]any{"connection_id": c2, "is_signup_enabled": true},
							400, auth0Err(400, "Bad Request", "Only database connections with assign_membership_on_login = true support is_signup_enabled = true.", "invalid_body")},
						{"inexistent connection", "POST", base, map[string]any{"connection_id": "con_p8k8DoM15hulZbjc"},
							404, auth0Err(404, "Not Found", "The connection does not exist", "inexistent_connection")},
						{"connection_id missing", "POST", base, map[string]any{"is_enabled": true}, 400, nil},
						{"connection_id too long", "POST", base, map[string]any{"connection_id": long}, 400, nil},
						{"name too long", "POST", base, map[string]any{"connection_id": c2, "organization_connection_name": long}, 400, nil},
						{"name empty", "POST", base, map[string]any{"connection_id": c2, "organization_connection_name": ""}, 400, nil},
						{"bad access level", "POST", base, map[string]any{"connection_id": c2, "organization_access_level": "owner"}, 400, nil},
						{"wrong type", "POST", base, map[string]any{"connection_id": c2, "show_as_button": "yes"}, 400, nil},
						{"unknown field", "POST", base, map[string]any{"connection_id": c2, "strategy": "auth0"}, 400, nil},
						{"defaults", "POST", base, map[string]any{"connection_id": c2}, 201, map[string]any{
							"connection_id": c2, "assign_membership_on_login": false, "show_as_button": true, "is_signup_enabled": false,
							"organization_access_level": "none", "is_enabled": true,
							"connection": map[string]any{"name": name(c2), "strategy": "http-bearer"},
						}},
						{"unknown organization", "GET", orgs + "/org_missing/connections/" + c2, nil, 404,
							auth0Err(404, "Not Found", "No organization found by that id or name", "inexistent_organization")},
					} {
						r := e.Do(t, c.method, c.path, e.OwnerKey, c.body)
						if r.Status != c.status {
							t.Errorf("%s: %d %s, want %d", c.what, r.Status, r.Body, c.status)
							continue
						}
						if c.status >= 400 {
							checkErrorShape(t, c.what, r)
							if c.status == 400 && errorCode(r) != "invalid_body" {
								t.Errorf("%s: errorCode %q, want invalid_body", c.what, errorCode(r))
							}
						}
						if c.status == 204 && len(r.Body) != 0 {
							t.Errorf("%s: 204 with a body %q", c.what, r.Body)
						}
						if c.want != nil {
							jsonEq(t, c.what, r, c.want)
						}
					}
					// Leave the organization with no connections for the other path.
					for _, id := range []string{c1, c2} {
						e.Do(t, "DELETE", base+"/"+id, e.OwnerKey, nil)
					}
				})
			}
		})
	}
}

var nameSeq int

func randName(t *testing.T) string {
	t.Helper()
	nameSeq++
	return fmt.Sprintf("c%d", nameSeq)
}

func errorCode(r *testenv.Response) string {
	var b struct {
		ErrorCode string `json:"errorCode"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.ErrorCode
}

// checkErrorShape checks Auth0's error body: statusCode equal to the status, error, message,
// and nothing else but errorCode.
func checkErrorShape(t *testing.T, what string, r *testenv.Response) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Errorf("%s: error body %s: %v", what, r.Body, err)
		return
	}
	if sc, _ := m["statusCode"].(float64); int(sc) != r.Status {
		t.Errorf("%s: statusCode %v, status %d", what, m["statusCode"], r.Status)
	}
	if s, _ := m["error"].(string); s != http.StatusText(r.Status) && !(r.Status == 413 && s != "") {
		t.Errorf("%s: error %q, want %q", what, s, http.StatusText(r.Status))
	}
	if s, _ := m["message"].(string); s == "" {
		t.Errorf("%s: no message: %s", what, r.Body)
	}
	for k := range m {
		if !slices.Contains([]string{"statusCode", "error", "message", "errorCode"}, k) {
			t.Errorf("%s: unexpected error field %q: %s", what, k, r.Body)
		}
	}
}

// TestListPaging walks the list as Auth0's Node SDK does (page from 0, per_page, include_totals
// =true, reading .connections until an empty page) and checks the other list forms.
func TestListPaging(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			org := newOrg(t, e, e.OwnerKey, "paging")
			var want []string
			for i := range 7 {
				id := newConnection(t, e, "default", fmt.Sprintf("p%d", i))
				body := map[string]any{"connection_id": id, "is_enabled": i%2 == 0}
				if r := e.Do(t, "POST", orgs+"/"+org+"/connections", e.OwnerKey, body); r.Status != 201 {
					t.Fatalf("add: %d %s", r.Status, r.Body)
				}
				want = append(want, id)
			}
			slices.Sort(want)

			// The SDK loop.
			var got []string
			for page := 0; ; page++ {
				r := e.Do(t, "GET", fmt.Sprintf("%s/%s/connections?page=%d&per_page=3&include_totals=true", orgs, org, page), e.OwnerKey, nil)
				if r.Status != 200 {
					t.Fatalf("page %d: %d %s", page, r.Status, r.Body)
				}
				var p struct {
					Start, Limit, Total int
					Connections         []struct {
						ConnectionID string         `json:"connection_id"`
						Connection   map[string]any `json:"connection"`
					}
				}
				r.JSON(t, &p)
				if p.Total != 7 || p.Start != page*3 || p.Limit != len(p.Connections) {
					t.Errorf("page %d: start=%d limit=%d total=%d (%d items)", page, p.Start, p.Limit, p.Total, len(p.Connections))
				}
				if len(p.Connections) == 0 {
					break
				}
				for _, c := range p.Connections {
					got = append(got, c.ConnectionID)
					if c.Connection["strategy"] != "http-bearer" {
						t.Errorf("list item connection %v", c.Connection)
					}
				}
				if page > 10 {
					t.Fatal("the SDK loop does not end")
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SDK walk (-want +got):\n%s", diff)
			}

			// The SDK's own first request, and the bare array without include_totals.
			r := e.Do(t, "GET", orgs+"/"+org+"/connections?page=0&per_page=50&include_totals=true", e.OwnerKey, nil)
			if m := r.Map(t); len(m["connections"].([]any)) != 7 || m["total"].(float64) != 7 {
				t.Errorf("first SDK page: %s", r.Body)
			}
			r = e.Do(t, "GET", orgs+"/"+org+"/connections", e.OwnerKey, nil)
			var bare []map[string]any
			r.JSON(t, &bare)
			if len(bare) != 7 {
				t.Errorf("bare list: %s", r.Body)
			}
			r = e.Do(t, "GET", orgs+"/"+org+"/connections?is_enabled=true&include_totals=true", e.OwnerKey, nil)
			var enabled struct {
				Total       int
				Connections []struct {
					IsEnabled bool `json:"is_enabled"`
				}
			}
			r.JSON(t, &enabled)
			if enabled.Total != 4 || len(enabled.Connections) != 4 || slices.ContainsFunc(enabled.Connections, func(c struct {
				IsEnabled bool `json:"is_enabled"`
			}) bool {
				return !c.IsEnabled
			}) {
				t.Errorf("is_enabled=true: %s", r.Body)
			}
			// The legacy twin names the array enabled_connections.
			r = e.Do(t, "GET", orgs+"/"+org+"/enabled_connections?include_totals=true&per_page=2", e.OwnerKey, nil)
			if m := r.Map(t); len(m["enabled_connections"].([]any)) != 2 || m["total"].(float64) != 7 {
				t.Errorf("legacy list: %s", r.Body)
			}
			for _, q := range []string{"per_page=0", "per_page=101", "page=-1", "page=x", "include_totals=maybe", "is_enabled=2"} {
				r := e.Do(t, "GET", orgs+"/"+org+"/connections?"+q, e.OwnerKey, nil)
				if r.Status != 400 || errorCode(r) != "invalid_query_string" {
					t.Errorf("%s: %d %s, want 400 invalid_query_string", q, r.Status, r.Body)
				}
				checkErrorShape(t, q, r)
			}
		})
	}
}

// TestErrors checks authentication, scopes, organization rules and not-found in Auth0's shape.
func TestErrors(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			org := newOrg(t, e, e.OwnerKey, "errors")
			conn := newConnection(t, e, "default", "errs")
			viewer := e.Key(t, "default", switchboard.RoleViewer)
			base := orgs + "/" + org + "/connections"
			if r := e.Do(t, "POST", base, e.OwnerKey, map[string]any{"connection_id": conn}); r.Status != 201 {
				t.Fatalf("add: %d %s", r.Status, r.Body)
			}

			for _, c := range []struct {
				what, method, path, token string
				body                      any
				status                    int
				want                      map[string]any
			}{
				{"no token", "GET", base, "", nil, 401, auth0Err(401, "Unauthorized", "Invalid token", "")},
				{"bad token", "GET", base, "sbk_" + strings.Repeat("a", 52), nil, 401, auth0Err(401, "Unauthorized", "Invalid token", "")},
				{"viewer adds", "POST", base, viewer, map[string]any{"connection_id": conn}, 403,
					auth0Err(403, "Forbidden", "Insufficient scope, expected any of: create:organization_connections", "insufficient_scope")},
				{"viewer patches", "PATCH", base + "/" + conn, viewer, map[string]any{"is_enabled": false}, 403,
					auth0Err(403, "Forbidden", "Insufficient scope, expected any of: update:organization_connections", "insufficient_scope")},
				{"viewer deletes", "DELETE", base + "/" + conn, viewer, nil, 403,
					auth0Err(403, "Forbidden", "Insufficient scope, expected any of: delete:organization_connections", "insufficient_scope")},
				{"viewer creates an organization", "POST", orgs, viewer, map[string]any{"name": "v"}, 403,
					auth0Err(403, "Forbidden", "Insufficient scope, expected any of: create:organizations", "insufficient_scope")},
				{"viewer reads", "GET", base + "/" + conn, viewer, nil, 200, nil},
				{"viewer lists", "GET", base + "?include_totals=true", viewer, nil, 200, nil},
				{"organization name taken", "POST", orgs, e.OwnerKey, map[string]any{"name": "errors"}, 409, nil},
				{"organization name with capitals", "POST", orgs, e.OwnerKey, map[string]any{"name": "Acme"}, 400, nil},
				{"organization name with a space", "POST", orgs, e.OwnerKey, map[string]any{"name": "ac me"}, 400, nil},
				{"organization name too long", "POST", orgs, e.OwnerKey, map[string]any{"name": strings.Repeat("a", 51)}, 400, nil},
				{"organization name of 50", "POST", orgs, e.OwnerKey, map[string]any{"name": strings.Repeat("a", 50)}, 201, nil},
				{"organization name missing", "POST", orgs, e.OwnerKey, map[string]any{"display_name": "x"}, 400, nil},
				{"display name too long", "POST", orgs, e.OwnerKey, map[string]any{"name": "dn", "display_name": strings.Repeat("a", 256)}, 400, nil},
				{"malformed body", "POST", base, e.OwnerKey, `{"connection_id":`, 400, nil},
				{"missing organization", "POST", orgs + "/org_nope/connections", e.OwnerKey, map[string]any{"connection_id": conn}, 404,
					auth0Err(404, "Not Found", "No organization found by that id or name", "inexistent_organization")},
				{"list of a missing organization", "GET", orgs + "/org_nope/enabled_connections", e.OwnerKey, nil, 404, nil},
			} {
				r := e.Do(t, c.method, c.path, c.token, c.body)
				if r.Status != c.status {
					t.Errorf("%s: %d %s, want %d", c.what, r.Status, r.Body, c.status)
					continue
				}
				if c.status >= 400 {
					checkErrorShape(t, c.what, r)
				}
				if c.want != nil {
					jsonEq(t, c.what, r, c.want)
				}
			}
		})
	}
}

// TestCrossFamily checks that organizations are one core object: made natively they serve
// Auth0's routes and the other way round, and a connection enabled for an organization is in
// use natively until the organization lets it go.
func TestCrossFamily(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			native := "/v1/workspaces/default/organizations"

			// Native organization, used through Auth0's routes.
			r := e.Do(t, "POST", native, e.OwnerKey, map[string]any{"name": "native-org", "display_name": "Native"})
			if r.Status != 201 {
				t.Fatalf("native create: %d %s", r.Status, r.Body)
			}
			nativeOrg := r.Map(t)["id"].(string)
			conn := newConnection(t, e, "default", "shared")
			if r := e.Do(t, "POST", orgs+"/"+nativeOrg+"/connections", e.OwnerKey, map[string]any{"connection_id": conn}); r.Status != 201 {
				t.Fatalf("enable through Auth0 on a native organization: %d %s", r.Status, r.Body)
			}

			// Auth0 organization, visible natively with the same id.
			auth0Org := newOrg(t, e, e.OwnerKey, "auth0-org")
			r = e.Do(t, "GET", native+"/"+auth0Org, e.OwnerKey, nil)
			if r.Status != 200 {
				t.Fatalf("native get of an Auth0 organization: %d %s", r.Status, r.Body)
			}
			if m := r.Map(t); m["id"] != auth0Org || m["name"] != "auth0-org" || m["display_name"] != "Org auth0-org" || m["workspace_id"] != "default" {
				t.Errorf("native view: %s", r.Body)
			}
			r = e.Do(t, "GET", native, e.OwnerKey, nil)
			if !bytes.Contains(r.Body, []byte(auth0Org)) || !bytes.Contains(r.Body, []byte(nativeOrg)) {
				t.Errorf("native list lacks an organization: %s", r.Body)
			}
			if r := e.Do(t, "POST", orgs+"/"+auth0Org+"/enabled_connections", e.OwnerKey, map[string]any{"connection_id": conn}); r.Status != 201 {
				t.Fatalf("enable on the Auth0 organization: %d %s", r.Status, r.Body)
			}

			// Both organizations hold a usage of the connection: it is not deleted under them.
			r = e.Do(t, "GET", "/v1/workspaces/default/connections/"+conn+"/usages", e.OwnerKey, nil)
			for _, o := range []string{nativeOrg, auth0Org} {
				if !bytes.Contains(r.Body, []byte(`"organization:`+o+`"`)) {
					t.Errorf("usages lack organization %s: %s", o, r.Body)
				}
			}
			connPath := "/v1/workspaces/default/connections/" + conn
			if r := e.Do(t, "DELETE", connPath, e.OwnerKey, nil); r.Status != http.StatusConflict {
				t.Errorf("native delete of a connection in use: %d %s, want 409", r.Status, r.Body)
			}
			// Removing it from one organization and deleting the other releases both usages.
			if r := e.Do(t, "DELETE", orgs+"/"+nativeOrg+"/connections/"+conn, e.OwnerKey, nil); r.Status != 204 {
				t.Fatalf("remove: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "DELETE", connPath, e.OwnerKey, nil); r.Status != http.StatusConflict {
				t.Errorf("delete while the other organization uses it: %d %s, want 409", r.Status, r.Body)
			}
			if r := e.Do(t, "DELETE", native+"/"+auth0Org, e.OwnerKey, nil); r.Status != 204 {
				t.Fatalf("native delete of the Auth0 organization: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "GET", orgs+"/"+auth0Org+"/connections", e.OwnerKey, nil); r.Status != 404 || errorCode(r) != "inexistent_organization" {
				t.Errorf("Auth0 list of a deleted organization: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "GET", connPath+"/usages", e.OwnerKey, nil); bytes.Contains(r.Body, []byte("organization:")) {
				t.Errorf("usages left behind: %s", r.Body)
			}
			if r := e.Do(t, "DELETE", connPath, e.OwnerKey, nil); r.Status != 204 {
				t.Errorf("delete once no organization uses it: %d %s", r.Status, r.Body)
			}

			// Force-deleting a connection takes it out of the organizations too.
			conn2 := newConnection(t, e, "default", "forced")
			if r := e.Do(t, "POST", orgs+"/"+nativeOrg+"/connections", e.OwnerKey, map[string]any{"connection_id": conn2}); r.Status != 201 {
				t.Fatalf("enable: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "DELETE", "/v1/workspaces/default/connections/"+conn2+"?force=true", e.OwnerKey, nil); r.Status != 204 {
				t.Fatalf("forced delete: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "GET", orgs+"/"+nativeOrg+"/connections/"+conn2, e.OwnerKey, nil); r.Status != 404 {
				t.Errorf("organization connection of a deleted connection: %d %s", r.Status, r.Body)
			}

			// The audit trail has the Auth0-made changes under the organization's id.
			r = e.Do(t, "GET", "/v1/workspaces/default/audit?object_id="+nativeOrg+"&page_size=100", e.OwnerKey, nil)
			for _, a := range []string{"organization.create", "organization.connection.add", "organization.connection.remove"} {
				if !bytes.Contains(r.Body, []byte(`"`+a+`"`)) {
					t.Errorf("audit of %s lacks %s: %s", nativeOrg, a, r.Body)
				}
			}
		})
	}
}

var routeParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestBOLA walks every Auth0 route with a key bound to workspace "default" pointed at the
// objects of workspace "ws-b": each is not found in Auth0's shape and names nothing of B.
func TestBOLA(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Workspace(t, "ws-b")
			bOrg := newOrg(t, e, e.OwnerKey, "b-org", "X-Workspace-Id", "ws-b")
			bConn := newConnection(t, e, "ws-b", "b-conn")
			if r := e.Do(t, "POST", orgs+"/"+bOrg+"/connections", e.OwnerKey, map[string]any{"connection_id": bConn}, "X-Workspace-Id", "ws-b"); r.Status != 201 {
				t.Fatalf("B's organization connection: %d %s", r.Status, r.Body)
			}
			aOrg := newOrg(t, e, e.OwnerKey, "a-org")
			aConn := newConnection(t, e, "default", "a-conn")

			keyA := e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)
			mallory := e.Token(t, auth.Claims{
				Subject: "mallory", TenantID: "other", Workspaces: []string{switchboard.AllWorkspaces}, Role: switchboard.RoleOwner,
			})
			foreign := []string{bOrg, bConn, "b-org", "b-conn", "ws-b"}
			n := 0
			for _, tok := range []struct {
				name, token string
				headers     []string
			}{
				{"key of A", keyA, nil},
				{"key of A naming B", keyA, []string{"X-Workspace-Id", "ws-b"}},
				{"tenant-wide owner of another tenant naming B", mallory, []string{"X-Workspace-Id", "ws-b"}},
			} {
				for _, rt := range e.Server.FamilyRoutes("auth0") {
					if !strings.Contains(rt.Path, "{") {
						continue // POST /api/v2/organizations: below
					}
					// B's organization with B's and A's connection, and A's organization with B's connection.
					for _, v := range []map[string]string{{"id": bOrg, "connection_id": bConn}, {"id": bOrg, "connection_id": aConn}, {"id": aOrg, "connection_id": bConn}} {
						if v["id"] == aOrg && (tok.name != "key of A" || (rt.Method == "GET" && !strings.Contains(rt.Path, "{connection_id}"))) {
							continue // A's own list is A's to read
						}
						path := routeParam.ReplaceAllStringFunc(rt.Path, func(m string) string { return v[m[1:len(m)-1]] })
						var body any
						switch rt.Method {
						case "POST":
							body = map[string]any{"connection_id": v["connection_id"]}
						case "PATCH":
							body = map[string]any{"is_enabled": false}
						}
						r := e.Do(t, rt.Method, path, tok.token, body, tok.headers...)
						n++
						if r.Status != http.StatusNotFound {
							t.Errorf("%s: %s %s: %d %s, want 404", tok.name, rt.Method, path, r.Status, r.Body)
						}
						checkErrorShape(t, rt.Method+" "+path, r)
						for _, id := range foreign {
							if bytes.Contains(r.Body, []byte(id)) {
								t.Errorf("%s: %s %s names %s: %s", tok.name, rt.Method, path, id, r.Body)
							}
						}
					}
				}
			}
			if n < 30 {
				t.Errorf("only %d requests: the route walk looks wrong", n)
			}
			// Creating an organization with A's key lands in A's workspace whatever the header says.
			r := e.Do(t, "POST", orgs, keyA, map[string]any{"name": "sneaky"}, "X-Workspace-Id", "ws-b")
			if r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "GET", "/v1/workspaces/default/organizations/sneaky", e.OwnerKey, nil); r.Status != 200 {
				t.Errorf("organization made by A's key is not in A: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "GET", "/v1/workspaces/ws-b/organizations/sneaky", e.OwnerKey, nil); r.Status != 404 {
				t.Errorf("organization made by A's key is in B: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "POST", orgs, mallory, map[string]any{"name": "mallory"}, "X-Workspace-Id", "ws-b"); r.Status != 404 {
				t.Errorf("another tenant creates in B: %d %s", r.Status, r.Body)
			}
			// B is untouched.
			r = e.Do(t, "GET", orgs+"/"+bOrg+"/connections/"+bConn, e.OwnerKey, nil, "X-Workspace-Id", "ws-b")
			if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"is_enabled":true`)) {
				t.Errorf("B's organization connection changed: %d %s", r.Status, r.Body)
			}
			r = e.Do(t, "GET", "/v1/workspaces/ws-b/audit?page_size=1000", e.OwnerKey, nil)
			var audit struct {
				Items []struct {
					Actor string `json:"actor"`
				} `json:"items"`
			}
			r.JSON(t, &audit)
			for _, ev := range audit.Items {
				if ev.Actor != audit.Items[0].Actor {
					t.Errorf("B's audit has actor %s besides %s", ev.Actor, audit.Items[0].Actor)
				}
			}
		})
	}
}
