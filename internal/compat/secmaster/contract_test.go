package secmaster_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// seedRequest is the seed page's example request, verbatim.
const seedRequest = `{
  "name" : "test_create",
  "description" : "description",
  "component_id" : "ad93ecc6-1723-4c2c-9976-9eb0182c2d18",
  "component_version_id" : "33fd1b37-1f39-4230-86c6-2d119e9f4fac",
  "config" : "{\"password\":\"******\",\"kafkaAddr\":\"aaa\",\"keyStorePassword\":\"******\",\"userName\":\"bbb\"}"
}`

// The Huawei Go SDK's acceptance run (sdk-wire.md): the bodies as it sent them, trailing
// newline included.
const (
	sdkName   = "sb-accept-1795603498973349895"
	sdkCreate = "{\n  \"name\": \"sb-accept-1795603498973349895\",\n  \"description\": \"switchboard acceptance\",\n  \"component_id\": \"ad93ecc6-1723-4c2c-9976-9eb0182c2d18\",\n  \"component_version_id\": \"33fd1b37-1f39-4230-86c6-2d119e9f4fac\",\n  \"config\": \"{\\\"kafkaAddr\\\":\\\"127.0.0.1:9092\\\",\\\"userName\\\":\\\"sb-accept\\\",\\\"password\\\":\\\"sb-accept-secret\\\"}\"\n}\n"
	sdkUpdate = "{\n  \"name\": \"sb-accept-1795603498973349895-upd\",\n  \"description\": \"switchboard acceptance (updated)\",\n  \"component_id\": \"ad93ecc6-1723-4c2c-9976-9eb0182c2d18\",\n  \"component_version_id\": \"33fd1b37-1f39-4230-86c6-2d119e9f4fac\",\n  \"config\": \"{\\\"kafkaAddr\\\":\\\"127.0.0.1:9092\\\",\\\"userName\\\":\\\"sb-accept\\\",\\\"password\\\":\\\"sb-accept-secret\\\"}\"\n}\n"
)

// TestContract replays the seed page's example and the Huawei SDK's recorded calls, in order,
// checking every documented field, status and error body.
func TestContract(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			base := soc("default")
			var id string // the SDK's connection, once created
			asset := func(t *testing.T, r *testenv.Response) map[string]any {
				t.Helper()
				m := r.Map(t)
				if m["code"] != "00000000" || m["message"] != "" {
					t.Errorf("code/message = %v/%v, want 00000000 and empty", m["code"], m["message"])
				}
				if got := keys(m); !slices.Equal(got, []string{"asset", "code", "message"}) {
					t.Errorf("body fields = %v", got)
				}
				a := m["asset"].(map[string]any)
				checkAsset(t, a)
				return a
			}
			steps := []struct {
				name, method string
				path         func() string
				body         any
				status       int
				check        func(t *testing.T, r *testenv.Response)
			}{
				{"seed example create", "POST", func() string { return base + "/assetcredentials" }, seedRequest, 200,
					func(t *testing.T, r *testenv.Response) {
						a := asset(t, r)
						for k, want := range map[string]any{
							"name": "test_create", "description": "description", "component_id": seedComponent,
							"component_version_id": seedVersion, "component_name": "Apache Kafka", "project_id": project,
							"workspace_id": "default", "type": "action_target", "status": "SUCCESS", "enabled": true,
							"can_be_deleted": true, "defense_type": "", "target_project_id": "", "target_project_name": "",
							"target_enterprise_id": "", "target_enterprise_name": "", "region_id": "", "region_name": "",
						} {
							if a[k] != want {
								t.Errorf("%s = %#v, want %#v", k, a[k], want)
							}
						}
						if a["id"] == "" || a["creator_id"] == "" || a["creator_id"] != a["creator_name"] ||
							a["modifier_id"] != a["creator_id"] || a["modifier_name"] != a["creator_id"] {
							t.Errorf("id/creator/modifier = %v %v %v %v %v", a["id"], a["creator_id"], a["creator_name"], a["modifier_id"], a["modifier_name"])
						}
						for _, k := range []string{"create_time", "update_time"} {
							if _, err := time.Parse(time.RFC3339, a[k].(string)); err != nil {
								t.Errorf("%s = %v: %v", k, a[k], err)
							}
						}
						want := map[string]any{"password": "******", "kafkaAddr": "aaa", "keyStorePassword": "******", "userName": "bbb"}
						if got := configOf(t, a); !equalJSON(got, want) {
							t.Errorf("config = %v, want %v", got, want)
						}
					}},
				{"sdk list components", "GET", func() string { return base + "/components?limit=10&offset=0" }, nil, 200,
					func(t *testing.T, r *testenv.Response) {
						var out struct {
							Code    string `json:"code"`
							Total   int    `json:"total"`
							Size    int    `json:"size"`
							Page    int    `json:"page"`
							Success bool   `json:"success"`
							Data    []struct {
								ID            string `json:"id"`
								Name          string `json:"name"`
								ComponentType string `json:"component_type"`
								Versions      []struct {
									ID               string `json:"id"`
									VersionNum       string `json:"version_num"`
									ConnectionConfig string `json:"connection_config"`
								} `json:"versions"`
							} `json:"data"`
						}
						r.JSON(t, &out)
						if out.Code != "00000000" || !out.Success || out.Total < 1 || out.Size != 10 || out.Page != 1 {
							t.Errorf("envelope = %+v", out)
						}
						found := false
						for _, c := range out.Data {
							if c.ID != seedComponent {
								continue
							}
							found = true
							if c.Name != "Apache Kafka" || c.ComponentType != "system" || len(c.Versions) != 1 ||
								c.Versions[0].ID != seedVersion || c.Versions[0].VersionNum != "1.0.0" {
								t.Errorf("kafka component = %+v", c)
							}
							var schema struct {
								Properties map[string]any `json:"properties"`
							}
							if err := json.Unmarshal([]byte(c.Versions[0].ConnectionConfig), &schema); err != nil || schema.Properties["kafkaAddr"] == nil {
								t.Errorf("connection_config = %s (%v)", c.Versions[0].ConnectionConfig, err)
							}
						}
						if !found {
							t.Errorf("kafka (%s) not among %d components", seedComponent, len(out.Data))
						}
					}},
				{"sdk show component", "GET", func() string { return base + "/components/" + seedComponent }, nil, 200,
					func(t *testing.T, r *testenv.Response) {
						m := r.Map(t)
						if d, _ := m["data"].(map[string]any); m["code"] != "00000000" || d["id"] != seedComponent {
							t.Errorf("component = %s", r.Body)
						}
					}},
				{"sdk create", "POST", func() string { return base + "/assetcredentials" }, sdkCreate, 200,
					func(t *testing.T, r *testenv.Response) {
						a := asset(t, r)
						id, _ = a["id"].(string)
						want := map[string]any{"kafkaAddr": "127.0.0.1:9092", "userName": "sb-accept", "password": "******"}
						if got := configOf(t, a); !equalJSON(got, want) {
							t.Errorf("config = %v, want %v", got, want)
						}
						if got := nativeSecrets(t, e, "default", id)["password"]; got != "sb-accept-secret" {
							t.Errorf("stored password = %v", got)
						}
					}},
				{"sdk list by name", "GET", func() string { return base + "/assetcredentials?limit=10&name=" + sdkName + "&offset=0" }, nil, 200,
					func(t *testing.T, r *testenv.Response) {
						m := r.Map(t)
						list, _ := m["asset"].([]any)
						if m["code"] != "00000000" || m["message"] != "" || m["total"] != float64(1) || len(list) != 1 {
							t.Fatalf("list = %s", r.Body)
						}
						a := list[0].(map[string]any)
						checkAsset(t, a)
						if a["id"] != id {
							t.Errorf("listed %v, want %s", a["id"], id)
						}
					}},
				{"sdk show", "GET", func() string { return base + "/assetcredentials/" + id }, nil, 200,
					func(t *testing.T, r *testenv.Response) {
						if a := asset(t, r); a["name"] != sdkName || a["description"] != "switchboard acceptance" {
							t.Errorf("asset = %v", a)
						}
					}},
				{"sdk update", "PUT", func() string { return base + "/assetcredentials/" + id }, sdkUpdate, 200,
					func(t *testing.T, r *testenv.Response) {
						a := asset(t, r)
						if a["name"] != sdkName+"-upd" || a["description"] != "switchboard acceptance (updated)" || a["id"] != id {
							t.Errorf("asset = %v", a)
						}
						if a["update_time"].(string) < a["create_time"].(string) {
							t.Errorf("update_time %v before create_time %v", a["update_time"], a["create_time"])
						}
					}},
				{"sdk show after update", "GET", func() string { return base + "/assetcredentials/" + id }, nil, 200,
					func(t *testing.T, r *testenv.Response) {
						if a := asset(t, r); a["name"] != sdkName+"-upd" {
							t.Errorf("name = %v", a["name"])
						}
						if got := nativeSecrets(t, e, "default", id)["password"]; got != "sb-accept-secret" {
							t.Errorf("stored password = %v", got)
						}
					}},
				{"sdk delete", "DELETE", func() string { return base + "/assetcredentials/" + id }, nil, 200,
					func(t *testing.T, r *testenv.Response) {
						if m := r.Map(t); len(m) != 2 || m["code"] != "00000000" || m["message"] != "" {
							t.Errorf("delete = %s", r.Body)
						}
					}},
				{"sdk show after delete", "GET", func() string { return base + "/assetcredentials/" + id }, nil, 400,
					func(t *testing.T, r *testenv.Response) {
						wantError(t, r, 400, "SecMaster.20041002", "not found")
					}},
			}
			for _, s := range steps {
				r := call(t, e, s.method, s.path(), e.OwnerKey, s.body)
				if r.Status != s.status {
					t.Fatalf("%s: status %d, want %d; body %s", s.name, r.Status, s.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("%s: Content-Type %q", s.name, ct)
				}
				t.Run(s.name, func(t *testing.T) { s.check(t, r) })
			}
		})
	}
}

// equalJSON compares two decoded JSON values.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
