package secmaster_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

func TestErrors(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			base := soc("default")
			viewer := e.Key(t, "default", switchboard.RoleViewer)
			a := createKafka(t, e, "default", e.OwnerKey, "errs", map[string]any{"kafkaAddr": "k:9092"})
			id := a["id"].(string)
			body := func(kv ...string) map[string]any {
				m := map[string]any{"name": "n", "component_id": seedComponent, "component_version_id": seedVersion, "config": `{"kafkaAddr":"x:1"}`}
				for i := 0; i+1 < len(kv); i += 2 {
					if kv[i+1] == "<absent>" {
						delete(m, kv[i])
					} else {
						m[kv[i]] = kv[i+1]
					}
				}
				return m
			}
			for _, tc := range []struct {
				name, method, path, token string
				body                      any
				headers                   []string
				status                    int
				code, msg                 string
			}{
				{"name blank", "POST", base + "/assetcredentials", e.OwnerKey, body("name", ""), nil, 400, "SecMaster.20040001", "name must not be blank"},
				{"name blank in zh", "POST", base + "/assetcredentials", e.OwnerKey, body("name", ""), []string{"Accept-Language", "zh-CN"}, 400, "SecMaster.20040001", "name 不能为空"},
				{"component_id missing", "POST", base + "/assetcredentials", e.OwnerKey, body("component_id", "<absent>"), nil, 400, "SecMaster.20040001", "component_id must not be blank"},
				{"component_version_id missing", "POST", base + "/assetcredentials", e.OwnerKey, body("component_version_id", "<absent>"), nil, 400, "SecMaster.20040001", "component_version_id must not be blank"},
				{"config missing", "POST", base + "/assetcredentials", e.OwnerKey, body("config", "<absent>"), nil, 400, "SecMaster.20040001", "config must not be blank"},
				{"config not a JSON object", "POST", base + "/assetcredentials", e.OwnerKey, body("config", "[1,2]"), nil, 400, "SecMaster.20040001", "config has the wrong type"},
				{"config against the schema", "POST", base + "/assetcredentials", e.OwnerKey, body("config", `{"userName":"u","password":"p"}`), nil, 400, "SecMaster.20040001", "kafkaAddr"},
				{"config unknown field", "POST", base + "/assetcredentials", e.OwnerKey, body("config", `{"kafkaAddr":"a","bogus":1}`), nil, 400, "SecMaster.20040001", "bogus"},
				{"unknown component", "POST", base + "/assetcredentials", e.OwnerKey, body("component_id", "00000000-0000-4000-8000-000000000000"), nil, 400, "SecMaster.20040001", "component_id must be one of"},
				{"unknown version", "POST", base + "/assetcredentials", e.OwnerKey, body("component_version_id", "9.9.9"), nil, 400, "SecMaster.20040001", "component_version_id must be one of"},
				{"unknown body field", "POST", base + "/assetcredentials", e.OwnerKey, body("colour", "red"), nil, 400, "SecMaster.20040001", "colour"},
				{"name taken", "POST", base + "/assetcredentials", e.OwnerKey, body("name", "errs"), nil, 400, "SecMaster.20040901", "errs"},
				{"component changed on PUT", "PUT", base + "/assetcredentials/" + id, e.OwnerKey, body("component_id", "http-basic", "component_version_id", "1.0.0"), nil, 400, "SecMaster.20040001", "component_id cannot be changed"},
				{"bad offset", "GET", base + "/assetcredentials?offset=-1", e.OwnerKey, nil, nil, 400, "SecMaster.20040001", "offset"},
				{"bad limit", "GET", base + "/assetcredentials?limit=x", e.OwnerKey, nil, nil, 400, "SecMaster.20040001", "limit"},
				{"bad time", "GET", base + "/assetcredentials?create_start_time=yesterday", e.OwnerKey, nil, nil, 400, "SecMaster.20040001", "create_start_time"},
				{"unsupported filter", "GET", base + "/assetcredentials?modifier_name=x", e.OwnerKey, nil, nil, 400, "SecMaster.20040001", "modifier_name"},
				{"missing asset", "GET", base + "/assetcredentials/conn_nope", e.OwnerKey, nil, nil, 400, "SecMaster.20041002", "not found"},
				{"missing asset PUT", "PUT", base + "/assetcredentials/conn_nope", e.OwnerKey, body(), nil, 400, "SecMaster.20041002", "not found"},
				{"missing asset DELETE", "DELETE", base + "/assetcredentials/conn_nope", e.OwnerKey, nil, nil, 400, "SecMaster.20041002", "not found"},
				{"missing component", "GET", base + "/components/00000000-0000-4000-8000-000000000000", e.OwnerKey, nil, nil, 400, "SecMaster.20041003", "not found"},
				{"missing workspace", "GET", soc("nope") + "/assetcredentials", e.OwnerKey, nil, nil, 400, "SecMaster.20041001", "not found"},
				{"project of another tenant", "GET", "/v1/0123456789abcdef0123456789abcdef/workspaces/default/soc/assetcredentials", e.OwnerKey, nil, nil, 400, "SecMaster.20041001", "not found"},
				{"asset under another project", "GET", "/v1/other/workspaces/default/soc/assetcredentials/" + id, e.OwnerKey, nil, nil, 400, "SecMaster.20041002", "not found"},
				{"no token", "GET", base + "/assetcredentials", "", nil, nil, 401, "SecMaster.20040101", "credentials"},
				{"bad token", "GET", base + "/assetcredentials", "sbk_not-a-key", nil, nil, 401, "SecMaster.20040101", "credentials"},
				{"viewer cannot create", "POST", base + "/assetcredentials", viewer, body(), nil, 403, "SecMaster.20040301", "editor"},
				{"viewer cannot delete", "DELETE", base + "/assetcredentials/" + id, viewer, nil, nil, 403, "SecMaster.20040301", "editor"},
				{"not JSON", "POST", base + "/assetcredentials", e.OwnerKey, "{", nil, 400, "SecMaster.20040001", "JSON"},
				{"wrong media type", "POST", base + "/assetcredentials", e.OwnerKey, "name=x", []string{"Content-Type", "text/plain"}, 415, "SecMaster.20041501", "text/plain"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := call(t, e, tc.method, tc.path, tc.token, tc.body, tc.headers...)
					wantError(t, r, tc.status, tc.code, tc.msg)
				})
			}
			t.Run("bearer accepted too", func(t *testing.T) {
				if r := e.Do(t, "GET", base+"/assetcredentials/"+id, e.OwnerKey, nil); r.Status != http.StatusOK {
					t.Fatalf("bearer: %d %s", r.Status, r.Body)
				}
			})
			t.Run("viewer can read", func(t *testing.T) {
				if r := call(t, e, "GET", base+"/assetcredentials/"+id, viewer, nil); r.Status != http.StatusOK {
					t.Fatalf("viewer: %d %s", r.Status, r.Body)
				}
			})
		})
	}
}

// TestSecretMaskKeepsSecret: a PUT that sends "******" back keeps the stored secret; a secret
// left out of the (full-replacement) config is removed; a new clear value replaces it.
func TestSecretMaskKeepsSecret(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			a := createKafka(t, e, "default", e.OwnerKey, "masked", map[string]any{
				"kafkaAddr": "k:9092", "userName": "u", "password": "first-password", "keyStorePassword": "ks-secret",
			})
			id := a["id"].(string)
			put := func(cfg string) map[string]any {
				r := call(t, e, "PUT", soc("default")+"/assetcredentials/"+id, e.OwnerKey, map[string]any{
					"name": "masked", "component_id": seedComponent, "component_version_id": seedVersion, "config": cfg,
				})
				if r.Status != http.StatusOK {
					t.Fatalf("put: %d %s", r.Status, r.Body)
				}
				return r.Map(t)["asset"].(map[string]any)
			}
			got := configOf(t, put(`{"kafkaAddr":"k2:9092","userName":"u2","password":"******"}`))
			if got["password"] != "******" || got["keyStorePassword"] != nil || got["userName"] != "u2" {
				t.Errorf("config after masked put = %v", got)
			}
			clear := nativeSecrets(t, e, "default", id)
			if clear["password"] != "first-password" || clear["keyStorePassword"] != nil || clear["kafkaAddr"] != "k2:9092" {
				t.Errorf("stored after masked put = %v", clear)
			}
			put(`{"kafkaAddr":"k2:9092","userName":"u2","password":"second-password"}`)
			if clear := nativeSecrets(t, e, "default", id); clear["password"] != "second-password" {
				t.Errorf("stored after new password = %v", clear)
			}
		})
	}
}

// TestInUse: a connection with usages shows can_be_deleted=false and refuses DELETE.
func TestInUse(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			id := createKafka(t, e, "default", e.OwnerKey, "used", map[string]any{"kafkaAddr": "k:9092"})["id"].(string)
			u := e.Do(t, "POST", "/v1/workspaces/default/connections/"+id+"/usages", e.OwnerKey, map[string]any{"consumer": "workflow:wf_1"})
			if u.Status != http.StatusCreated {
				t.Fatalf("usage: %d %s", u.Status, u.Body)
			}
			path := soc("default") + "/assetcredentials/" + id
			if a := call(t, e, "GET", path, e.OwnerKey, nil).Map(t)["asset"].(map[string]any); a["can_be_deleted"] != false {
				t.Errorf("can_be_deleted = %v, want false", a["can_be_deleted"])
			}
			wantError(t, call(t, e, "DELETE", path, e.OwnerKey, nil), 400, "SecMaster.20040902", "in use")
			if r := call(t, e, "GET", path, e.OwnerKey, nil); r.Status != http.StatusOK {
				t.Fatalf("gone after refused delete: %d", r.Status)
			}
			usageID := u.Map(t)["id"].(string)
			if r := e.Do(t, "DELETE", "/v1/workspaces/default/connections/"+id+"/usages/"+usageID, e.OwnerKey, nil); r.Status != http.StatusNoContent {
				t.Fatalf("delete usage: %d %s", r.Status, r.Body)
			}
			if a := call(t, e, "GET", path, e.OwnerKey, nil).Map(t)["asset"].(map[string]any); a["can_be_deleted"] != true {
				t.Errorf("can_be_deleted = %v, want true", a["can_be_deleted"])
			}
			if r := call(t, e, "DELETE", path, e.OwnerKey, nil); r.Status != http.StatusOK {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestListFilters: offset/limit with total, and the name, description, creator, component
// and time filters.
func TestListFilters(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			editor := e.Key(t, "default", switchboard.RoleEditor)
			before := time.Now().Add(-time.Minute).UTC()
			first := createKafka(t, e, "default", e.OwnerKey, "alpha-one", map[string]any{"kafkaAddr": "k:1"})
			createKafka(t, e, "default", e.OwnerKey, "beta-two", map[string]any{"kafkaAddr": "k:2"})
			byEditor := createKafka(t, e, "default", editor, "alpha-three", map[string]any{"kafkaAddr": "k:3"})
			future := time.Now().Add(time.Hour).UTC()
			list := func(q url.Values) (int, []string) {
				t.Helper()
				r := call(t, e, "GET", soc("default")+"/assetcredentials?"+q.Encode(), e.OwnerKey, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("list %v: %d %s", q, r.Status, r.Body)
				}
				var out struct {
					Total int `json:"total"`
					Asset []struct {
						Name string `json:"name"`
					} `json:"asset"`
				}
				r.JSON(t, &out)
				var names []string
				for _, a := range out.Asset {
					names = append(names, a.Name)
				}
				return out.Total, names
			}
			for _, tc := range []struct {
				name  string
				q     url.Values
				total int
				names string
			}{
				{"all", url.Values{}, 3, "alpha-one,beta-two,alpha-three"},
				{"page", url.Values{"offset": {"1"}, "limit": {"1"}}, 3, "beta-two"},
				{"past the end", url.Values{"offset": {"5"}, "limit": {"2"}}, 3, ""},
				{"name contains", url.Values{"name": {"ALPHA"}}, 2, "alpha-one,alpha-three"},
				{"description contains", url.Values{"description": {"two"}}, 1, "beta-two"},
				{"creator", url.Values{"creator_name": {byEditor["creator_name"].(string)}}, 1, "alpha-three"},
				{"owner creator", url.Values{"creator_name": {first["creator_name"].(string)}, "limit": {"1"}}, 2, "alpha-one"},
				{"created since", url.Values{"create_start_time": {before.Format(time.RFC3339)}}, 3, "alpha-one,beta-two,alpha-three"},
				{"created in the future", url.Values{"create_start_time": {future.Format(time.RFC3339)}}, 0, ""},
				{"created before (Huawei format)", url.Values{"create_end_time": {before.Format("2006-01-02T15:04:05Z-0700")}}, 0, ""},
				{"updated since", url.Values{"update_start_time": {before.Format(time.RFC3339)}}, 3, "alpha-one,beta-two,alpha-three"},
				{"component name", url.Values{"component_name": {"Apache Kafka"}}, 3, "alpha-one,beta-two,alpha-three"},
				{"other component", url.Values{"component_name": {"Stripe"}}, 0, ""},
				{"unknown component", url.Values{"component_name": {"nope"}}, 0, ""},
				{"defense connections", url.Values{"is_defense_type": {"true"}}, 0, ""},
				{"not defense", url.Values{"is_defense_type": {"false"}, "name": {"beta"}}, 1, "beta-two"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					total, names := list(tc.q)
					if total != tc.total || strings.Join(names, ",") != tc.names {
						t.Errorf("total %d names %v, want %d %s", total, names, tc.total, tc.names)
					}
				})
			}
		})
	}
}

// TestCrossFamily: a connection made through SecMaster is the native one (same id, same
// secrets), and one made natively is served through SecMaster.
func TestCrossFamily(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			a := createKafka(t, e, "default", e.OwnerKey, "via-secmaster", map[string]any{"kafkaAddr": "k:9092", "userName": "u", "password": "pw-from-secmaster"})
			id := a["id"].(string)
			r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("native get: %d %s", r.Status, r.Body)
			}
			n := r.Map(t)
			if n["connection_name"] != "via-secmaster" || n["connector_id"] != "kafka" || n["connector_version"] != "1.0.0" ||
				strings.Contains(string(r.Body), "pw-from-secmaster") {
				t.Errorf("native view = %s", r.Body)
			}
			if got := nativeSecrets(t, e, "default", id)["password"]; got != "pw-from-secmaster" {
				t.Errorf("native secret = %v", got)
			}

			r = e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "kafka", "connection_name": "via-native",
				"config": map[string]any{"kafkaAddr": "n:9092", "userName": "nu", "password": "pw-from-native"},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("native create: %d %s", r.Status, r.Body)
			}
			nid := r.Map(t)["id"].(string)
			s := call(t, e, "GET", soc("default")+"/assetcredentials/"+nid, e.OwnerKey, nil)
			if s.Status != http.StatusOK || strings.Contains(string(s.Body), "pw-from-native") {
				t.Fatalf("secmaster get: %d %s", s.Status, s.Body)
			}
			sa := s.Map(t)["asset"].(map[string]any)
			checkAsset(t, sa)
			if sa["id"] != nid || sa["name"] != "via-native" || sa["component_id"] != seedComponent || sa["component_version_id"] != seedVersion {
				t.Errorf("secmaster view = %v", sa)
			}
			if cfg := configOf(t, sa); cfg["password"] != "******" || cfg["kafkaAddr"] != "n:9092" {
				t.Errorf("config = %v", cfg)
			}
		})
	}
}

// TestBOLA walks every SecMaster route with a key of workspace "default" pointed at workspace
// "ws-b" and its objects: each answers SecMaster's not-found, and nothing changes.
func TestBOLA(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			e.Workspace(t, "ws-b")
			victim := createKafka(t, e, "ws-b", e.OwnerKey, "victim", map[string]any{"kafkaAddr": "k:9092", "userName": "u", "password": "victim-secret"})
			id := victim["id"].(string)
			attacker := e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)
			routes := e.Server.FamilyRoutes("secmaster")
			if len(routes) != 7 {
				t.Fatalf("%d secmaster routes, want 7", len(routes))
			}
			body := map[string]any{"name": "x", "component_id": seedComponent, "component_version_id": seedVersion, "config": `{"kafkaAddr":"evil:1"}`}
			for _, rt := range routes {
				path := strings.NewReplacer("{project_id}", project, "{workspace_id}", "ws-b", "{asset_id}", id, "{component_id}", seedComponent).Replace(rt.Path)
				t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
					var b any
					if rt.Method == "POST" || rt.Method == "PUT" {
						b = body
					}
					r := call(t, e, rt.Method, path, attacker, b)
					code := "SecMaster.20041001"
					if strings.Contains(rt.Path, "{asset_id}") {
						code = "SecMaster.20041002"
					}
					wantError(t, r, 400, code, "not found")
					if strings.Contains(string(r.Body), "victim") {
						t.Errorf("body leaks: %s", r.Body)
					}
				})
			}
			r := call(t, e, "GET", soc("ws-b")+"/assetcredentials", e.OwnerKey, nil)
			var out struct {
				Total int `json:"total"`
			}
			r.JSON(t, &out)
			if out.Total != 1 {
				t.Errorf("ws-b holds %d connections after the walk, want 1", out.Total)
			}
			if got := nativeSecrets(t, e, "ws-b", id); got["password"] != "victim-secret" || got["kafkaAddr"] != "k:9092" {
				t.Errorf("victim changed: %v", got)
			}
		})
	}
}
