package versori_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestRedaction creates one credential of each Versori type and checks what a read shows:
// the type's secret properties redacted (masked), the rest as given, the Versori type kept.
func TestRedaction(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			oauthScheme := map[string]any{"id": "01O", "description": "oauth", "schemeType": "oauth2",
				"authorizeUrl": "https://idp.example/authorize", "tokenUrl": "https://idp.example/token",
				"scopes": []any{map[string]any{"name": "read"}}, "defaultScopes": []any{"read"},
				"grant": map[string]any{"grantType": "authorization_code", "clientId": "cid", "clientSecret": "grant-secret-000000001"}}
			basicScheme := map[string]any{"id": "01B", "description": "basic", "schemeType": "basic-auth"}
			for _, tc := range []struct {
				typ     string
				scheme  map[string]any
				data    map[string]any
				want    map[string]any
				secrets []string
			}{
				{"string", nil, map[string]any{"value": "string-secret-00000001"}, map[string]any{"value": "****0001"}, []string{"string-secret-00000001"}},
				{"basic-auth", basicScheme, map[string]any{"username": "alice", "password": "basic-secret-00000002"},
					map[string]any{"username": "alice", "password": "****0002"}, []string{"basic-secret-00000002"}},
				{"oauth2-client", oauthScheme, map[string]any{"clientId": "client-1", "clientSecret": "client-secret-0000003",
					"authorizeUrl": "https://idp.example/authorize", "tokenUrl": "https://idp.example/token", "scopes": []any{"read"}, "mTLSEnabled": true},
					map[string]any{"clientId": "client-1", "clientSecret": "****0003", "authorizeUrl": "https://idp.example/authorize",
						"tokenUrl": "https://idp.example/token", "scopes": []any{"read"}, "mTLSEnabled": true}, []string{"client-secret-0000003", "grant-secret-000000001"}},
				{"oauth2-token", oauthScheme, map[string]any{"scopes": []any{"read", "write"}, "accessToken": "access-token-00000004", "refreshToken": "refresh-token-0000005"},
					map[string]any{"scopes": []any{"read", "write"}, "accessToken": "****0004", "refreshToken": "****0005"}, []string{"access-token-00000004", "refresh-token-0000005"}},
				{"oauth2-password", basicScheme, map[string]any{"username": "bob", "password": "short"}, map[string]any{"username": "bob", "password": "****"}, nil},
				{"binary", nil, map[string]any{"valueBase64": "YmluYXJ5LXNlY3JldC0wMDAwMDA2"}, map[string]any{"valueBase64": "****MDA2"}, []string{"YmluYXJ5LXNlY3JldC0wMDAwMDA2"}},
				{"none", map[string]any{"id": "01N", "description": "none", "schemeType": "none"}, map[string]any{}, map[string]any{}, nil},
				{"custom-function", nil, map[string]any{"fn": "custom-secret-0000007"}, map[string]any{}, []string{"custom-secret-0000007"}},
			} {
				t.Run(tc.typ, func(t *testing.T) {
					scheme := tc.scheme
					if scheme == nil {
						scheme = map[string]any{"id": "01K", "description": "key", "schemeType": "api-key", "name": "X-Key", "in": "header"}
					}
					r := e.Do(t, "POST", base, e.OwnerKey, map[string]any{
						"name": "redact-" + tc.typ, "variables": []any{},
						"credentials": map[string]any{"trigger": []any{map[string]any{
							"authSchemeConfig": scheme,
							"credential":       map[string]any{"name": "redact-" + tc.typ, "type": tc.typ, "data": tc.data},
						}}},
					})
					if r.Status != http.StatusOK {
						t.Fatalf("create: %d %s", r.Status, r.Body)
					}
					validate(t, "Connection", r.Body)
					c := r.Map(t)
					g := e.Do(t, "GET", base+"/"+c["id"].(string), e.OwnerKey, nil)
					validate(t, "Connection", g.Body)
					for _, body := range [][]byte{r.Body, g.Body} {
						for _, s := range tc.secrets {
							if strings.Contains(string(body), s) {
								t.Errorf("secret %s in %s", s, body)
							}
						}
					}
					cred := get(g.Map(t), "credentials", "trigger", 0, "credential")
					if get(cred, "type") != tc.typ {
						t.Errorf("type %v, want %s", get(cred, "type"), tc.typ)
					}
					if d := cmp.Diff(tc.want, get(cred, "data")); d != "" {
						t.Errorf("data (-want +got):\n%s", d)
					}
					if len(get(g.Map(t), "credentials", "action").([]any)) != 0 {
						t.Errorf("action not empty: %s", g.Body)
					}
				})
			}
		})
	}
}

// TestUpdateCredential: PUT .../credentials/{id} is the only way to change secret data; a
// redacted value sent back as read keeps the secret; the type cannot change.
func TestUpdateCredential(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			c := create(t, e, seedCreate("cred-update", "first-secret-value-0001"))
			connID := c["id"].(string)
			cred := get(c, "credentials", "action", 0, "credential").(map[string]any)
			id := cred["id"].(string)
			path := "/api/connect/v1/o/default/credentials/" + id
			clear := func() map[string]any {
				r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+connID+"/credentials", e.OwnerKey, nil)
				if r.Status != 200 {
					t.Fatalf("native credentials: %d %s", r.Status, r.Body)
				}
				return get(r.Map(t), "credentials", "action", 0, "data").(map[string]any)
			}

			cred["data"] = map[string]any{"value": "second-secret-value-0002"}
			cred["name"] = "renamed-key"
			r := e.Do(t, "PUT", path, e.OwnerKey, cred)
			if r.Status != 200 {
				t.Fatalf("update: %d %s", r.Status, r.Body)
			}
			validate(t, "Credential", r.Body)
			if d := cmp.Diff(map[string]any{"id": id, "organisationId": "default", "type": "string", "name": "renamed-key",
				"data": map[string]any{"value": "****0002"}}, r.Map(t)); d != "" {
				t.Errorf("response (-want +got):\n%s", d)
			}
			if v := clear()["api_key"]; v != "second-secret-value-0002" {
				t.Errorf("stored secret %v", v)
			}

			// Sending back what was read keeps the secret.
			r = e.Do(t, "PUT", path, e.OwnerKey, r.Map(t))
			if r.Status != 200 {
				t.Fatalf("round trip: %d %s", r.Status, r.Body)
			}
			if v := clear()["api_key"]; v != "second-secret-value-0002" {
				t.Errorf("round trip changed the secret: %v", v)
			}
			// The AuthSchemeConfig recorded with the credential is untouched.
			g := e.Do(t, "GET", base+"/"+connID, e.OwnerKey, nil)
			if v := get(g.Map(t), "credentials", "action", 0, "authSchemeConfig", "name"); v != "X-API-Key" {
				t.Errorf("authSchemeConfig lost: %s", g.Body)
			}

			bad := map[string]any{"id": id, "name": "n", "type": "basic-auth", "data": map[string]any{"username": "u", "password": "p"}}
			wantError(t, e.Do(t, "PUT", path, e.OwnerKey, bad), 400, "bad_request", "type")
			wantError(t, e.Do(t, "PUT", path, e.OwnerKey, map[string]any{"id": "cred_x", "name": "n", "type": "string", "data": map[string]any{"value": "v"}}), 400, "bad_request", "id")
			wantError(t, e.Do(t, "PUT", path, e.OwnerKey, map[string]any{"id": id, "name": "n", "type": "string", "data": map[string]any{}}), 400, "bad_request", "data.value")
			wantError(t, e.Do(t, "PUT", path, e.OwnerKey, map[string]any{"id": id, "name": "n", "type": "string", "data": map[string]any{"value": ""}}), 400, "bad_request", "data.value")
			wantError(t, e.Do(t, "PUT", "/api/connect/v1/o/default/credentials/cred_nope", e.OwnerKey, map[string]any{"id": "cred_nope", "name": "n", "type": "string", "data": map[string]any{"value": "v"}}), 404, "not_found")
		})
	}
}
