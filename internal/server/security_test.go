package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// These tests walk every route the server mounts (from (*Server).Routes, never a hand-written
// list), so a route added later is covered — or fails here until the tables below learn it.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// routeParams returns the path parameters of a route pattern, in order.
func routeParams(path string) []string {
	var out []string
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}

// fillPath substitutes every {param} of path from values; a param values does not know fails
// the test, so a new route forces its author to extend the table.
func fillPath(t testing.TB, path string, values map[string]string) string {
	t.Helper()
	return pathParam.ReplaceAllStringFunc(path, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := values[name]
		if !ok {
			t.Fatalf("route %s: path parameter {%s} is not in the substitution table; add it", path, name)
		}
		return v
	})
}

func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

const testSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
	`"additionalProperties":false,"properties":{"url":{"type":"string"},"api_key":{"type":"string","writeOnly":true}}}`

// plausibleBody returns a valid request body for a POST or PATCH route, so a request gets as
// far as the authorization check. uniq makes names unique per call. An unknown route fails.
func plausibleBody(t testing.TB, method, path, uniq string) any {
	t.Helper()
	if method != "POST" && method != "PATCH" && method != "PUT" {
		return nil
	}
	const ws = "/v1/workspaces/{workspace_id}"
	const conn = ws + "/connections/{connection_id}"
	switch method + " " + path {
	case "POST /v1/workspaces":
		return map[string]any{"id": "ws-" + uniq}
	case "POST " + ws + "/connectors":
		return map[string]any{"key": "k-" + uniq, "name": "n", "schema": rawJSON(testSchema)}
	case "POST " + ws + "/connectors/{connector_id}/versions":
		return map[string]any{"version": "v" + uniq, "schema": rawJSON(testSchema)}
	case "PUT " + ws + "/connectors/{connector_id}/oauth-client":
		return map[string]any{"client_id": "client-" + uniq, "client_secret": "secret-" + uniq}
	case "POST " + ws + "/connect-sessions":
		return map[string]any{"connector_id": "github", "success_url": "https://app.example.com/ok",
			"failure_url": "https://app.example.com/ko"}
	case "POST " + ws + "/credentials":
		return map[string]any{"name": "cred-" + uniq, "type": "bearer", "data": map[string]string{"token": "tok-" + uniq}}
	case "PATCH " + ws + "/credentials/{credential_id}":
		return map[string]any{"name": "patched-" + uniq}
	case "POST " + ws + "/connections":
		return map[string]any{"connector_id": "http-bearer", "connection_name": "conn-" + uniq,
			"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-" + uniq}}
	case "PATCH " + conn:
		return map[string]any{"description": "patched-" + uniq}
	case "POST " + conn + "/usages":
		return map[string]any{"consumer": "workflow:" + uniq}
	case "POST " + conn + "/test":
		return nil // no body: it runs the connection's health check
	case "POST " + ws + "/api-keys":
		return map[string]any{"name": "k-" + uniq, "role": "viewer", "scopes": []string{}}
	case "POST " + ws + "/organizations":
		return map[string]any{"name": "org-" + uniq}
	case "PATCH " + ws + "/organizations/{organization_id}":
		return map[string]any{"display_name": "patched-" + uniq}
	case "POST " + conn + "/verify-webhook":
		return map[string]any{"headers": map[string]string{"webhook-id": "msg_" + uniq}, "body": "{}"}
	case "POST " + ws + "/webhook-endpoints":
		return map[string]any{"url": "https://hooks.example.com/" + uniq}
	case "PATCH " + ws + "/webhook-endpoints/{endpoint_id}":
		return map[string]any{"url": "https://hooks.example.com/patched-" + uniq}
	case "POST " + ws + "/webhook-endpoints/{endpoint_id}/rotate-secret", "POST " + ws + "/webhook-endpoints/{endpoint_id}/test":
		return nil
	}
	t.Fatalf("route %s %s: no plausible body known; add one to plausibleBody", method, path)
	return nil
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// objects are the ids of one of every object in a workspace.
type objects struct {
	Workspace, Connector, ConnectorKey, Credential, Connection, Usage, Key, Organization string
	WebhookEndpoint                                                                      string
}

// seed creates one of every object in workspace ws with the owner key.
func seed(t testing.TB, e *testenv.Env, ws string) objects {
	t.Helper()
	o := objects{Workspace: ws}
	uniq := randHex(t, 4)
	mustCreate := func(path string, body any) map[string]any {
		t.Helper()
		r := e.Do(t, "POST", path, e.OwnerKey, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("seed POST %s: %d %s", path, r.Status, r.Body)
		}
		return r.Map(t)
	}
	base := "/v1/workspaces/" + ws
	o.ConnectorKey = "own-" + uniq
	o.Connector = mustCreate(base+"/connectors", map[string]any{"key": o.ConnectorKey, "schema": rawJSON(testSchema),
		"oauth2": map[string]any{"authorize_url": "https://auth.example.com/authorize", "token_url": "https://auth.example.com/token"}})["id"].(string)
	if r := e.Do(t, "PUT", base+"/connectors/"+o.Connector+"/oauth-client", e.OwnerKey,
		map[string]any{"client_id": "client-" + uniq, "client_secret": "seed-client-secret-" + uniq}); r.Status != http.StatusOK {
		t.Fatalf("seed PUT oauth-client: %d %s", r.Status, r.Body)
	}
	o.Credential = mustCreate(base+"/credentials", map[string]any{
		"name": "cred-" + uniq, "type": "api_key", "data": map[string]string{"api_key": "seed-key-" + uniq},
	})["id"].(string)
	o.Connection = mustCreate(base+"/connections", map[string]any{
		"connector_id": o.Connector, "connection_name": "conn-" + uniq,
		"config":      map[string]any{"url": "https://x.example.com", "api_key": "seed-secret-" + uniq},
		"credentials": map[string]any{"action": []string{o.Credential}},
	})["id"].(string)
	o.Usage = mustCreate(base+"/connections/"+o.Connection+"/usages", map[string]any{"consumer": "workflow:" + uniq})["id"].(string)
	o.Key = mustCreate(base+"/api-keys", map[string]any{"name": "k-" + uniq, "role": "viewer", "scopes": []string{}})["id"].(string)
	o.Organization = mustCreate(base+"/organizations", map[string]any{"name": "org-" + uniq})["id"].(string)
	o.WebhookEndpoint = mustCreate(base+"/webhook-endpoints", map[string]any{"url": "https://hooks.example.com/" + uniq})["id"].(string)
	return o
}

func (o objects) params() map[string]string {
	return map[string]string{
		"workspace_id": o.Workspace, "connector_id": o.Connector, "credential_id": o.Credential,
		"connection_id": o.Connection, "usage_id": o.Usage, "key_id": o.Key, "organization_id": o.Organization,
		"token": "no-such-connect-link", "endpoint_id": o.WebhookEndpoint,
	}
}

// snapshot reads everything of workspace ws the owner can see, to compare before and after.
func snapshot(t testing.TB, e *testenv.Env, o objects) map[string]any {
	t.Helper()
	base := "/v1/workspaces/" + o.Workspace
	out := map[string]any{}
	for _, p := range []string{
		base, base + "/connectors/" + o.Connector, base + "/credentials/" + o.Credential,
		base + "/connections/" + o.Connection, base + "/connections/" + o.Connection + "/usages",
		base + "/connections", base + "/credentials", base + "/connectors", base + "/api-keys",
		base + "/connections/" + o.Connection + "/credentials",
	} {
		r := e.Do(t, "GET", p, e.OwnerKey, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("snapshot GET %s: %d %s", p, r.Status, r.Body)
		}
		out[p] = r.Map(t)
	}
	return out
}

func errCode(r *testenv.Response) string {
	var b struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Code
}

// TestBOLA checks that a principal of workspace A gets 404 for every object of workspace B,
// on every route, whether B's ids are in the path with B's workspace or with A's.
func TestBOLA(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Workspace(t, "ws-b")
			a := seed(t, e, "default")
			b := seed(t, e, "ws-b")

			// A tenant of its own, for a principal of another tenant that may do anything there.
			if err := e.Store.CreateTenant(t.Context(), &switchboard.Tenant{ID: "other", Name: "Other", CreatedAt: switchboard.Now()}); err != nil {
				t.Fatal(err)
			}
			type principal struct {
				name        string
				token       string
				ownTenant   bool // of tenant "default" (A's and B's), bound to A
				createWSErr int  // expected status of POST /v1/workspaces
			}
			principals := []principal{
				{"key", e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead), true, http.StatusForbidden},
				{"jwt", e.Token(t, auth.Claims{
					Subject: "user-a", TenantID: "default", Workspaces: []string{"default"},
					Role: switchboard.RoleOwner, Scopes: []string{switchboard.ScopeCredentialsRead},
				}), true, http.StatusForbidden},
				// Owner of every workspace of another tenant: A's objects are foreign too.
				{"other-tenant", e.Token(t, auth.Claims{
					Subject: "mallory", TenantID: "other", Workspaces: []string{switchboard.AllWorkspaces},
					Role: switchboard.RoleOwner, Scopes: []string{switchboard.ScopeCredentialsRead},
				}), false, http.StatusCreated},
			}
			// After the principals exist (A's key list includes them).
			before := []map[string]any{snapshot(t, e, a), snapshot(t, e, b)}
			foreign := func(own bool) []string {
				ids := []string{b.Connector, b.ConnectorKey, b.Credential, b.Connection, b.Usage, b.Key, b.Organization, b.WebhookEndpoint, `"ws-b"`}
				if !own {
					ids = append(ids, a.Connector, a.ConnectorKey, a.Credential, a.Connection, a.Usage, a.Key, a.Organization, a.WebhookEndpoint, `"default"`)
				}
				return ids
			}
			var noLeak func(t *testing.T, what string, r *testenv.Response)
			routes := e.Server.FamilyRoutes("")
			for _, pr := range principals {
				tok := pr.token
				noLeak = func(t *testing.T, what string, r *testenv.Response) {
					t.Helper()
					for _, id := range foreign(pr.ownTenant) {
						if bytes.Contains(r.Body, []byte(id)) {
							t.Errorf("%s: response names foreign %s: %s", what, id, r.Body)
						}
					}
				}
				t.Run(pr.name, func(t *testing.T) {
					n, crossSuccesses := 0, 0
					for _, rt := range routes {
						if rt.Public {
							continue
						}
						params := routeParams(rt.Path)
						uniq := randHex(t, 4)
						body := plausibleBody(t, rt.Method, rt.Path, uniq)
						what := rt.Method + " " + rt.Path
						if len(params) == 0 {
							// Tenant-level routes: nothing of B to name in the path; B must not
							// show up in what they answer.
							r := e.Do(t, rt.Method, rt.Path, tok, body)
							switch what {
							case "POST /v1/workspaces":
								if r.Status != pr.createWSErr {
									t.Errorf("%s: %d %s, want %d", what, r.Status, r.Body, pr.createWSErr)
								}
							case "GET /v1/keyring": // tenant-wide admins only, like POST /v1/workspaces
								want := http.StatusForbidden
								if pr.createWSErr == http.StatusCreated {
									want = http.StatusOK
								}
								if r.Status != want {
									t.Errorf("%s: %d %s, want %d", what, r.Status, r.Body, want)
								}
							case "GET /v1/workspaces", "GET /v1/connectors":
								if r.Status != http.StatusOK {
									t.Errorf("%s: %d %s", what, r.Status, r.Body)
								}
							case "GET /metrics": // route patterns and counts, no ids (an admin's)
								if r.Status != http.StatusOK && r.Status != http.StatusForbidden {
									t.Errorf("%s: %d %s", what, r.Status, r.Body)
								}
							case "GET /openapi.json":
								// The same static document for every caller: its examples name
								// "default", which is not B's.
								if r.Status != http.StatusOK || !bytes.Equal(r.Body, api.OpenAPI()) {
									t.Errorf("%s: %d, not the embedded document", what, r.Status)
								}
								continue
							default:
								t.Errorf("route %s takes no id: add its expectation to TestBOLA", what)
							}
							noLeak(t, what, r)
							continue
						}
						// Variant 1: B's workspace and B's ids. Variant 2: A's workspace with
						// B's ids (only for routes that take an object id). Connector ids are
						// tried both as id and as key, since the route accepts either.
						variants := []map[string]string{b.params()}
						if !pr.ownTenant {
							variants = append(variants, a.params())
						}
						for _, v := range slices.Clone(variants) {
							if slices.Contains(params, "connector_id") {
								withKey := maps.Clone(v)
								withKey["connector_id"] = map[string]string{a.Connector: a.ConnectorKey, b.Connector: b.ConnectorKey}[v["connector_id"]]
								variants = append(variants, withKey)
							}
						}
						if slices.ContainsFunc(params, func(p string) bool { return p != "workspace_id" }) && slices.Contains(params, "workspace_id") {
							for _, v := range slices.Clone(variants) {
								for _, ws := range []string{a.Workspace, b.Workspace} {
									if ws != v["workspace_id"] {
										mixed := maps.Clone(v)
										mixed["workspace_id"] = ws
										variants = append(variants, mixed)
									}
								}
							}
						}
						if slices.Contains(params, "connector_id") && slices.Contains(params, "workspace_id") {
							// A built-in connector under a foreign workspace: the workspace is
							// what is not found.
							foreignWS := []string{b.Workspace}
							if !pr.ownTenant {
								foreignWS = append(foreignWS, a.Workspace)
							}
							for _, ws := range foreignWS {
								v := b.params()
								v["workspace_id"], v["connector_id"] = ws, "kafka"
								variants = append(variants, v)
							}
						}
						for _, v := range variants {
							path := fillPath(t, rt.Path, v)
							r := e.Do(t, rt.Method, path, tok, body)
							n++
							if r.Status != http.StatusNotFound || errCode(r) != "4040" {
								if r.Status < 300 {
									crossSuccesses++
								}
								t.Errorf("%s %s (route %s): %d %s, want 404 4040", rt.Method, path, rt.Path, r.Status, r.Body)
							}
							noLeak(t, rt.Method+" "+path, r)
						}
					}
					t.Logf("%d requests with foreign ids", n)
					t.Logf("FIGURE bola_native_cross_workspace_successes=%d", crossSuccesses)
					if n < 20 {
						t.Errorf("walked only %d requests with B's ids; the route list looks wrong", n)
					}

					if !pr.ownTenant {
						return
					}
					// Body references to B's objects from A's workspace.
					uniq := randHex(t, 4)
					for _, c := range []struct {
						what string
						body map[string]any
					}{
						{"action credential of B", map[string]any{
							"connector_id": "http-bearer", "connection_name": "ref-" + uniq,
							"config":      map[string]any{"base_url": "https://api.example.com", "token": "t-" + uniq},
							"credentials": map[string]any{"action": []string{b.Credential}},
						}},
						{"trigger credential of B", map[string]any{
							"connector_id": "kafka", "connection_name": "ref-" + uniq,
							"config":      map[string]any{"kafkaAddr": "k:9092"},
							"credentials": map[string]any{"trigger": []string{b.Credential}},
						}},
						{"connector of B by id", map[string]any{
							"connector_id": b.Connector, "connection_name": "ref-" + uniq,
							"config": map[string]any{"url": "https://x.example.com"},
						}},
						{"connector of B by key", map[string]any{
							"connector_id": b.ConnectorKey, "connection_name": "ref-" + uniq,
							"config": map[string]any{"url": "https://x.example.com"},
						}},
					} {
						r := e.Do(t, "POST", "/v1/workspaces/default/connections", tok, c.body)
						if r.Status != http.StatusBadRequest || errCode(r) != "4000" {
							t.Errorf("create connection in A with %s: %d %s, want 400 4000", c.what, r.Status, r.Body)
						}
						noLeak(t, "create with "+c.what, r)
					}
					r := e.Do(t, "PATCH", "/v1/workspaces/default/connections/"+a.Connection, tok,
						map[string]any{"credentials": map[string]any{"action": []string{b.Credential}}})
					if r.Status != http.StatusBadRequest || errCode(r) != "4000" {
						t.Errorf("patch A's connection to use B's credential: %d %s, want 400 4000", r.Status, r.Body)
					}
					// A's own objects stay reachable: the 404s above are about B, not a broken key.
					r = e.Do(t, "GET", "/v1/workspaces/default/connections/"+a.Connection+"/credentials", tok, nil)
					if r.Status != http.StatusOK {
						t.Errorf("A reads its own credentials: %d %s", r.Status, r.Body)
					}
				})
			}
			after := []map[string]any{snapshot(t, e, a), snapshot(t, e, b)}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("A's or B's objects changed during the walk (-before +after):\n%s", diff)
			}
			// No audit event of B's workspace has an actor other than the owner that seeded it.
			r := e.Do(t, "GET", "/v1/workspaces/ws-b/audit?page_size=1000", e.OwnerKey, nil)
			var audit struct {
				Items []struct {
					Actor  string `json:"actor"`
					Action string `json:"action"`
				} `json:"items"`
			}
			r.JSON(t, &audit)
			actors := map[string]bool{}
			for _, ev := range audit.Items {
				actors[ev.Actor] = true
			}
			if len(actors) != 1 {
				t.Errorf("B's audit has actors %v, want only the seeding owner", actors)
			}
		})
	}
}

// required is what a route needs, derived from the service code (service*.go).
type required struct {
	role       switchboard.Role
	scope      bool // credentials:read
	tenantWide bool // a principal of all of the tenant's workspaces
}

// policy is the expected authorization of every authenticated route. A route missing here
// fails TestRoleMatrix.
var policy = map[string]required{
	"POST /v1/workspaces":                                         {role: switchboard.RoleAdmin, tenantWide: true}, // CreateWorkspace
	"GET /v1/workspaces":                                          {role: switchboard.RoleViewer},
	"GET /v1/workspaces/{workspace_id}":                           {role: switchboard.RoleViewer},
	"GET /v1/keyring":                                             {role: switchboard.RoleAdmin, tenantWide: true}, // KeyringStatus
	"GET /metrics":                                                {role: switchboard.RoleAdmin},
	"GET /openapi.json":                                           {role: switchboard.RoleViewer},
	"GET /v1/connectors":                                          {role: switchboard.RoleViewer},
	"GET /v1/connectors/{connector_id}":                           {role: switchboard.RoleViewer},
	"GET /v1/workspaces/{workspace_id}/connectors":                {role: switchboard.RoleViewer},
	"POST /v1/workspaces/{workspace_id}/connectors":               {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/connectors/{connector_id}": {role: switchboard.RoleViewer},
	"POST /v1/workspaces/{workspace_id}/connectors/{connector_id}/versions":              {role: switchboard.RoleAdmin},
	"PUT /v1/workspaces/{workspace_id}/connectors/{connector_id}/oauth-client":           {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/connectors/{connector_id}/oauth-client":           {role: switchboard.RoleAdmin},
	"DELETE /v1/workspaces/{workspace_id}/connectors/{connector_id}/oauth-client":        {role: switchboard.RoleAdmin},
	"POST /v1/workspaces/{workspace_id}/connect-sessions":                                {role: switchboard.RoleEditor},
	"POST /v1/workspaces/{workspace_id}/credentials":                                     {role: switchboard.RoleEditor},
	"GET /v1/workspaces/{workspace_id}/credentials":                                      {role: switchboard.RoleViewer},
	"GET /v1/workspaces/{workspace_id}/credentials/{credential_id}":                      {role: switchboard.RoleViewer},
	"PATCH /v1/workspaces/{workspace_id}/credentials/{credential_id}":                    {role: switchboard.RoleEditor},
	"DELETE /v1/workspaces/{workspace_id}/credentials/{credential_id}":                   {role: switchboard.RoleEditor},
	"POST /v1/workspaces/{workspace_id}/connections":                                     {role: switchboard.RoleEditor},
	"GET /v1/workspaces/{workspace_id}/connections":                                      {role: switchboard.RoleViewer},
	"GET /v1/workspaces/{workspace_id}/connections/{connection_id}":                      {role: switchboard.RoleViewer},
	"PATCH /v1/workspaces/{workspace_id}/connections/{connection_id}":                    {role: switchboard.RoleEditor},
	"DELETE /v1/workspaces/{workspace_id}/connections/{connection_id}":                   {role: switchboard.RoleEditor},
	"GET /v1/workspaces/{workspace_id}/connections/{connection_id}/credentials":          {role: switchboard.RoleViewer, scope: true},
	"GET /v1/workspaces/{workspace_id}/connections/{connection_id}/usages":               {role: switchboard.RoleViewer},
	"POST /v1/workspaces/{workspace_id}/connections/{connection_id}/usages":              {role: switchboard.RoleEditor},
	"POST /v1/workspaces/{workspace_id}/connections/{connection_id}/test":                {role: switchboard.RoleEditor},
	"DELETE /v1/workspaces/{workspace_id}/connections/{connection_id}/usages/{usage_id}": {role: switchboard.RoleEditor},
	"POST /v1/workspaces/{workspace_id}/api-keys":                                        {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/api-keys":                                         {role: switchboard.RoleAdmin},
	"DELETE /v1/workspaces/{workspace_id}/api-keys/{key_id}":                             {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/audit":                                            {role: switchboard.RoleAdmin},
	"POST /v1/workspaces/{workspace_id}/organizations":                                   {role: switchboard.RoleEditor},
	"GET /v1/workspaces/{workspace_id}/organizations":                                    {role: switchboard.RoleViewer},
	"GET /v1/workspaces/{workspace_id}/organizations/{organization_id}":                  {role: switchboard.RoleViewer},
	"PATCH /v1/workspaces/{workspace_id}/organizations/{organization_id}":                {role: switchboard.RoleEditor},
	"DELETE /v1/workspaces/{workspace_id}/organizations/{organization_id}":               {role: switchboard.RoleEditor},
	"POST /v1/workspaces/{workspace_id}/connections/{connection_id}/verify-webhook":      {role: switchboard.RoleEditor},
	"POST /v1/workspaces/{workspace_id}/webhook-endpoints":                               {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/webhook-endpoints":                                {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/webhook-endpoints/{endpoint_id}":                  {role: switchboard.RoleAdmin},
	"PATCH /v1/workspaces/{workspace_id}/webhook-endpoints/{endpoint_id}":                {role: switchboard.RoleAdmin},
	"DELETE /v1/workspaces/{workspace_id}/webhook-endpoints/{endpoint_id}":               {role: switchboard.RoleAdmin},
	"POST /v1/workspaces/{workspace_id}/webhook-endpoints/{endpoint_id}/rotate-secret":   {role: switchboard.RoleAdmin},
	"GET /v1/workspaces/{workspace_id}/webhook-endpoints/{endpoint_id}/deliveries":       {role: switchboard.RoleAdmin},
	"POST /v1/workspaces/{workspace_id}/webhook-endpoints/{endpoint_id}/test":            {role: switchboard.RoleAdmin},
}

// TestRoleMatrix sends every authenticated route as every role, with and without the
// credentials:read scope, bound to one workspace (API key) and tenant-wide (JWT), and checks
// 403 exactly where the policy says.
func TestRoleMatrix(t *testing.T) {
	roles := []switchboard.Role{switchboard.RoleViewer, switchboard.RoleEditor, switchboard.RoleAdmin, switchboard.RoleOwner}
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			routes := e.Server.FamilyRoutes("")
			for _, rt := range routes {
				if _, ok := policy[rt.Method+" "+rt.Path]; !ok && !rt.Public {
					t.Fatalf("route %s %s has no entry in the policy table; add one", rt.Method, rt.Path)
				}
			}
			base := seed(t, e, "default")
			type principal struct {
				name       string
				token      string
				role       switchboard.Role
				scope      bool
				tenantWide bool
			}
			var ps []principal
			for _, role := range roles {
				for _, scope := range []bool{false, true} {
					var scopes []string
					if scope {
						scopes = []string{switchboard.ScopeCredentialsRead}
					}
					ps = append(ps, principal{
						name: fmt.Sprintf("key/%s/scope=%v", role, scope), role: role, scope: scope,
						token: e.Key(t, "default", role, scopes...),
					})
					ps = append(ps, principal{
						name: fmt.Sprintf("jwt*/%s/scope=%v", role, scope), role: role, scope: scope, tenantWide: true,
						token: e.Token(t, auth.Claims{
							Subject: "user-" + string(role), TenantID: "default", Workspaces: []string{switchboard.AllWorkspaces},
							Role: role, Scopes: scopes,
						}),
					})
				}
			}
			mismatches, checked := 0, 0
			for _, rt := range routes {
				if rt.Public {
					continue
				}
				want := policy[rt.Method+" "+rt.Path]
				for _, p := range ps {
					// Destructive routes get a fresh target each time, so every principal's
					// request finds something to act on.
					target := base
					if rt.Method == "DELETE" {
						target = seed(t, e, "default")
					}
					uniq := randHex(t, 4)
					params := target.params()
					if !strings.Contains(rt.Path, "{workspace_id}") {
						params["connector_id"] = "kafka" // outside a workspace only built-ins exist
					}
					path := fillPath(t, rt.Path, params)
					r := e.Do(t, rt.Method, path, p.token, plausibleBody(t, rt.Method, rt.Path, uniq))
					checked++
					allowed := p.role.AtLeast(want.role) && (!want.scope || p.scope) && (!want.tenantWide || p.tenantWide)
					got403 := r.Status == http.StatusForbidden
					if allowed == got403 {
						mismatches++
						t.Errorf("%s %s as %s: %d %s; want forbidden=%v", rt.Method, path, p.name, r.Status, r.Body, !allowed)
					}
					if got403 && errCode(r) != "4030" {
						t.Errorf("%s %s as %s: 403 with code %q, want 4030", rt.Method, path, p.name, errCode(r))
					}
					if r.Status == http.StatusUnauthorized || r.Status == http.StatusNotFound || r.Status >= 500 {
						t.Errorf("%s %s as %s: %d %s", rt.Method, path, p.name, r.Status, r.Body)
					}
				}
			}
			t.Logf("%d requests checked, %d mismatches", checked, mismatches)
			t.Logf("FIGURE role_route_mismatches=%d", mismatches)
		})
	}
}

// TestUnauthenticated checks that every route but the public ones wants a principal, and that
// the public ones are exactly the four operational endpoints, the SecureChannel key and the
// OAuth2 connect link and callback (whose token and state are the credentials).
func TestUnauthenticated(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			o := seed(t, e, "default")
			var public []string
			for _, rt := range e.Server.FamilyRoutes("") {
				path := fillPath(t, rt.Path, o.params())
				body := plausibleBody(t, rt.Method, rt.Path, randHex(t, 4))
				if rt.Public {
					public = append(public, rt.Method+" "+rt.Path)
					want := map[string]int{
						"/connect/{token}":  http.StatusNotFound,   // an unknown link
						"/connect/callback": http.StatusBadRequest, // no state
					}[rt.Path]
					if want == 0 {
						want = http.StatusOK
					}
					if r := e.Do(t, rt.Method, path, "", nil); r.Status != want {
						t.Errorf("public %s %s: %d %s, want %d", rt.Method, path, r.Status, r.Body, want)
					}
					continue
				}
				for _, tok := range []string{"", "sbk_" + strings.Repeat("a", 52), "not-a-jwt", e.Token(t, auth.Claims{
					Subject: "x", TenantID: "default", Workspaces: []string{"*"}, Role: switchboard.RoleOwner,
				})[:40]} {
					r := e.Do(t, rt.Method, path, tok, body)
					if r.Status != http.StatusUnauthorized || errCode(r) != "4010" {
						t.Errorf("%s %s with token %.12q: %d %s, want 401 4010", rt.Method, path, tok, r.Status, r.Body)
					}
					if tok == "" && r.Header.Get("WWW-Authenticate") == "" {
						t.Errorf("%s %s: 401 without WWW-Authenticate", rt.Method, path)
					}
				}
			}
			slices.Sort(public)
			// Issue 7 asks for health, readiness and the published keys only. The exceptions,
			// kept on purpose:
			//   - /connect/{token} and /connect/callback: the OAuth2 connect link and the
			//     provider's redirect; the link's token and the callback's state are the
			//     credentials (a browser arrives there without a bearer).
			// (/metrics wants an admin's key, /openapi.json any valid one.)
			want := []string{"GET " + server.SecureChannelPath, "GET /connect/callback", "GET /connect/{token}",
				"GET /healthz", "GET /readyz"}
			if diff := cmp.Diff(want, public); diff != "" {
				t.Errorf("public routes (-want +got):\n%s", diff)
			}
			t.Logf("FIGURE unauthenticated_routes=%d", len(public))
		})
	}
}

// TestKeyEscalation checks that a principal cannot mint a key above its own role or scope,
// nor for a workspace it cannot act in, and that revoked keys and unknown roles are refused.
func TestKeyEscalation(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Workspace(t, "ws-b")
			admin := e.Key(t, "default", switchboard.RoleAdmin)
			editor := e.Key(t, "default", switchboard.RoleEditor, switchboard.ScopeCredentialsRead)
			adminJWT := e.Token(t, auth.Claims{Subject: "u", TenantID: "default", Workspaces: []string{switchboard.AllWorkspaces}, Role: switchboard.RoleAdmin})
			for _, c := range []struct {
				what, token, ws string
				body            map[string]any
				status          int
			}{
				{"admin mints owner", admin, "default", map[string]any{"role": "owner"}, 403},
				{"admin without scope mints scope", admin, "default", map[string]any{"role": "viewer", "scopes": []string{"credentials:read"}}, 403},
				{"admin mints unknown scope", admin, "default", map[string]any{"role": "viewer", "scopes": []string{"admin:*"}}, 400},
				{"admin mints admin", admin, "default", map[string]any{"role": "admin"}, 201},
				{"admin of A mints in B", admin, "ws-b", map[string]any{"role": "viewer"}, 404},
				{"editor mints viewer", editor, "default", map[string]any{"role": "viewer"}, 403},
				{"tenant-wide admin mints tenant-wide viewer key", adminJWT, "*", map[string]any{"role": "viewer"}, 201},
				{"workspace admin mints tenant-wide key", admin, "*", map[string]any{"role": "viewer"}, 403},
				{"tenant-wide admin mints owner in B", adminJWT, "ws-b", map[string]any{"role": "owner"}, 403},
			} {
				r := e.Do(t, "POST", "/v1/workspaces/"+c.ws+"/api-keys", c.token, c.body)
				if r.Status != c.status {
					t.Errorf("%s: %d %s, want %d", c.what, r.Status, r.Body, c.status)
				}
			}

			// A revoked key stops working at once.
			r := e.Do(t, "POST", "/v1/workspaces/default/api-keys", e.OwnerKey, map[string]any{"role": "viewer"})
			var k struct{ ID, Key string }
			r.JSON(t, &k)
			if r := e.Do(t, "GET", "/v1/workspaces/default", k.Key, nil); r.Status != http.StatusOK {
				t.Fatalf("fresh key: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "DELETE", "/v1/workspaces/default/api-keys/"+k.ID, admin, nil); r.Status != http.StatusNoContent {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
			if r := e.Do(t, "GET", "/v1/workspaces/default", k.Key, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("revoked key: %d %s, want 401", r.Status, r.Body)
			}
			// The bootstrap key is tenant-wide: a workspace admin cannot revoke it through a
			// workspace it can act in.
			r = e.Do(t, "GET", "/v1/workspaces/default/api-keys?page_size=1000", e.OwnerKey, nil)
			if bytes.Contains(r.Body, []byte(`"workspace_id":"*"`)) {
				t.Errorf("workspace key list shows a tenant-wide key: %s", r.Body)
			}
		})
	}
}
