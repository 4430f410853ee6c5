package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// Mass assignment (OWASP API3): every create and update route of every family, walked from
// Routes(), gets a valid body plus one server-owned field at a time, in every casing
// encoding/json would match. Either the request is refused (4xx) or what is stored — the
// answer and the object read back — carries none of the injected values. Duplicate keys are
// refused: a proxy or validator reading the first and Go the last must not disagree.

// serverOwned are the fields a client never sets, with a value that stands out if stored.
var serverOwned = []struct {
	name  string
	value any
}{
	{"id", "mass-assigned-id"},
	{"status", "ACTIVE"},
	{"workspace_id", "ws-b"},
	{"tenant_id", "other"},
	{"tenant_biz_id", "other"},
	{"organisation_id", "ws-b"},
	{"created_at", "2001-02-03T04:05:06Z"},
	{"updated_at", "2001-02-03T04:05:06Z"},
	{"deleted_at", "2001-02-03T04:05:06Z"},
	{"last_checked_at", "2001-02-03T04:05:06Z"},
	{"created_by", "mass-assigned-user"},
	{"updated_by", "mass-assigned-user"},
	{"revision", 999},
	{"health", map[string]any{"healthy": true, "checked_at": "2001-02-03T04:05:06Z", "error": "mass-assigned"}},
	{"key_hash", "mass-assigned"},
}

// casings returns the spellings of a snake_case name clients (and encoding/json's
// case-insensitive matching) might use: workspace_id, workspaceId, WorkspaceId, WorkspaceID,
// WORKSPACE_ID, Workspace_Id.
func casings(snake string) []string {
	parts := strings.Split(snake, "_")
	var pascal, pascalID strings.Builder
	for _, p := range parts {
		pascal.WriteString(strings.ToUpper(p[:1]) + p[1:])
		if p == "id" {
			pascalID.WriteString("ID")
		} else {
			pascalID.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	camel := strings.ToLower(pascal.String()[:1]) + pascal.String()[1:]
	out := []string{snake, camel, pascal.String(), strings.ToUpper(snake)}
	if pascalID.String() != pascal.String() {
		out = append(out, pascalID.String())
	}
	if strings.Contains(snake, "_") {
		out = append(out, strings.ToUpper(snake[:1])+snake[1:])
	}
	return out
}

// stood reports the injected values found anywhere in a JSON document.
func stood(doc []byte) []string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return nil
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			if strings.Contains(x, "mass-assigned") || strings.HasPrefix(x, "2001-02-03") {
				out = append(out, path+"="+x)
			}
			if (strings.HasSuffix(strings.ToLower(path), "workspace_id") || strings.HasSuffix(path, "workspaceId")) && x == "ws-b" {
				out = append(out, path+"="+x)
			}
			if strings.Contains(strings.ToLower(path), "tenant") && x == "other" {
				out = append(out, path+"="+x)
			}
		case float64:
			if x == 999 && strings.Contains(strings.ToLower(path), "revision") {
				out = append(out, fmt.Sprintf("%s=%v", path, x))
			}
		}
	}
	walk("", v)
	return out
}

// statusOf reads a top-level status field of an answer, in whatever casing it has.
func statusOf(doc []byte) string {
	var m map[string]any
	_ = json.Unmarshal(doc, &m)
	for k, v := range m {
		if strings.EqualFold(k, "status") {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// compatFixture is a family's objects in workspace default, for its path parameters and
// bodies.
type compatFixture struct {
	params map[string]string
	bodies map[string]func(uniq string) map[string]any
	auth0  map[string]string // the Auth0 routes' {id} (organization) and {connection_id}
	ids    []string          // every id made, for leak checks
}

func newCompatFixture(t *testing.T, e *testenv.Env) compatFixture {
	t.Helper()
	return newCompatFixtureIn(t, e, "default", e.OwnerKey)
}

// newCompatFixtureIn makes one object of every vendor family in workspace ws, as token (a
// principal acting in ws: Unified.to and Auth0 take the workspace from the key).
func newCompatFixtureIn(t *testing.T, e *testenv.Env, ws, token string) compatFixture {
	t.Helper()
	must := func(method, path string, body string, want int) map[string]any {
		t.Helper()
		if rest, ok := strings.CutPrefix(path, "/v1/default/workspaces/default/"); ok {
			path = "/v1/default/workspaces/" + ws + "/" + rest // project = the tenant, "default"
		} else {
			path = strings.ReplaceAll(path, "/default/", "/"+ws+"/")
		}
		r := e.Do(t, method, path, token, body)
		if r.Status != want {
			t.Fatalf("fixture %s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r.Map(t)
	}
	must("POST", "/v1/workspaces/default/connectors", `{"key":"mass-api","name":"Mass API","version":"1","schema":{"type":"object"}}`, 201)
	secmaster := func(uniq string) map[string]any {
		return map[string]any{"name": "sm-" + uniq, "description": "d", "component_id": "ad93ecc6-1723-4c2c-9976-9eb0182c2d18",
			"component_version_id": "33fd1b37-1f39-4230-86c6-2d119e9f4fac",
			"config":               `{"password":"mass-password-0123456789","kafkaAddr":"10.0.0.1:9092","userName":"svc"}`}
	}
	asset := must("POST", "/v1/default/workspaces/default/soc/assetcredentials", mustJSON(t, secmaster("seed")), 200)
	versori := func(uniq string) map[string]any {
		return map[string]any{"name": "v-" + uniq, "variables": []any{map[string]any{"name": "region", "value": "eu"}},
			"credentials": map[string]any{"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{"id": "01M894Y23CYJY0X258MN3RYDW9", "description": "API key in header", "schemeType": "api-key", "name": "X-API-Key", "in": "header"},
				"credential":       map[string]any{"name": "c-" + uniq, "type": "string", "data": map[string]any{"value": "sk_live_0123456789abcdef"}},
			}}}}
	}
	vconn := must("POST", "/api/connect/v1/o/default/connectors/mass-api/connections", mustJSON(t, versori("seed")), 200)
	vcred := ""
	if creds, ok := vconn["credentials"].(map[string]any); ok {
		if act, ok := creds["action"].([]any); ok && len(act) > 0 {
			if c, ok := act[0].(map[string]any)["credential"].(map[string]any); ok {
				vcred, _ = c["id"].(string)
			}
		}
	}
	if vcred == "" {
		t.Fatalf("versori connection has no credential id: %v", vconn)
	}
	slash := func(uniq string) map[string]any {
		return map[string]any{"connectionName": "s-" + uniq, "partnerEndpoint": "https://partner.example.com/api", "slashApiBaseUrl": "https://api.slash.com",
			"slashApiKey": "sk_live_1234567890abcdef", "slashAccountId": "acct_9876543210efgh", "slashWebhookSecret": "whsec_abcdefghijklmnop"}
	}
	sconn := must("POST", "/web/v1/workspaces/default/slash/connections", mustJSON(t, slash("seed")), 201)
	unified := func(uniq string) map[string]any {
		return map[string]any{"integration_type": "hubspot", "categories": []string{"crm"}, "permissions": []string{"crm_contact_read"},
			"environment": "Production", "auth": map[string]any{"token": "pat-na1-0123456789abcdef"}, "external_xref": "x-" + uniq}
	}
	uconn := must("POST", "/unified/connection", mustJSON(t, unified("seed")), 200)
	org := must("POST", "/api/v2/organizations", `{"name":"mass-org","display_name":"Mass"}`, 201)
	nconn := must("POST", "/v1/workspaces/default/connections", `{"connector_id":"http-bearer","connection_name":"mass-native",`+
		`"config":{"base_url":"https://api.example.com","token":"tok"}}`, 201)
	must("POST", "/api/v2/organizations/"+org["id"].(string)+"/enabled_connections", `{"connection_id":"`+nconn["id"].(string)+`"}`, 201)
	idOf := func(m map[string]any, keys ...string) string {
		t.Helper()
		for _, k := range keys {
			v := any(m)
			for _, part := range strings.Split(k, ".") {
				mm, _ := v.(map[string]any)
				v = mm[part]
			}
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
		t.Fatalf("no id (%v) in %v", keys, m)
		return ""
	}
	vconnID := idOf(vconn, "id")
	sconnID := idOf(sconn, "connectionBizId", "data.connectionBizId", "id")
	orgID := idOf(org, "id")
	return compatFixture{
		params: map[string]string{
			"project_id": "default", "workspace_id": ws, "asset_id": idOf(asset, "asset.id", "id"), "component_id": "x",
			"organisation_id": ws, "connector_id": "mass-api", "connection_id": idOf(vconn, "id"), "credential_id": vcred,
			"workspaceId": ws, "connectionBizId": sconnID, "id": idOf(uconn, "id"),
		},
		auth0: map[string]string{"id": orgID, "connection_id": idOf(nconn, "id")},
		ids:   []string{idOf(asset, "asset.id", "id"), vconnID, vcred, sconnID, idOf(uconn, "id"), orgID, idOf(nconn, "id")},
		bodies: map[string]func(string) map[string]any{
			"secmaster POST /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials":           secmaster,
			"secmaster PUT /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}": secmaster,
			"versori POST /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections":   versori,
			"versori PUT /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections/{connection_id}": func(uniq string) map[string]any {
				return map[string]any{"id": vconnID, "name": "v2-" + uniq}
			},
			"versori PUT /api/connect/v1/o/{organisation_id}/credentials/{credential_id}": func(uniq string) map[string]any {
				return map[string]any{"id": vcred, "type": "string", "name": "c2-" + uniq, "data": map[string]any{"value": "sk_live_new"}}
			},
			"slash POST /web/v1/workspaces/{workspaceId}/slash/connections": slash,
			"unified POST /unified/connection":                              unified,
			"unified PUT /unified/connection/{id}":                          unified,
			"unified PATCH /unified/connection/{id}": func(uniq string) map[string]any {
				return map[string]any{"external_xref": "p-" + uniq}
			},
			"auth0 POST /api/v2/organizations": func(uniq string) map[string]any {
				return map[string]any{"name": "o-" + uniq, "display_name": "O"}
			},
			"auth0 POST /api/v2/organizations/{id}/connections": func(string) map[string]any {
				c := must("POST", "/v1/workspaces/default/connections", mustJSON(t, map[string]any{"connector_id": "http-bearer",
					"connection_name": "m-" + randHex(t, 4), "config": map[string]any{"base_url": "https://api.example.com", "token": "t"}}), 201)
				return map[string]any{"connection_id": c["id"]}
			},
			"auth0 PATCH /api/v2/organizations/{id}/connections/{connection_id}": func(string) map[string]any {
				return map[string]any{"is_enabled": true}
			},
		},
	}
}

var anyParam = regexp.MustCompile(`\{([A-Za-z_]+)\}`)

// fillAny is fillPath for every parameter spelling (the vendors' camelCase too).
func fillAny(t testing.TB, path string, values map[string]string) string {
	t.Helper()
	return anyParam.ReplaceAllStringFunc(path, func(m string) string {
		v, ok := values[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("route %s: path parameter %s is not in the substitution table; add it", path, m)
		}
		return v
	})
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMassAssignment walks every write route with a body and injects server-owned fields.
func TestMassAssignment(t *testing.T) {
	e := testenv.New(t, "sqlite")
	e.Workspace(t, "ws-b")
	own := seed(t, e, "default")
	fx := newCompatFixture(t, e)
	// The Auth0 routes take the organization in {id} and the native connection in
	// {connection_id}: their own parameter table.
	auth0Org := e.Do(t, "GET", "/v1/workspaces/default/organizations/mass-org", e.OwnerKey, nil).Map(t)["id"]
	auth0Params := map[string]string{"id": fmt.Sprint(auth0Org)}
	if r := e.Do(t, "GET", "/api/v2/organizations/"+auth0Params["id"]+"/enabled_connections", e.OwnerKey, nil); r.Status == 200 {
		var list []map[string]any
		_ = json.Unmarshal(r.Body, &list)
		if len(list) > 0 {
			auth0Params["connection_id"] = fmt.Sprint(list[0]["connection_id"])
		}
	}
	bCount := func() int {
		n := 0
		for _, p := range []string{"connections", "credentials", "connectors", "organizations", "webhook-endpoints"} {
			r := e.Do(t, "GET", "/v1/workspaces/ws-b/"+p+"?page_size=1000", e.OwnerKey, nil)
			n += bytes.Count(r.Body, []byte(`"id":`))
		}
		return n
	}
	bBefore := bCount()
	versioned := e.Do(t, "POST", "/v1/workspaces/default/connectors", e.OwnerKey,
		map[string]any{"key": "mass-versions", "schema": rawJSON(testSchema)}).Map(t)["id"].(string)

	changes, refused, ignored, routes := 0, 0, 0, 0
	for _, rt := range e.Server.Routes() {
		if rt.Public || rt.Family == "console" || (rt.Method != "POST" && rt.Method != "PUT" && rt.Method != "PATCH") {
			continue
		}
		key := rt.Method + " " + rt.Path
		var (
			makeBody func(uniq string) map[string]any
			params   map[string]string
		)
		if rt.Family == "" {
			if plausibleBody(t, rt.Method, rt.Path, "x") == nil || strings.HasSuffix(rt.Path, "/verify-webhook") {
				continue // no body, or nothing stored (verify-webhook checks a signature)
			}
			makeBody = func(uniq string) map[string]any {
				b, _ := plausibleBody(t, rt.Method, rt.Path, uniq).(map[string]any)
				if strings.HasSuffix(rt.Path, "/connect-sessions") {
					b["connector_id"] = own.Connector // the one with an OAuth client
				}
				return b
			}
			params = own.params()
			if strings.HasSuffix(rt.Path, "/versions") {
				// A new version drops the seed's OAuth2 settings, which the oauth-client
				// route needs: versions go to a connector of their own.
				params["connector_id"] = versioned
			}
		} else {
			f, ok := fx.bodies[rt.Family+" "+key]
			if !ok {
				switch rt.Family + " " + key {
				case "slash POST /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}/activate",
					"slash POST /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}/suspend",
					"slash POST /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}/close":
					continue // transitions take no body
				case "auth0 POST /api/v2/organizations/{id}/enabled_connections":
					f = fx.bodies["auth0 POST /api/v2/organizations/{id}/connections"]
				case "auth0 PATCH /api/v2/organizations/{id}/enabled_connections/{connection_id}":
					f = fx.bodies["auth0 PATCH /api/v2/organizations/{id}/connections/{connection_id}"]
				default:
					t.Fatalf("%s route %s has no body in the mass-assignment table; add one", rt.Family, key)
				}
			}
			makeBody = f
			params = fx.params
			if rt.Family == "auth0" {
				params = auth0Params
			}
		}
		path := fillAny(t, rt.Path, params)
		routes++
		// The control: the valid body alone succeeds, so a 4xx below is the field's doing.
		ctl := e.Do(t, rt.Method, path, e.OwnerKey, makeBody(randHex(t, 4)))
		if ctl.Status >= 300 {
			t.Fatalf("control %s %s: %d %s", rt.Method, path, ctl.Status, ctl.Body)
		}
		ctlStatus := statusOf(ctl.Body)
		for _, f := range serverOwned {
			for _, name := range casings(f.name) {
				body := makeBody(randHex(t, 4))
				if _, real := body[name]; real {
					continue // a field of the body itself (versori's credential id)
				}
				body[name] = f.value
				r := e.Do(t, rt.Method, path, e.OwnerKey, body)
				if r.Status >= 300 {
					if r.Status >= 500 {
						t.Errorf("%s %s with %s: %d %s", rt.Method, path, name, r.Status, r.Body)
					}
					refused++
					continue
				}
				ignored++
				t.Logf("accepted, field ignored: %s %s with %s", rt.Method, rt.Path, name)
				found := stood(r.Body)
				if st := statusOf(r.Body); f.name == "status" && st != ctlStatus {
					found = append(found, "status="+st)
				}
				// Read it back where the answer names an object of a readable route.
				var m map[string]any
				_ = json.Unmarshal(r.Body, &m)
				if id, ok := m["id"].(string); ok && rt.Method == "POST" && !strings.HasSuffix(rt.Path, "}") {
					if g := e.Do(t, "GET", path+"/"+id, e.OwnerKey, nil, "X-Workspace-Id", "default"); g.Status == 200 {
						found = append(found, stood(g.Body)...)
					}
				} else if rt.Method != "POST" {
					if g := e.Do(t, "GET", path, e.OwnerKey, nil); g.Status == 200 {
						found = append(found, stood(g.Body)...)
						if f.name == "status" && statusOf(g.Body) != ctlStatus && ctlStatus != "" {
							found = append(found, "read-back status="+statusOf(g.Body))
						}
					}
				}
				if len(found) > 0 {
					changes++
					t.Errorf("%s %s with %s=%v: stored %v", rt.Method, path, name, f.value, found)
				}
			}
		}
		// Duplicate keys: the first occurrence a valid value, the second another; refused.
		raw := mustJSON(t, makeBody(randHex(t, 4)))
		var first string
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(raw), &m)
		for k := range m {
			if first == "" || k < first {
				first = k
			}
		}
		for _, dup := range []string{
			`{"` + first + `":` + string(m[first]) + `,` + raw[1:],
			raw[:len(raw)-1] + `,"status":"PENDING","status":"ACTIVE"}`,
			raw[:len(raw)-1] + `,"` + strings.ToUpper(first[:1]) + first[1:] + `":` + string(m[first]) + `}`,
		} {
			r := e.Do(t, rt.Method, path, e.OwnerKey, dup)
			if r.Status != http.StatusBadRequest {
				changes++
				t.Errorf("%s %s with a duplicated key: %d %.300s, want 400", rt.Method, path, r.Status, r.Body)
			}
		}
	}
	if n := bCount(); n != bBefore {
		changes++
		t.Errorf("workspace ws-b went from %d to %d objects: a workspace_id in a body wrote there", bBefore, n)
	}
	t.Logf("%d write routes, %d injected requests refused, %d accepted with the field ignored", routes, refused, ignored)
	if routes < 25 {
		t.Errorf("only %d write routes walked: the route list looks wrong", routes)
	}
	t.Logf("FIGURE mass_assignment_changes=%d", changes)
}
