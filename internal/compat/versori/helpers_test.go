package versori_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// base is the family's prefix for the default workspace and the "my-api" connector.
const base = "/api/connect/v1/o/default/connectors/my-api/connections"

// env starts a server on driver with a workspace connector "my-api" whose schema needs no
// config, as a Versori connector's connections have none.
func env(t *testing.T, driver string) *testenv.Env {
	t.Helper()
	e := testenv.New(t, driver)
	connector(t, e, "default")
	return e
}

// connector creates the "my-api" connector in workspace ws and returns its id.
func connector(t *testing.T, e *testenv.Env, ws string) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/connectors", e.OwnerKey, map[string]any{
		"key": "my-api", "name": "My API", "version": "1", "schema": map[string]any{"type": "object"},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create connector: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// seedCreate is the create request of the seed page as the client sends it (sdk-wire.md).
func seedCreate(name, secret string) map[string]any {
	return map[string]any{
		"credentials": map[string]any{
			"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{
					"description": "API key in header", "id": "01M894Y23CYJY0X258MN3RYDW9",
					"in": "header", "name": "X-API-Key", "schemeType": "api-key",
				},
				"credential": map[string]any{
					"data": map[string]any{"value": secret}, "name": name + "-key", "type": "string",
				},
			}},
		},
		"name":      name,
		"variables": []any{map[string]any{"name": "region", "value": "eu"}},
	}
}

// create posts body to the family and wants 200 with a Connection.
func create(t *testing.T, e *testenv.Env, body any) map[string]any {
	t.Helper()
	r := e.Do(t, "POST", base, e.OwnerKey, body)
	if r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	validate(t, "Connection", r.Body)
	return r.Map(t)
}

// wantError checks a Versori error body: status, code, and the fields named, in order.
func wantError(t *testing.T, r *testenv.Response, status int, code string, fields ...string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	validate(t, "Error", r.Body)
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Fields  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Code != code || body.Message == "" {
		t.Errorf("error %s, want code %q and a message", r.Body, code)
	}
	var got []string
	for _, f := range body.Fields {
		got = append(got, f.Field)
		if f.Message == "" {
			t.Errorf("field %s without a message: %s", f.Field, r.Body)
		}
	}
	if len(got) != len(fields) {
		t.Errorf("fields %v, want %v: %s", got, fields, r.Body)
	}
	for i := range min(len(got), len(fields)) {
		if got[i] != fields[i] {
			t.Errorf("fields %v, want %v: %s", got, fields, r.Body)
		}
	}
	return r.Map(t)
}

// path walks nested maps and slices of a decoded JSON value: get(m, "credentials", "action", 0).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}
