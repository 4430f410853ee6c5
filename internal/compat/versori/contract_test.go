package versori_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

// TestContract replays the seed's requests (sdk-wire.md: create, list ?first=20, get, put,
// delete, get after delete) and checks every documented field, status and error body, each
// response validated against the vendor's OpenAPI schema.
func TestContract(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			const name = "sb-accept-1795603499116246708"
			const secret = "sb-accept-secret-01M894Y23CD91WVFY78561Q3P0"
			var conn map[string]any
			id := func() string { return conn["id"].(string) }
			credID := func() string { return get(conn, "credentials", "action", 0, "id").(string) }
			steps := []struct {
				name   string
				method string
				path   func() string
				body   func() any
				status int
				schema string
				check  func(t *testing.T, r *testenv.Response)
			}{
				{
					name: "create", method: "POST", path: func() string { return base },
					body:   func() any { return seedCreate(name, secret) },
					status: http.StatusOK, schema: "Connection",
					check: func(t *testing.T, r *testenv.Response) {
						conn = r.Map(t)
						if !strings.HasPrefix(id(), "conn_") || conn["name"] != name {
							t.Errorf("id/name: %v %v", conn["id"], conn["name"])
						}
						for _, k := range []string{"createdAt", "updatedAt"} {
							if s, _ := conn[k].(string); !rfc3339.MatchString(s) {
								t.Errorf("%s = %v", k, conn[k])
							}
						}
						want := map[string]any{
							"action": []any{map[string]any{
								"id": credID(),
								"authSchemeConfig": map[string]any{
									"description": "API key in header", "id": "01M894Y23CYJY0X258MN3RYDW9",
									"in": "header", "name": "X-API-Key", "schemeType": "api-key",
								},
								"credential": map[string]any{
									"id": credID(), "organisationId": "default", "type": "string", "name": name + "-key",
									"data": map[string]any{"value": "****Q3P0"},
								},
							}},
							"trigger": []any{},
						}
						if d := cmp.Diff(want, conn["credentials"]); d != "" {
							t.Errorf("credentials (-want +got):\n%s", d)
						}
						if d := cmp.Diff([]any{map[string]any{"name": "region", "value": "eu"}}, conn["variables"]); d != "" {
							t.Errorf("variables (-want +got):\n%s", d)
						}
						if strings.Contains(string(r.Body), secret) {
							t.Errorf("secret in the response: %s", r.Body)
						}
					},
				},
				{
					name: "list", method: "GET", path: func() string { return base + "?first=20" },
					status: http.StatusOK, schema: "ConnectorConnectionPage",
					check: func(t *testing.T, r *testenv.Response) {
						want := map[string]any{"totalCount": float64(1), "items": []any{map[string]any{
							"id": id(), "name": name, "createdAt": conn["createdAt"], "updatedAt": conn["updatedAt"],
						}}}
						if d := cmp.Diff(want, r.Map(t)); d != "" {
							t.Errorf("page (-want +got):\n%s", d)
						}
					},
				},
				{
					name: "get", method: "GET", path: func() string { return base + "/" + id() },
					status: http.StatusOK, schema: "Connection",
					check: func(t *testing.T, r *testenv.Response) {
						if d := cmp.Diff(conn, r.Map(t)); d != "" {
							t.Errorf("get differs from create (-create +get):\n%s", d)
						}
					},
				},
				{
					name: "put", method: "PUT", path: func() string { return base + "/" + id() },
					body: func() any {
						return map[string]any{
							"credentials": map[string]any{"action": []any{map[string]any{
								"authSchemeConfig": map[string]any{
									"description": "API key in header (updated)", "id": "01M894Y23CYJY0X258MN3RYDW9",
									"in": "header", "name": "X-API-Key", "schemeType": "api-key",
								},
								"id": credID(),
							}}},
							"id":        id(),
							"name":      name + "-renamed",
							"variables": []any{map[string]any{"name": "region", "value": "us"}},
						}
					},
					status: http.StatusOK, schema: "Connection",
					check: func(t *testing.T, r *testenv.Response) {
						got := r.Map(t)
						if got["id"] != id() || got["name"] != name+"-renamed" || got["createdAt"] != conn["createdAt"] {
							t.Errorf("put: %s", r.Body)
						}
						if v := get(got, "variables", 0, "value"); v != "us" {
							t.Errorf("variables: %s", r.Body)
						}
						if v := get(got, "credentials", "action", 0, "authSchemeConfig", "description"); v != "API key in header (updated)" {
							t.Errorf("authSchemeConfig: %s", r.Body)
						}
						if v := get(got, "credentials", "action", 0, "credential", "data", "value"); v != "****Q3P0" {
							t.Errorf("credential data: %s", r.Body)
						}
					},
				},
				{
					name: "delete", method: "DELETE", path: func() string { return base + "/" + id() },
					status: http.StatusNoContent,
					check: func(t *testing.T, r *testenv.Response) {
						if len(r.Body) != 0 {
							t.Errorf("204 with a body: %q", r.Body)
						}
					},
				},
				{
					name: "get deleted", method: "GET", path: func() string { return base + "/" + id() },
					status: http.StatusNotFound, schema: "Error",
					check: func(t *testing.T, r *testenv.Response) {
						if d := cmp.Diff(map[string]any{"code": "not_found", "message": "connection not found"}, r.Map(t)); d != "" {
							t.Errorf("error (-want +got):\n%s", d)
						}
					},
				},
			}
			for _, s := range steps {
				var body any
				if s.body != nil {
					body = s.body()
				}
				r := e.Do(t, s.method, s.path(), e.OwnerKey, body, "Accept", "application/json", "Accept-Encoding", "gzip")
				if r.Status != s.status {
					t.Fatalf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
				}
				if s.schema != "" {
					validate(t, s.schema, r.Body)
				}
				t.Run(s.name, func(t *testing.T) { s.check(t, r) })
			}
		})
	}
}
