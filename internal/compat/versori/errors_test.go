package versori_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

func apiKeyEntry(credential map[string]any) map[string]any {
	return map[string]any{
		"authSchemeConfig": map[string]any{"id": "01A", "description": "key", "schemeType": "api-key", "name": "X-Key", "in": "header"},
		"credential":       credential,
	}
}

func body(name string, action ...any) map[string]any {
	return map[string]any{"name": name, "credentials": map[string]any{"action": action}, "variables": []any{}}
}

// credentialCount is how many credentials workspace default holds, through the native API.
func credentialCount(t *testing.T, e *testenv.Env) int {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/default/credentials?page_size=1000", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list credentials: %d %s", r.Status, r.Body)
	}
	items, _ := r.Map(t)["items"].([]any)
	return len(items)
}

func TestErrors(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			str := func(name, value string) map[string]any {
				return map[string]any{"name": name, "type": "string", "data": map[string]any{"value": value}}
			}
			for _, tc := range []struct {
				name   string
				body   any
				status int
				code   string
				fields []string
			}{
				{"no name", map[string]any{"credentials": map[string]any{}, "variables": []any{}}, 400, "bad_request", []string{"name"}},
				{"blank name", body(" "), 400, "bad_request", []string{"name"}},
				{"no credentials", map[string]any{"name": "n", "variables": []any{}}, 400, "bad_request", []string{"credentials"}},
				{"no variables", map[string]any{"name": "n", "credentials": map[string]any{}}, 400, "bad_request", []string{"variables"}},
				{"variable without value", map[string]any{"name": "n", "credentials": map[string]any{}, "variables": []any{map[string]any{"name": "a"}}}, 400, "bad_request", []string{"variables[0].value"}},
				{"duplicate variable", map[string]any{"name": "n", "credentials": map[string]any{}, "variables": []any{map[string]any{"name": "a", "value": "1"}, map[string]any{"name": "a", "value": "2"}}}, 400, "bad_request", []string{"variables[1].name"}},
				{"unknown field", map[string]any{"name": "n", "credentials": map[string]any{}, "variables": []any{}, "colour": "red"}, 400, "bad_request", []string{"colour"}},
				{"bad type", body("n", apiKeyEntry(map[string]any{"name": "c", "type": "magic", "data": map[string]any{}})), 400, "bad_request", []string{"credentials.action[0].credential.type"}},
				{"missing data value", body("n", apiKeyEntry(map[string]any{"name": "c", "type": "string", "data": map[string]any{}})), 400, "bad_request", []string{"credentials.action[0].credential.data.value"}},
				{"empty data value", body("n", apiKeyEntry(str("c", ""))), 400, "bad_request", []string{"credentials.action[0].credential.data.value"}},
				{"basic-auth without password", body("n", apiKeyEntry(map[string]any{"name": "c", "type": "basic-auth", "data": map[string]any{"username": "u"}})), 400, "bad_request", []string{"credentials.action[0].credential.data.password"}},
				{"no authSchemeConfig", body("n", map[string]any{"credential": str("c", "v")}), 400, "bad_request", []string{"credentials.action[0].authSchemeConfig"}},
				{"bad schemeType", body("n", map[string]any{"authSchemeConfig": map[string]any{"id": "a", "description": "d", "schemeType": "magic"}, "credential": str("c", "v")}), 400, "bad_request", []string{"credentials.action[0].authSchemeConfig.schemeType"}},
				{"api-key without in", body("n", map[string]any{"authSchemeConfig": map[string]any{"id": "a", "description": "d", "schemeType": "api-key", "name": "X"}, "credential": str("c", "v")}), 400, "bad_request", []string{"credentials.action[0].authSchemeConfig.in"}},
				{"unknown reference", body("n", apiKeyEntry(map[string]any{"id": "cred_nope"})), 400, "bad_request", []string{"credentials.action[0].credential.id"}},
				{"reserved data key", body("n", apiKeyEntry(map[string]any{"name": "c", "type": "custom-function", "data": map[string]any{"_versori_type": "string"}})), 400, "bad_request", []string{"credentials.action[0].credential.data._versori_type"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := credentialCount(t, e)
					r := e.Do(t, "POST", base, e.OwnerKey, tc.body)
					wantError(t, r, tc.status, tc.code, tc.fields...)
					if n := credentialCount(t, e); n != before {
						t.Errorf("a failed create left %d credentials behind", n-before)
					}
				})
			}

			t.Run("not JSON", func(t *testing.T) {
				wantError(t, e.Do(t, "POST", base, e.OwnerKey, "{"), 400, "bad_request")
				wantError(t, e.Do(t, "POST", base, e.OwnerKey, "name=x", "Content-Type", "text/plain"), 415, "unsupported_media_type")
			})
			t.Run("unknown connector and organisation", func(t *testing.T) {
				wantError(t, e.Do(t, "GET", "/api/connect/v1/o/default/connectors/nope/connections", e.OwnerKey, nil), 404, "not_found")
				wantError(t, e.Do(t, "GET", "/api/connect/v1/o/nope/connectors/my-api/connections", e.OwnerKey, nil), 404, "not_found")
				wantError(t, e.Do(t, "GET", base+"/conn_nope", e.OwnerKey, nil), 404, "not_found")
			})
			t.Run("bad query", func(t *testing.T) {
				wantError(t, e.Do(t, "GET", base+"?first=0", e.OwnerKey, nil), 400, "bad_request", "first")
				wantError(t, e.Do(t, "GET", base+"?first=x", e.OwnerKey, nil), 400, "bad_request", "first")
				wantError(t, e.Do(t, "GET", base+"?after=a&before=b", e.OwnerKey, nil), 400, "bad_request", "before")
			})
			t.Run("401", func(t *testing.T) {
				r := e.Do(t, "GET", base, "", nil)
				wantError(t, r, 401, "unauthorized")
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				wantError(t, e.Do(t, "GET", base, "sbk_not_a_key", nil), 401, "unauthorized")
			})
			t.Run("403", func(t *testing.T) {
				viewer := e.Key(t, "default", switchboard.RoleViewer)
				wantError(t, e.Do(t, "POST", base, viewer, seedCreate("v", "secret-value-0001")), 403, "forbidden")
				if r := e.Do(t, "GET", base, viewer, nil); r.Status != 200 {
					t.Errorf("viewer list: %d %s", r.Status, r.Body)
				}
			})
			t.Run("409 name taken, new credentials removed", func(t *testing.T) {
				create(t, e, seedCreate("dup", "secret-value-0002"))
				before := credentialCount(t, e)
				b := seedCreate("dup", "secret-value-0003")
				get(b, "credentials", "action", 0, "credential").(map[string]any)["name"] = "dup-key-2"
				wantError(t, e.Do(t, "POST", base, e.OwnerKey, b), 409, "conflict")
				if n := credentialCount(t, e); n != before {
					t.Errorf("credentials %d, want %d: the new one dangles", n, before)
				}
			})
			t.Run("second credential fails, first removed", func(t *testing.T) {
				before := credentialCount(t, e)
				b := body("two", apiKeyEntry(str("two-a", "secret-value-0004")), apiKeyEntry(str("dup-key", "secret-value-0005")))
				wantError(t, e.Do(t, "POST", base, e.OwnerKey, b), 409, "conflict")
				if n := credentialCount(t, e); n != before {
					t.Errorf("credentials %d, want %d", n, before)
				}
			})
			t.Run("412 in use, force deletes", func(t *testing.T) {
				c := create(t, e, seedCreate("used", "secret-value-0006"))
				id := c["id"].(string)
				if r := e.Do(t, "POST", "/v1/workspaces/default/connections/"+id+"/usages", e.OwnerKey, map[string]any{"consumer": "workflow:wf_1"}); r.Status != 201 {
					t.Fatalf("add usage: %d %s", r.Status, r.Body)
				}
				wantError(t, e.Do(t, "DELETE", base+"/"+id, e.OwnerKey, nil), 412, "precondition_failed")
				wantError(t, e.Do(t, "DELETE", base+"/"+id+"?force=maybe", e.OwnerKey, nil), 400, "bad_request", "force")
				if r := e.Do(t, "DELETE", base+"/"+id+"?force=true", e.OwnerKey, nil); r.Status != 204 || len(r.Body) != 0 {
					t.Fatalf("forced delete: %d %q", r.Status, r.Body)
				}
			})
			t.Run("put errors", func(t *testing.T) {
				c := create(t, e, seedCreate("put-errors", "secret-value-0007"))
				id := c["id"].(string)
				cid := get(c, "credentials", "action", 0, "id").(string)
				wantError(t, e.Do(t, "PUT", base+"/"+id, e.OwnerKey, map[string]any{"name": "x"}), 400, "bad_request", "id")
				wantError(t, e.Do(t, "PUT", base+"/"+id, e.OwnerKey, map[string]any{"id": "conn_other", "name": "x"}), 400, "bad_request", "id")
				wantError(t, e.Do(t, "PUT", base+"/"+id, e.OwnerKey, map[string]any{"id": id}), 400, "bad_request", "name")
				wantError(t, e.Do(t, "PUT", base+"/"+id, e.OwnerKey, map[string]any{"id": id, "name": "dup"}), 409, "conflict")
				other := map[string]any{"id": id, "name": "x", "credentials": map[string]any{"action": []any{map[string]any{"id": "cred_other", "authSchemeConfig": map[string]any{"id": "a", "description": "d", "schemeType": "none"}}}}}
				wantError(t, e.Do(t, "PUT", base+"/"+id, e.OwnerKey, other), 400, "bad_request", "credentials.action[0].id")
				scheme := map[string]any{"id": id, "name": "x", "credentials": map[string]any{"action": []any{map[string]any{"id": cid, "authSchemeConfig": map[string]any{"id": "a", "description": "d", "schemeType": "basic-auth"}}}}}
				wantError(t, e.Do(t, "PUT", base+"/"+id, e.OwnerKey, scheme), 400, "bad_request", "credentials.action[0].authSchemeConfig.schemeType")
				wantError(t, e.Do(t, "PUT", "/api/connect/v1/o/default/connectors/nope/connections/"+id, e.OwnerKey, map[string]any{"id": id, "name": "x"}), 404, "not_found")
			})
			t.Run("localized", func(t *testing.T) {
				en := wantError(t, e.Do(t, "POST", base, e.OwnerKey, body(" ")), 400, "bad_request", "name")
				for _, lang := range []string{"zh", "zh-TW", "ja", "vi"} {
					r := e.Do(t, "POST", base, e.OwnerKey, body(" "), "Accept-Language", lang)
					got := wantError(t, r, 400, "bad_request", "name")
					if got["message"] == en["message"] || !strings.Contains(got["message"].(string), "name") {
						t.Errorf("%s: message %q (en %q)", lang, got["message"], en["message"])
					}
					if get(got, "fields", 0, "message") == get(en, "fields", 0, "message") {
						t.Errorf("%s: field message not localized: %s", lang, r.Body)
					}
				}
			})
		})
	}
}
