package server_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestBOLA walks the native API (FamilyRoutes("")). This test walks every other route of
// Routes() — the five vendor families and the console — so that Routes() as a whole is
// covered: a principal of workspace A (API key, JWT, SecMaster access key) and the owner of
// another tenant call each route with workspace B's ids in the path, the X-Workspace-Id
// header and body references. Cross-workspace successes must be 0, no answer may name B's
// objects, and B must be unchanged. A route whose parameters or body the tables do not know
// fails the test, so a new route cannot go unwalked.
func TestBOLAEveryRoute(t *testing.T) {
	e := testenv.New(t, "sqlite")
	e.Workspace(t, "ws-b")
	if err := e.Store.CreateTenant(t.Context(), &switchboard.Tenant{ID: "other", Name: "Other", CreatedAt: switchboard.Now()}); err != nil {
		t.Fatal(err)
	}
	keyAOwner := e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)
	keyBOwner := e.Key(t, "ws-b", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)
	na, nb := seed(t, e, "default"), seed(t, e, "ws-b")
	fa := newCompatFixtureIn(t, e, "default", keyAOwner)
	fb := newCompatFixtureIn(t, e, "ws-b", keyBOwner)

	owner := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
	ak, sk, err := e.Service.CreateAccessKey(owner, switchboard.APIKeyInput{WorkspaceID: "default", Role: switchboard.RoleOwner,
		Scopes: []string{switchboard.ScopeCredentialsRead}, Name: "bola"})
	if err != nil {
		t.Fatal(err)
	}
	type attacker struct {
		matrixPrincipal
		ownTenant bool // of tenant "default": A's objects are its own
	}
	attackers := []attacker{
		{matrixPrincipal{name: "key of A", token: e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)}, true},
		{matrixPrincipal{name: "JWT of A", token: e.Token(t, auth.Claims{Subject: "user-a", TenantID: "default",
			Workspaces: []string{"default"}, Role: switchboard.RoleOwner, Scopes: []string{switchboard.ScopeCredentialsRead}})}, true},
		{matrixPrincipal{name: "access key of A", ak: ak.ID, sk: sk.Reveal()}, true},
		{matrixPrincipal{name: "owner of another tenant", token: e.Token(t, auth.Claims{Subject: "mallory", TenantID: "other",
			Workspaces: []string{switchboard.AllWorkspaces}, Role: switchboard.RoleOwner, Scopes: []string{switchboard.ScopeCredentialsRead}})}, false},
	}
	foreignOf := func(own bool) []string {
		ids := append([]string{nb.Connector, nb.Credential, nb.Connection, nb.Usage, nb.Key, nb.Organization, nb.WebhookEndpoint, `"ws-b"`}, fb.ids...)
		if !own {
			ids = append(ids, na.Connector, na.Credential, na.Connection, na.Usage, na.Key, na.Organization, na.WebhookEndpoint, `"default"`)
			ids = append(ids, fa.ids...)
		}
		return ids
	}
	// B must not change. (A changes: A's own principals create in A, which is theirs to do;
	// another tenant creating in A is caught per request below.)
	snap := func() map[string]any { return snapshot(t, e, nb) }
	before := snap()

	// B's path parameters, per family; the console's too.
	bParams := map[string]map[string]string{
		"secmaster": fb.params, "versori": fb.params, "slash": fb.params, "unified": fb.params, "auth0": fb.auth0,
		"console": {"ws": "ws-b", "id": nb.Connection, "key": nb.ConnectorKey},
	}
	successes, requests := 0, 0
	statuses := map[int]int{}
	var walked []string
	for _, rt := range e.Server.Routes() {
		if rt.Public || rt.Family == "" {
			continue // the native API: TestBOLA
		}
		key := rt.Family + " " + rt.Method + " " + rt.Path
		walked = append(walked, key)
		for _, at := range attackers {
			if at.ak != "" && rt.Family != "secmaster" {
				continue
			}
			if rt.Family == "console" {
				continue // below, with a session
			}
			var body []byte
			// (Not Auth0's: its body makers create a connection in B, as B, to name.)
			if f := fb.bodies[rt.Family+" "+rt.Method+" "+rt.Path]; f != nil && rt.Family != "auth0" {
				body = []byte(mustJSON(t, f(randHex(t, 4))))
			}
			switch {
			case rt.Family == "auth0" && rt.Method == "POST" && rt.Path == "/api/v2/organizations":
				body = []byte(`{"name":"bola-` + randHex(t, 4) + `"}`)
			case rt.Family == "auth0" && rt.Method == "POST" && strings.Contains(rt.Path, "{id}"):
				body = []byte(`{"connection_id":"` + fb.auth0["connection_id"] + `"}`)
			case rt.Family == "auth0" && rt.Method == "PATCH":
				body = []byte(`{"is_enabled":false}`)
			case rt.Family == "versori" && rt.Method == "PUT" && strings.Contains(rt.Path, "/credentials/"):
				body = []byte(mustJSON(t, map[string]any{"id": fb.params["credential_id"], "type": "string", "name": "x", "data": map[string]any{"value": "stolen"}}))
			case rt.Family == "versori" && rt.Method == "PUT":
				body = []byte(mustJSON(t, map[string]any{"id": fb.params["connection_id"], "name": "x"}))
			}
			path := fillAny(t, rt.Path, bParams[rt.Family])
			// Every request names B, also through the header the vendors read.
			for _, hdr := range [][]string{nil, {"X-Workspace-Id", "ws-b"}} {
				r := doAs(t, e, at.matrixPrincipal, rt.Method, path, body, hdr...)
				requests++
				statuses[r.Status]++
				named := strings.Contains(rt.Path, "{") // the path names an object or workspace of B
				ok := r.Status < 300
				if named && ok {
					successes++
					t.Errorf("%s: %s %s %v: %d %.300s, want it refused", at.name, rt.Method, path, hdr, r.Status, r.Body)
				}
				if !named && ok && rt.Method != "GET" && !at.ownTenant {
					// Creating with no id in the path acts in the caller's own workspace: fine
					// for A, but another tenant must not land in B's (it has none of its own).
					successes++
					t.Errorf("%s: %s %s %v: %d %.300s", at.name, rt.Method, path, hdr, r.Status, r.Body)
				}
				if r.Status >= 500 {
					t.Errorf("%s: %s %s: %d %.300s", at.name, rt.Method, path, r.Status, r.Body)
				}
				for _, id := range foreignOf(at.ownTenant) {
					if bytes.Contains(r.Body, []byte(id)) && !strings.Contains(path, strings.Trim(id, `"`)) {
						successes++
						t.Errorf("%s: %s %s %v names B's %s: %.300s", at.name, rt.Method, path, hdr, id, r.Body)
					}
				}
			}
		}
	}

	// Body references to B's objects from A's own workspace.
	keyA := attackers[0].matrixPrincipal
	for _, c := range []struct {
		what, method, path string
		body               any
		headers            []string
	}{
		{"Versori: A's connection referencing B's credential by id", "POST", "/api/connect/v1/o/default/connectors/mass-api/connections",
			map[string]any{"name": "ref-" + randHex(t, 4), "credentials": map[string]any{"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{"id": "01M894Y23CYJY0X258MN3RYDW9", "schemeType": "api-key", "name": "X-API-Key", "in": "header"},
				"credential":       map[string]any{"id": fb.params["credential_id"]}}}}}, nil},
		{"Auth0: A's organization enabling B's connection", "POST", "/api/v2/organizations/" + fa.auth0["id"] + "/enabled_connections",
			map[string]any{"connection_id": fb.auth0["connection_id"]}, nil},
		{"Auth0: A's organization connection named by B's connection id", "GET", "/api/v2/organizations/" + fa.auth0["id"] + "/enabled_connections/" + fb.auth0["connection_id"], nil, nil},
		{"Slash: tenantBizId of another tenant", "POST", "/web/v1/workspaces/default/slash/connections",
			withField(fa.bodies["slash POST /web/v1/workspaces/{workspaceId}/slash/connections"]("t"), "tenantBizId", "other"), nil},
		{"Slash: B's connection through A's path and B's header", "GET", "/web/v1/workspaces/default/slash/connections/" + fb.params["connectionBizId"], nil, []string{"X-Workspace-Id", "ws-b"}},
		{"Slash: B's webhook secret with B's header", "GET", "/internal/slash/connections/" + fb.params["connectionBizId"] + "/webhook-secret", nil, []string{"X-Workspace-Id", "ws-b"}},
		{"SecMaster: B's asset under A's workspace", "GET", "/v1/default/workspaces/default/soc/assetcredentials/" + fb.params["asset_id"], nil, nil},
		{"SecMaster: A's workspace under another project", "GET", "/v1/other/workspaces/default/soc/assetcredentials", nil, nil},
		{"Unified: B's connection id", "GET", "/unified/connection/" + fb.params["id"], nil, []string{"X-Workspace-Id", "ws-b"}},
		{"Versori: B's connection under A's organisation", "GET", "/api/connect/v1/o/default/connectors/mass-api/connections/" + fb.params["connection_id"], nil, nil},
		{"Versori: B's credential under A's organisation", "PUT", "/api/connect/v1/o/default/credentials/" + fb.params["credential_id"],
			map[string]any{"id": fb.params["credential_id"], "type": "string", "name": "x", "data": map[string]any{"value": "stolen"}}, nil},
	} {
		var body []byte
		if c.body != nil {
			body = []byte(mustJSON(t, c.body))
		}
		r := doAs(t, e, keyA, c.method, c.path, body, c.headers...)
		requests++
		if r.Status < 300 {
			successes++
			t.Errorf("%s: %d %.300s, want it refused", c.what, r.Status, r.Body)
		}
		for _, id := range foreignOf(true) {
			if bytes.Contains(r.Body, []byte(id)) && !strings.Contains(c.path, strings.Trim(id, `"`)) {
				successes++
				t.Errorf("%s names B's %s: %.300s", c.what, id, r.Body)
			}
		}
	}
	// A Unified vault reference is an opaque pointer Switchboard never resolves: naming the
	// same vault path as B makes a new credential of A's, and leaves B's alone.
	r := doAs(t, e, keyA, "POST", "/unified/connection", []byte(mustJSON(t, withField(
		withField(fa.bodies["unified POST /unified/connection"]("v"), "auth", nil), "auth_hashi_vault_path", "secret/ws-b/hubspot"))))
	requests++
	if r.Status < 300 && bytes.Contains(r.Body, []byte("ws-b")) && !bytes.Contains(r.Body, []byte("secret/ws-b/hubspot")) {
		t.Errorf("unified vault reference: %s", r.Body)
	}

	// The console: signed in as A's owner, every route with B's workspace and ids.
	c, csrf := consoleSession(t, e, keyAOwner)
	for _, rt := range e.Server.FamilyRoutes("console") {
		if rt.Public || rt.Path == "/console/logout" || rt.Path == "/console/w" {
			continue
		}
		for _, v := range []map[string]string{bParams["console"], {"ws": "default", "id": nb.Connection, "key": nb.ConnectorKey}} {
			if !strings.Contains(rt.Path, "{id}") && !strings.Contains(rt.Path, "{key}") && v["ws"] == "default" {
				continue // A's own workspace with no B id: A's to use
			}
			id := v["id"]
			switch {
			case strings.Contains(rt.Path, "/webhooks/"):
				id = nb.WebhookEndpoint
			case strings.Contains(rt.Path, "/api-keys/"):
				id = nb.Key
			}
			path := strings.NewReplacer("{ws}", v["ws"], "{id}", id, "{key}", v["key"]).Replace(rt.Path)
			var resp *http.Response
			var err error
			if rt.Method == "GET" {
				resp, err = c.Get(e.URL + path)
			} else {
				resp, err = c.PostForm(e.URL+path, map[string][]string{"csrf": {csrf}, "name": {"x"}, "url": {"https://hooks.example.com/x"}, "role": {"viewer"}})
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			requests++
			if resp.StatusCode < 300 {
				successes++
				t.Errorf("console %s %s as A: %d", rt.Method, path, resp.StatusCode)
			}
			if resp.StatusCode == http.StatusSeeOther && !strings.Contains(resp.Header.Get("Location"), "/console/w/default") &&
				!strings.HasSuffix(resp.Header.Get("Location"), "/console/w") {
				successes++
				t.Errorf("console %s %s as A: redirected to %s", rt.Method, path, resp.Header.Get("Location"))
			}
			// An id the request itself names may be echoed (a link back, the form's action);
			// any other of B's is a leak.
			for _, id := range foreignOf(true) {
				if !strings.Contains(path, strings.Trim(id, `"`)) && bytes.Contains(buf.Bytes(), []byte(id)) {
					successes++
					t.Errorf("console %s %s names B's %s", rt.Method, path, id)
				}
			}
		}
	}

	if diff := cmp.Diff(before, snap()); diff != "" {
		successes++
		t.Errorf("B's objects changed during the walk (-before +after):\n%s", diff)
	}
	slices.Sort(walked)
	t.Logf("%d routes of the vendor families and the console walked, %d requests", len(walked), requests)
	if len(walked) < 60 {
		t.Errorf("only %d routes walked: the route list looks wrong", len(walked))
	}
	// SecMaster answers another workspace with its 400 "workspace not found"
	// (SecMaster.2004100x), Unified.to a principal bound to no workspace with 400: refusals.
	t.Logf("vendor-route answers by status: %v", statuses)
	t.Logf("FIGURE bola_cross_workspace_successes=%d", successes)
	t.Logf("FIGURE bola_routes_walked=%d", len(walked))
}

// withField returns a copy of m with k set to v (nil: removed).
func withField(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}
