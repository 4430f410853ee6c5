package unified_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// call sends a request with the Authorization header exactly as given ("" = none), the way
// the Unified.to SDK does (it sends the key bare).
func call(t *testing.T, e *testenv.Env, method, path, authorization string, body any) *testenv.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(b)
		}
		rd = strings.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", "*")
	req.Header.Set("User-Agent", "speakeasy-sdk/typescript 2.85.49 2.938.0 1.0 @unified-api/typescript-sdk")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// seedCreate is the create request the Unified.to TypeScript SDK sends (sdk-wire.md).
const seedCreate = `{
  "auth": {
    "token": "sb-accept-provider-token"
  },
  "categories": [
    "crm"
  ],
  "environment": "Production",
  "external_xref": "sb-accept-capture",
  "integration_type": "hubspot",
  "permissions": [
    "crm_contact_read",
    "crm_contact_write"
  ]
}`

const seedPatch = `{
  "categories": [
    "crm"
  ],
  "environment": "Production",
  "external_xref": "sb-accept-capture-patched",
  "integration_type": "hubspot",
  "permissions": [
    "crm_contact_read",
    "crm_contact_write"
  ]
}`

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

// checkConnection checks every field of a Connection object the seed documents.
func checkConnection(t *testing.T, m map[string]any, xref string) {
	t.Helper()
	want := map[string]any{
		"workspace_id": "default", "integration_type": "hubspot", "integration_name": "HubSpot",
		"external_xref": xref, "environment": "Production", "is_paused": false,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if id, _ := m["id"].(string); !strings.HasPrefix(id, "conn_") {
		t.Errorf("id = %v", m["id"])
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if s, _ := m[k].(string); !dateRE.MatchString(s) {
			t.Errorf("%s = %v, want YYYY-MM-DDTHH:MM:SSZ", k, m[k])
		}
	}
	if got, _ := json.Marshal(m["permissions"]); string(got) != `["crm_contact_read","crm_contact_write"]` {
		t.Errorf("permissions = %s", got)
	}
	if got, _ := json.Marshal(m["categories"]); string(got) != `["crm"]` {
		t.Errorf("categories = %s", got)
	}
	if got, _ := json.Marshal(m["auth"]); string(got) != `{"token":"****oken"}` {
		t.Errorf("auth = %s, want the token masked", got)
	}
	for _, k := range []string{"last_healthy_at", "last_unhealthy_at", "auth_aws_arn", "auth_azure_keyvault_id",
		"auth_gcp_secret_name", "auth_hashi_vault_path", "secretsmanager_id", "secretsmanager_key"} {
		if v, ok := m[k]; ok {
			t.Errorf("%s = %v, want absent", k, v)
		}
	}
}

// TestContract replays the Unified.to SDK's own session (sdk-wire.md) on both drivers: bare
// and bearer keys, 200 on create, a bare array on list, the seed's Connection fields, 200 on
// delete, and the vendor's error body.
func TestContract(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			key := e.Key(t, "default", switchboard.RoleEditor)
			var id string
			steps := []struct {
				name, method, path, auth string
				body                     any
				status                   int
				check                    func(t *testing.T, r *testenv.Response)
			}{
				{"create", "POST", "/unified/connection", key, seedCreate, 200, func(t *testing.T, r *testenv.Response) {
					m := r.Map(t)
					checkConnection(t, m, "sb-accept-capture")
					id, _ = m["id"].(string)
				}},
				{"list bare key", "GET", "/unified/connection?external_xref=sb-accept-capture&limit=10&offset=0", key, nil, 200, func(t *testing.T, r *testenv.Response) {
					var list []map[string]any
					r.JSON(t, &list)
					if len(list) != 1 || list[0]["id"] != id {
						t.Fatalf("list = %s", r.Body)
					}
					checkConnection(t, list[0], "sb-accept-capture")
				}},
				{"list bearer key", "GET", "/unified/connection?external_xref=sb-accept-capture", "bearer " + key, nil, 200, func(t *testing.T, r *testenv.Response) {
					var list []map[string]any
					r.JSON(t, &list)
					if len(list) != 1 {
						t.Fatalf("list = %s", r.Body)
					}
				}},
				{"get", "GET", "/unified/connection/{id}", key, nil, 200, func(t *testing.T, r *testenv.Response) {
					checkConnection(t, r.Map(t), "sb-accept-capture")
				}},
				{"patch", "PATCH", "/unified/connection/{id}", key, seedPatch, 200, func(t *testing.T, r *testenv.Response) {
					checkConnection(t, r.Map(t), "sb-accept-capture-patched")
				}},
				{"get patched", "GET", "/unified/connection/{id}", "Bearer " + key, nil, 200, func(t *testing.T, r *testenv.Response) {
					checkConnection(t, r.Map(t), "sb-accept-capture-patched")
				}},
				{"delete", "DELETE", "/unified/connection/{id}", key, nil, 200, func(t *testing.T, r *testenv.Response) {
					if len(r.Body) != 0 {
						t.Errorf("delete body = %q, want none", r.Body)
					}
				}},
				{"get deleted", "GET", "/unified/connection/{id}", key, nil, 404, func(t *testing.T, r *testenv.Response) {
					if got := string(r.Body); got != `{"statusCode":404,"error":"Not Found","message":"connection not found"}`+"\n" {
						t.Errorf("body = %s", got)
					}
				}},
			}
			for _, s := range steps {
				r := call(t, e, s.method, strings.ReplaceAll(s.path, "{id}", id), s.auth, s.body)
				if r.Status != s.status {
					t.Fatalf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
				}
				if bytes.Contains(r.Body, []byte("sb-accept-provider-token")) {
					t.Fatalf("%s: the token in clear: %s", s.name, r.Body)
				}
				if s.status != 200 || s.method != "DELETE" {
					if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Errorf("%s: Content-Type %q", s.name, ct)
					}
				}
				s.check(t, r)
			}
		})
	}
}

// TestErrors checks validation, 401, 403 and 404 answers in Unified.to's shape.
func TestErrors(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			editor := e.Key(t, "default", switchboard.RoleEditor)
			viewer := e.Key(t, "default", switchboard.RoleViewer)
			body := func(mod func(m map[string]any)) map[string]any {
				var m map[string]any
				_ = json.Unmarshal([]byte(seedCreate), &m)
				mod(m)
				return m
			}
			for _, tc := range []struct {
				name, method, path, auth string
				body                     any
				status                   int
				message                  string
			}{
				{"no integration_type", "POST", "/unified/connection", editor, body(func(m map[string]any) { delete(m, "integration_type") }), 400, "integration_type must not be blank"},
				{"no permissions", "POST", "/unified/connection", editor, body(func(m map[string]any) { delete(m, "permissions") }), 400, "permissions must not be blank"},
				{"no categories", "POST", "/unified/connection", editor, body(func(m map[string]any) { delete(m, "categories") }), 400, "categories must not be blank"},
				{"unknown integration", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["integration_type"] = "nosuch" }), 400, "integration_type must be one of the allowed values"},
				{"permission not declared", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["permissions"] = []string{"hris_employee_read"} }), 400, "permissions[0] must be one of the allowed values"},
				{"category not declared", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["categories"] = []string{"hris"} }), 400, "categories[0] must be one of the allowed values"},
				{"auth without a token", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["auth"] = map[string]any{"client_id": "c"} }), 400, "auth.access_token must not be blank"},
				{"auth field unknown", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["auth"] = map[string]any{"token": "t", "pem": "x"} }), 400, "auth.pem is not a known field"},
				{"field unknown", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["nope"] = 1 }), 400, "nope is not a known field"},
				{"wrong type", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["permissions"] = "crm_contact_read" }), 400, "permissions has the wrong type"},
				{"two vaults", "POST", "/unified/connection", editor, body(func(m map[string]any) {
					delete(m, "auth")
					m["auth_aws_arn"], m["auth_hashi_vault_path"] = "arn:aws:secretsmanager:eu-west-1:1:secret:x", "secret/x"
				}), 400, "auth_hashi_vault_path is not valid"},
				{"key without manager", "POST", "/unified/connection", editor, body(func(m map[string]any) { m["secretsmanager_key"] = "k" }), 400, "secretsmanager_id must not be blank"},
				{"malformed", "POST", "/unified/connection", editor, `{"integration_type":`, 400, "the request body is not valid JSON"},
				{"bad order", "GET", "/unified/connection?order=up", editor, nil, 400, "order must be one of the allowed values"},
				{"bad sort", "GET", "/unified/connection?sort=color", editor, nil, 400, "sort must be one of the allowed values"},
				{"bad limit", "GET", "/unified/connection?limit=x", editor, nil, 400, "limit has the wrong type"},
				{"bad updated_gte", "GET", "/unified/connection?updated_gte=yesterday", editor, nil, 400, "updated_gte is not in the required format"},
				{"no key", "GET", "/unified/connection", "", nil, 401, "missing or invalid credentials"},
				{"bad key", "GET", "/unified/connection", "sbk_nope", nil, 401, "missing or invalid credentials"},
				{"viewer creates", "POST", "/unified/connection", viewer, seedCreate, 403, "this needs the editor role or higher"},
				{"missing", "GET", "/unified/connection/conn_nope", editor, nil, 404, "connection not found"},
				{"missing patch", "PATCH", "/unified/connection/conn_nope", editor, seedPatch, 404, "connection not found"},
				{"missing delete", "DELETE", "/unified/connection/conn_nope", editor, nil, 404, "connection not found"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := call(t, e, tc.method, tc.path, tc.auth, tc.body)
					var got struct {
						StatusCode int    `json:"statusCode"`
						Error      string `json:"error"`
						Message    string `json:"message"`
					}
					r.JSON(t, &got)
					if r.Status != tc.status || got.StatusCode != tc.status || got.Error != http.StatusText(tc.status) || got.Message != tc.message {
						t.Errorf("%d %s, want %d %q", r.Status, r.Body, tc.status, tc.message)
					}
				})
			}
		})
	}
}
