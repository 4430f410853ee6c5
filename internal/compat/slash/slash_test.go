package slash_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/securechannel"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

const base = "/web/v1/workspaces/default/slash/connections"

// seedBody is the seed page's create request, with plausible values for its fields.
func seedBody(name string) map[string]any {
	return map[string]any{
		"connectionName":     name,
		"partnerEndpoint":    "https://partner.example.com/api",
		"slashApiBaseUrl":    "https://api.slash.com",
		"slashApiKey":        "sk_live_1234567890abcdef",
		"slashAccountId":     "acct_9876543210efgh",
		"slashWebhookSecret": "whsec_abcdefghijklmnop",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func errBody(t *testing.T, r *testenv.Response) map[string]any {
	t.Helper()
	m := r.Map(t)
	if len(m) != 2 {
		t.Errorf("error body %s: want exactly code and message", r.Body)
	}
	return m
}

func create(t *testing.T, e *testenv.Env, token, ws string, body any, headers ...string) *testenv.Response {
	t.Helper()
	return e.Do(t, "POST", "/web/v1/workspaces/"+ws+"/slash/connections", token, body, headers...)
}

func mustCreate(t *testing.T, e *testenv.Env, ws, name string) map[string]any {
	t.Helper()
	r := create(t, e, e.OwnerKey, ws, seedBody(name))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.Map(t)
}

var connID = regexp.MustCompile(`^conn_[A-Za-z0-9]+$`)

// TestContract replays the seed page: its create request and every documented response
// field, status and error body.
func TestContract(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			viewer := e.Key(t, "default", switchboard.RoleViewer)
			r := create(t, e, e.OwnerKey, "default", seedBody("Primary Slash Connection"),
				"Accept", "application/json", "X-Client-Hash", "device-abc", "Accept-Language", "en", "X-Workspace-Id", "default")
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			got := r.Map(t)
			id, _ := got["connectionBizId"].(string)
			if !connID.MatchString(id) {
				t.Fatalf("connectionBizId %q", id)
			}
			if loc := r.Header.Get("Location"); loc != base+"/"+id {
				t.Errorf("Location %q", loc)
			}
			for _, k := range []string{"createdAt", "updatedAt"} {
				if s, _ := got[k].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(s) {
					t.Errorf("%s = %v", k, got[k])
				}
				delete(got, k)
			}
			want := map[string]any{
				"connectionBizId": id, "bizId": id, "workspaceId": "default", "tenantBizId": "default",
				"connectionName": "Primary Slash Connection", "partnerEndpoint": "https://partner.example.com/api",
				"slashApiBaseUrl": "https://api.slash.com", "slashApiKey": "sk_l****cdef",
				"slashAccountId": "acct****efgh", "slashWebhookSecret": "whse****mnop",
				"connectionStatus": float64(20010201), "connectionStatusName": "PENDING",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("create response (-want +got):\n%s", diff)
			}

			seed := seedBody("other")
			cases := []struct {
				name    string
				method  string
				path    string
				token   string
				body    any
				headers []string
				status  int
				code    string
				message string
			}{
				{"seed 400 example", "POST", base, e.OwnerKey, with(seed, "connectionName", ""), nil, 400, "4000", "connectionName must not be blank"},
				{"name only spaces", "POST", base, e.OwnerKey, with(seed, "connectionName", "   "), nil, 400, "4000", "connectionName must not be blank"},
				{"name missing", "POST", base, e.OwnerKey, with(seed, "connectionName", nil), nil, 400, "4000", "connectionName must not be blank"},
				{"partnerEndpoint missing", "POST", base, e.OwnerKey, with(seed, "partnerEndpoint", nil), nil, 400, "4000", "partnerEndpoint must not be blank"},
				{"slashApiBaseUrl blank", "POST", base, e.OwnerKey, with(seed, "slashApiBaseUrl", " "), nil, 400, "4000", "slashApiBaseUrl must not be blank"},
				{"slashApiKey blank", "POST", base, e.OwnerKey, with(seed, "slashApiKey", ""), nil, 400, "4000", "slashApiKey must not be blank"},
				{"slashAccountId spaces", "POST", base, e.OwnerKey, with(seed, "slashAccountId", "  \t"), nil, 400, "4000", "slashAccountId must not be blank"},
				{"slashWebhookSecret missing", "POST", base, e.OwnerKey, with(seed, "slashWebhookSecret", nil), nil, 400, "4000", "slashWebhookSecret must not be blank"},
				{"partnerEndpoint not http", "POST", base, e.OwnerKey, with(seed, "partnerEndpoint", "ftp://partner.example.com"), nil, 400, "4000", "partnerEndpoint must be an http or https URL"},
				{"slashApiBaseUrl not a URL", "POST", base, e.OwnerKey, with(seed, "slashApiBaseUrl", "api.slash.com"), nil, 400, "4000", "slashApiBaseUrl must be an http or https URL"},
				{"wrong type", "POST", base, e.OwnerKey, with(seed, "slashApiKey", 42), nil, 400, "4000", "slashApiKey has the wrong type"},
				{"unknown field", "POST", base, e.OwnerKey, with(seed, "nickname", "x"), nil, 400, "4000", "nickname is not a known field"},
				{"name taken", "POST", base, e.OwnerKey, seedBody("Primary Slash Connection"), nil, 409, "4090", "a connection named Primary Slash Connection already exists for this connector"},
				{"tenantBizId of another tenant", "POST", base, e.OwnerKey, with(seed, "tenantBizId", "other-tenant"), nil, 403, "4030", "tenantBizId does not match the tenant of the workspace"},
				{"X-Workspace-Id mismatch", "POST", base, e.OwnerKey, seed, []string{"X-Workspace-Id", "ws-x"}, 403, "4030", "X-Workspace-Id does not match the workspace in the path"},
				{"X-Workspace-Id mismatch on get", "GET", base + "/" + id, e.OwnerKey, nil, []string{"X-Workspace-Id", "ws-x"}, 403, "4030", "X-Workspace-Id does not match the workspace in the path"},
				{"no token", "POST", base, "", seed, nil, 401, "4010", "missing or invalid credentials"},
				{"bad token", "GET", base, "sbk_" + strings.Repeat("a", 52), nil, nil, 401, "4010", "missing or invalid credentials"},
				{"viewer creates", "POST", base, viewer, seed, nil, 403, "4030", "this needs the editor role or higher"},
				{"viewer activates", "POST", base + "/" + id + "/activate", viewer, nil, nil, 403, "4030", "this needs the editor role or higher"},
				{"unknown connection", "GET", base + "/conn_doesnotexist", e.OwnerKey, nil, nil, 404, "4040", "connection not found"},
				{"unknown workspace", "GET", "/web/v1/workspaces/nope/slash/connections", e.OwnerKey, nil, nil, 404, "4040", "workspace not found"},
				{"zh", "POST", base, e.OwnerKey, with(seed, "connectionName", ""), []string{"Accept-Language", "zh"}, 400, "4000", "connectionName 不能为空"},
				{"zh-TW", "POST", base, e.OwnerKey, with(seed, "slashApiKey", ""), []string{"Accept-Language", "zh-TW"}, 400, "4000", "slashApiKey 不得為空"},
				{"ja", "GET", base + "/conn_doesnotexist", e.OwnerKey, nil, []string{"Accept-Language", "ja"}, 404, "4040", ""},
				{"vi", "POST", base, e.OwnerKey, with(seed, "connectionName", ""), []string{"Accept-Language", "vi"}, 400, "4000", "connectionName không được để trống"},
				{"zh 401", "GET", base, "", nil, []string{"Accept-Language", "zh-CN"}, 401, "4010", ""},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := e.Do(t, c.method, c.path, c.token, c.body, c.headers...)
					if r.Status != c.status {
						t.Fatalf("%d %s, want %d", r.Status, r.Body, c.status)
					}
					m := errBody(t, r)
					if m["code"] != c.code {
						t.Errorf("code %v, want %s", m["code"], c.code)
					}
					msg, _ := m["message"].(string)
					switch {
					case c.message != "" && msg != c.message:
						t.Errorf("message %q, want %q", msg, c.message)
					case c.message == "" && (msg == "" || isASCII(msg)):
						t.Errorf("message %q is not localized", msg)
					}
				})
			}
		})
	}
}

func isASCII(s string) bool {
	for _, c := range s {
		if c > 127 {
			return false
		}
	}
	return true
}

// TestLifecycle walks PENDING → ACTIVE → SUSPENDED → ACTIVE → CLOSED and checks a closed
// connection stays closed.
func TestLifecycle(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			editor := e.Key(t, "default", switchboard.RoleEditor)
			id := mustCreate(t, e, "default", "life")["connectionBizId"].(string)
			steps := []struct {
				action string
				status int
				name   string
				code   float64
			}{
				{"activate", 200, "ACTIVE", 20010203},
				{"suspend", 200, "SUSPENDED", 20010204},
				{"activate", 200, "ACTIVE", 20010203},
				{"close", 200, "CLOSED", 20010205},
				{"activate", 409, "", 0},
				{"suspend", 409, "", 0},
				{"close", 409, "", 0},
			}
			for i, s := range steps {
				r := e.Do(t, "POST", base+"/"+id+"/"+s.action, editor, nil)
				if r.Status != s.status {
					t.Fatalf("step %d %s: %d %s", i, s.action, r.Status, r.Body)
				}
				m := r.Map(t)
				if s.status == 409 {
					if m["code"] != "4090" || m["message"] != "the connection is closed for good: it can only be read or deleted" {
						t.Errorf("step %d: %s", i, r.Body)
					}
					continue
				}
				if m["connectionStatusName"] != s.name || m["connectionStatus"] != s.code || m["connectionBizId"] != id {
					t.Errorf("step %d %s: %s", i, s.action, r.Body)
				}
			}
			r := e.Do(t, "GET", base+"/"+id, editor, nil)
			if m := r.Map(t); m["connectionStatusName"] != "CLOSED" || m["connectionStatus"] != float64(20010205) {
				t.Errorf("after close: %s", r.Body)
			}
			r = e.Do(t, "POST", base+"/conn_doesnotexist/activate", editor, nil)
			if r.Status != 404 || errBody(t, r)["code"] != "4040" {
				t.Errorf("activate unknown: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestListAndMasking checks the list is a plain array of the workspace's Slash connections and
// that the sensitive fields are masked everywhere but the webhook-secret route.
func TestListAndMasking(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			r := e.Do(t, "GET", base, e.OwnerKey, nil)
			if r.Status != 200 || strings.TrimSpace(string(r.Body)) != "[]" {
				t.Fatalf("empty list: %d %s", r.Status, r.Body)
			}
			long := mustCreate(t, e, "default", "long")
			short := create(t, e, e.OwnerKey, "default", with(seedBody("short"),
				"slashApiKey", "k-12345", "slashAccountId", "acct_1", "slashWebhookSecret", "exactly11ch"))
			if short.Status != 201 {
				t.Fatalf("create short: %d %s", short.Status, short.Body)
			}
			s := short.Map(t)
			for _, f := range []string{"slashApiKey", "slashAccountId", "slashWebhookSecret"} {
				if s[f] != "****" {
					t.Errorf("short %s = %v, want ****", f, s[f])
				}
			}
			// A connection of another connector is not a Slash connection.
			other := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "http-bearer", "connection_name": "not slash",
				"config": map[string]any{"base_url": "https://example.com", "token": "tok_0123456789abcdef"},
			})
			r = e.Do(t, "GET", base, e.OwnerKey, nil)
			var list []map[string]any
			r.JSON(t, &list)
			if len(list) != 2 || list[0]["connectionBizId"] != long["connectionBizId"] || list[1]["connectionBizId"] != s["connectionBizId"] {
				t.Fatalf("list: %s", r.Body)
			}
			if list[0]["slashApiKey"] != "sk_l****cdef" || list[0]["slashWebhookSecret"] != "whse****mnop" {
				t.Errorf("list not masked as Slash does: %s", r.Body)
			}
			for _, secret := range []string{"sk_live_1234567890abcdef", "acct_9876543210efgh", "whsec_abcdefghijklmnop", "k-12345", "exactly11ch"} {
				for _, body := range [][]byte{r.Body, short.Body, e.Do(t, "GET", base+"/"+long["connectionBizId"].(string), e.OwnerKey, nil).Body} {
					if bytes.Contains(body, []byte(secret)) {
						t.Errorf("secret %q in %s", secret, body)
					}
				}
			}
			if other.Status == http.StatusCreated {
				oid := other.Map(t)["id"].(string)
				if r := e.Do(t, "GET", base+"/"+oid, e.OwnerKey, nil); r.Status != 404 {
					t.Errorf("a non-Slash connection through Slash: %d %s", r.Status, r.Body)
				}
			} else {
				t.Logf("native non-Slash create: %d %s (skipping that check)", other.Status, other.Body)
			}
		})
	}
}

// TestAudit checks X-Client-Hash and X-Workspace-Id are recorded on the audit events of Slash
// requests.
func TestAudit(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			r := create(t, e, e.OwnerKey, "default", seedBody("audited"), "X-Client-Hash", "fp-7f3a9c", "X-Workspace-Id", "default")
			if r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			id := r.Map(t)["connectionBizId"].(string)
			if r := e.Do(t, "POST", base+"/"+id+"/activate", e.OwnerKey, nil, "X-Client-Hash", "fp-activate", "X-Workspace-Id", "default"); r.Status != 200 {
				t.Fatalf("activate: %d %s", r.Status, r.Body)
			}
			var out struct {
				Items []struct {
					Action     string         `json:"action"`
					ObjectID   string         `json:"object_id"`
					ClientHash string         `json:"client_hash"`
					Details    map[string]any `json:"details"`
				} `json:"items"`
			}
			e.Do(t, "GET", "/v1/workspaces/default/audit?object_id="+id, e.OwnerKey, nil).JSON(t, &out)
			seen := map[string]bool{}
			for _, ev := range out.Items {
				if ev.ObjectID != id {
					continue
				}
				seen[ev.Action] = true
				want := map[string]string{"connection.create": "fp-7f3a9c", "connection.status": "fp-activate"}[ev.Action]
				if ev.ClientHash != want || ev.Details["workspace_header"] != "default" {
					t.Errorf("%s: client_hash %q workspace_header %v", ev.Action, ev.ClientHash, ev.Details["workspace_header"])
				}
			}
			if !seen["connection.create"] || !seen["connection.status"] {
				t.Errorf("audit events %v", seen)
			}
		})
	}
}

// TestWebhookSecret checks the webhook secret is given in clear only to a principal with
// credentials:read, in its own workspace.
func TestWebhookSecret(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			id := mustCreate(t, e, "default", "hooks")["connectionBizId"].(string)
			path := "/internal/slash/connections/" + id + "/webhook-secret"
			reader := e.Key(t, "default", switchboard.RoleViewer, switchboard.ScopeCredentialsRead)
			noScope := e.Key(t, "default", switchboard.RoleOwner)
			for _, c := range []struct {
				name    string
				token   string
				headers []string
			}{{"owner, all workspaces", e.OwnerKey, nil}, {"viewer with scope", reader, nil}, {"with X-Workspace-Id", reader, []string{"X-Workspace-Id", "default"}}} {
				r := e.Do(t, "GET", path, c.token, nil, c.headers...)
				want := map[string]any{"connectionBizId": id, "slashWebhookSecret": "whsec_abcdefghijklmnop"}
				if r.Status != 200 {
					t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
				}
				if diff := cmp.Diff(want, r.Map(t)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", c.name, diff)
				}
			}
			for _, c := range []struct {
				name    string
				token   string
				path    string
				headers []string
				status  int
				code    string
			}{
				{"no auth", "", path, nil, 401, "4010"},
				{"no scope", noScope, path, nil, 403, "4030"},
				{"unknown", reader, "/internal/slash/connections/conn_nope/webhook-secret", nil, 404, "4040"},
				{"other workspace header", reader, path, []string{"X-Workspace-Id", "ws-b"}, 404, "4040"},
			} {
				r := e.Do(t, "GET", c.path, c.token, nil, c.headers...)
				if r.Status != c.status || errBody(t, r)["code"] != c.code {
					t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
				}
				if bytes.Contains(r.Body, []byte("whsec_")) {
					t.Errorf("%s: secret in %s", c.name, r.Body)
				}
			}
			// Each clear read is audited.
			var out struct {
				Items []struct {
					Action string `json:"action"`
				} `json:"items"`
			}
			e.Do(t, "GET", "/v1/workspaces/default/audit?object_id="+id+"&action=connection.credentials.read", e.OwnerKey, nil).JSON(t, &out)
			if len(out.Items) != 3 {
				t.Errorf("%d credentials.read events, want 3", len(out.Items))
			}
		})
	}
}

// TestCrossFamily checks a Slash connection is the native connection (same id, same
// secrets), and a natively created "slash" connection is served by the Slash routes.
func TestCrossFamily(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			id := mustCreate(t, e, "default", "cross")["connectionBizId"].(string)
			r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil)
			n := r.Map(t)
			if r.Status != 200 || n["id"] != id || n["connector_id"] != "slash" || n["connection_name"] != "cross" || n["status"] != "PENDING" {
				t.Fatalf("native get: %d %s", r.Status, r.Body)
			}
			r = e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
			var creds struct {
				Config map[string]any `json:"config"`
			}
			r.JSON(t, &creds)
			want := seedBody("")
			delete(want, "connectionName")
			if diff := cmp.Diff(want, creds.Config); diff != "" {
				t.Errorf("native credentials (-slash create +native):\n%s", diff)
			}
			// A status change through Slash is the native status.
			e.Do(t, "POST", base+"/"+id+"/suspend", e.OwnerKey, nil)
			if s := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)["status"]; s != "SUSPENDED" {
				t.Errorf("native status after Slash suspend: %v", s)
			}

			cfg := seedBody("")
			delete(cfg, "connectionName")
			r = e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "slash", "connection_name": "native", "config": cfg,
			})
			if r.Status != 201 {
				t.Fatalf("native create: %d %s", r.Status, r.Body)
			}
			nid := r.Map(t)["id"].(string)
			g := e.Do(t, "GET", base+"/"+nid, e.OwnerKey, nil).Map(t)
			if g["connectionBizId"] != nid || g["connectionName"] != "native" || g["slashAccountId"] != "acct****efgh" || g["connectionStatusName"] != "PENDING" {
				t.Errorf("native connection through Slash: %v", g)
			}
			var list []map[string]any
			e.Do(t, "GET", base, e.OwnerKey, nil).JSON(t, &list)
			if len(list) != 2 {
				t.Errorf("list after native create: %v", list)
			}
		})
	}
}

// TestBOLA points every Slash route, as a key of workspace "default", at workspace "ws-b"'s
// objects: each answers not found in the Slash shape, and nothing of ws-b changes or shows.
func TestBOLA(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Workspace(t, "ws-b")
			foreign := mustCreate(t, e, "ws-b", "foreign")["connectionBizId"].(string)
			mine := e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)
			routes := e.Server.FamilyRoutes("slash")
			if len(routes) != 7 {
				t.Errorf("%d Slash routes, want 7", len(routes))
			}
			for _, rt := range routes {
				path := strings.NewReplacer("{workspaceId}", "ws-b", "{connectionBizId}", foreign).Replace(rt.Path)
				var body any
				if rt.Method == "POST" && strings.HasSuffix(rt.Path, "/connections") {
					body = seedBody("intruder")
				}
				for _, h := range [][]string{nil, {"X-Workspace-Id", "ws-b"}} {
					r := e.Do(t, rt.Method, path, mine, body, h...)
					if r.Status != 404 || errBody(t, r)["code"] != "4040" {
						t.Errorf("%s %s %v: %d %s, want 404 4040", rt.Method, path, h, r.Status, r.Body)
					}
					if bytes.Contains(r.Body, []byte(foreign)) || bytes.Contains(r.Body, []byte("whsec")) {
						t.Errorf("%s %s: leaks %s", rt.Method, path, r.Body)
					}
				}
			}
			// ws-b's connection is untouched and ws-b holds nothing new.
			var list []map[string]any
			e.Do(t, "GET", "/web/v1/workspaces/ws-b/slash/connections", e.OwnerKey, nil).JSON(t, &list)
			if len(list) != 1 || list[0]["connectionStatusName"] != "PENDING" {
				t.Errorf("ws-b after the walk: %v", list)
			}
		})
	}
}

// TestSecureChannel sends the seed create encrypted to the published key, and refuses bodies
// with another algorithm or that are not for this server.
func TestSecureChannel(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			r := e.Do(t, "GET", server.SecureChannelPath, "", nil)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/jwk-set+json") {
				t.Fatalf("JWKS: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			if bytes.Contains(r.Body, []byte(`"d"`)) {
				t.Fatalf("the JWKS publishes the private key: %s", r.Body)
			}
			pub, kid, err := securechannel.EncryptionKey(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			plain := []byte(`{"connectionName":"sealed","partnerEndpoint":"https://partner.example.com/api","slashApiBaseUrl":"https://api.slash.com","slashApiKey":"sk_live_1234567890abcdef","slashAccountId":"acct_9876543210efgh","slashWebhookSecret":"whsec_abcdefghijklmnop"}`)
			jwe, err := securechannel.Seal(pub, kid, plain)
			if err != nil {
				t.Fatal(err)
			}
			jose := []string{"Content-Type", "application/jose"}
			r = e.Do(t, "POST", base, e.OwnerKey, jwe, jose...)
			if r.Status != 201 {
				t.Fatalf("encrypted create: %d %s", r.Status, r.Body)
			}
			m := r.Map(t)
			if m["connectionName"] != "sealed" || m["slashApiKey"] != "sk_l****cdef" || m["connectionStatus"] != float64(20010201) {
				t.Errorf("encrypted create: %s", r.Body)
			}
			id := m["connectionBizId"].(string)
			hook := e.Do(t, "GET", "/internal/slash/connections/"+id+"/webhook-secret", e.OwnerKey, nil).Map(t)
			if hook["slashWebhookSecret"] != "whsec_abcdefghijklmnop" {
				t.Errorf("secret after encrypted create: %v", hook)
			}

			// The validation of the decrypted body is the route's own.
			bad, _ := securechannel.Seal(pub, kid, []byte(`{"connectionName":""}`))
			r = e.Do(t, "POST", base, e.OwnerKey, bad, jose...)
			if r.Status != 400 || errBody(t, r)["message"] != "connectionName must not be blank" {
				t.Errorf("encrypted invalid body: %d %s", r.Status, r.Body)
			}

			refused := []struct {
				name   string
				body   string
				status int
				code   string
			}{
				{"enc A128GCM", forge(`{"alg":"ECDH-ES","enc":"A128GCM"}`), 400, "4000"},
				{"alg ECDH-ES+A256KW", forge(`{"alg":"ECDH-ES+A256KW","enc":"A256GCM"}`), 400, "4000"},
				{"alg dir", forge(`{"alg":"dir","enc":"A256GCM"}`), 400, "4000"},
				{"alg none", forge(`{"alg":"none","enc":"A256GCM"}`), 400, "4000"},
				{"not a JWE", "hello.world", 400, "4000"},
				{"tampered", tamper(jwe), 400, "4000"},
				{"another server's key", sealToOther(t, plain), 400, "4000"},
				{"too large", strings.Repeat("a", 2<<20), 413, "4130"},
			}
			for _, c := range refused {
				r := e.Do(t, "POST", base, e.OwnerKey, c.body, jose...)
				if r.Status != c.status || errBody(t, r)["code"] != c.code {
					t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
				}
			}
			r = e.Do(t, "POST", base, e.OwnerKey, forge(`{"alg":"ECDH-ES","enc":"A128GCM"}`), "Content-Type", "application/jose", "Accept-Language", "ja")
			if msg, _ := r.Map(t)["message"].(string); isASCII(msg) {
				t.Errorf("refusal not localized: %s", r.Body)
			}
			// Routes that do not take SecureChannel refuse application/jose as a media type.
			r = e.Do(t, "POST", base+"/"+id+"/activate", e.OwnerKey, jwe, jose...)
			if r.Status == 200 {
				// activate takes no body, so it may ignore one; it must not have decrypted it.
				t.Logf("activate with a JWE body: %d", r.Status)
			}
			// Plain JSON is still accepted on create.
			if r := create(t, e, e.OwnerKey, "default", seedBody("plain")); r.Status != 201 {
				t.Errorf("plain create: %d %s", r.Status, r.Body)
			}
		})
	}
}

// forge makes a compact JWE with the given protected header and junk parts: the server must
// refuse it for its header alone.
func forge(header string) string {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return b64(header) + "." + "." + b64("123456789012") + "." + b64("ciphertext") + "." + b64("0123456789abcdef")
}

func tamper(jwe string) string {
	parts := strings.Split(jwe, ".")
	ct := []byte(parts[3])
	if ct[0] == 'A' {
		ct[0] = 'B'
	} else {
		ct[0] = 'A'
	}
	parts[3] = string(ct)
	return strings.Join(parts, ".")
}

func sealToOther(t *testing.T, plain []byte) string {
	t.Helper()
	other := testenv.New(t, "sqlite")
	r := other.Do(t, "GET", server.SecureChannelPath, "", nil)
	pub, kid, err := securechannel.EncryptionKey(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	jwe, err := securechannel.Seal(pub, kid, plain)
	if err != nil {
		t.Fatal(err)
	}
	return jwe
}
