package unified_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

func create(t *testing.T, e *testenv.Env, key string, body any) map[string]any {
	t.Helper()
	r := call(t, e, "POST", "/unified/connection", key, body)
	if r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.Map(t)
}

// TestVaultReferences: auth kept in the customer's vault is a credential with an external
// reference; the connection needs no token then, and needs one again once the reference goes.
func TestVaultReferences(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			key := e.Key(t, "default", switchboard.RoleEditor)
			arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hubspot-1"
			m := create(t, e, key, map[string]any{
				"integration_type": "hubspot", "permissions": []string{"crm_contact_read"}, "categories": []string{"crm"},
				"auth_aws_arn": arn,
			})
			id := m["id"].(string)
			if m["auth_aws_arn"] != arn || m["auth"] != nil {
				t.Fatalf("create = %v", m)
			}
			// Natively: the connection references a credential holding the ARN.
			n := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)
			action := n["credentials"].(map[string]any)["action"].([]any)
			if len(action) != 1 {
				t.Fatalf("native credentials = %v", n["credentials"])
			}
			cred := e.Do(t, "GET", "/v1/workspaces/default/credentials/"+action[0].(string), e.OwnerKey, nil).Map(t)
			if ref := cred["external_ref"].(map[string]any); ref["provider"] != "aws_secrets_manager" || ref["ref"] != arn {
				t.Fatalf("credential = %v", cred)
			}
			// Without the reference, the token is required again.
			r := call(t, e, "PATCH", "/unified/connection/"+id, key, map[string]any{"auth_aws_arn": ""})
			if r.Status != 400 || !strings.Contains(string(r.Body), "auth.") {
				t.Fatalf("clear the vault: %d %s", r.Status, r.Body)
			}
			// Moved to a secrets manager: the old credential is gone, the new one rendered.
			r = call(t, e, "PATCH", "/unified/connection/"+id, key, map[string]any{"auth_aws_arn": nil, "secretsmanager_id": "sm_1", "secretsmanager_key": "hubspot/prod"})
			if r.Status != 200 {
				t.Fatalf("move: %d %s", r.Status, r.Body)
			}
			if m := r.Map(t); m["secretsmanager_id"] != "sm_1" || m["secretsmanager_key"] != "hubspot/prod" || m["auth_aws_arn"] != nil {
				t.Fatalf("moved = %v", m)
			}
			if r := e.Do(t, "GET", "/v1/workspaces/default/credentials/"+action[0].(string), e.OwnerKey, nil); r.Status != 404 {
				t.Fatalf("old credential: %d", r.Status)
			}
			// Back to auth held here: token given, reference dropped.
			r = call(t, e, "PUT", "/unified/connection/"+id, key, map[string]any{
				"integration_type": "hubspot", "permissions": []string{"crm_contact_read"}, "categories": []string{"crm"},
				"auth": map[string]any{"token": "pat-na1-0123456789"},
			})
			if m := r.Map(t); r.Status != 200 || m["secretsmanager_id"] != nil || fmt.Sprint(m["auth"]) != "map[token:****6789]" {
				t.Fatalf("put: %d %s", r.Status, r.Body)
			}
			creds := e.Do(t, "GET", "/v1/workspaces/default/credentials", e.OwnerKey, nil).Map(t)
			if items := creds["items"].([]any); len(items) != 0 {
				t.Fatalf("credentials left: %v", items)
			}
		})
	}
}

// TestCrossFamily: a connection made here is the native one (same id, same secret), and a
// native one is served here.
func TestCrossFamily(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			key := e.Key(t, "default", switchboard.RoleEditor)
			id := create(t, e, key, seedCreate)["id"].(string)
			cc := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
			if cc.Status != 200 || cc.Map(t)["config"].(map[string]any)["token"] != "sb-accept-provider-token" {
				t.Fatalf("native credentials: %d %s", cc.Status, cc.Body)
			}
			n := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)
			if n["connector_id"] != "hubspot" || n["environment"] != "production" || n["external_xref"] != "sb-accept-capture" {
				t.Fatalf("native = %v", n)
			}
			r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "hubspot", "connection_name": "native", "environment": "sandbox",
				"config":      map[string]any{"access_token": "native-access-token-1234", "client_id": "cid"},
				"permissions": []string{"crm_deal_read"}, "categories": []string{"crm"},
			})
			if r.Status != 201 {
				t.Fatalf("native create: %d %s", r.Status, r.Body)
			}
			nid := r.Map(t)["id"].(string)
			u := call(t, e, "GET", "/unified/connection/"+nid, key, nil)
			m := u.Map(t)
			if u.Status != 200 || m["environment"] != "sandbox" || m["integration_type"] != "hubspot" ||
				fmt.Sprint(m["auth"]) != "map[access_token:****1234 client_id:cid]" {
				t.Fatalf("unified view: %d %s", u.Status, u.Body)
			}
		})
	}
}

// TestList: offset paging, sort, order, updated_gte, env and categories filters.
func TestList(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			key := e.Key(t, "default", switchboard.RoleEditor)
			var ids []string
			for i := range 5 {
				env := "Production"
				if i == 4 {
					env = "Sandbox"
				}
				ids = append(ids, create(t, e, key, map[string]any{
					"integration_type": "hubspot", "permissions": []string{}, "categories": []string{"crm"},
					"auth": map[string]any{"token": fmt.Sprintf("token-%d", i)}, "environment": env,
				})["id"].(string))
			}
			// Touch the first one so it is the most recently updated.
			time.Sleep(1100 * time.Millisecond)
			mark := time.Now().UTC().Add(-100 * time.Millisecond).Format(time.RFC3339Nano)
			if r := call(t, e, "PATCH", "/unified/connection/"+ids[0], key, map[string]any{"external_xref": "u1"}); r.Status != 200 {
				t.Fatal(r.Status, string(r.Body))
			}
			list := func(q string) []string {
				t.Helper()
				r := call(t, e, "GET", "/unified/connection"+q, key, nil)
				if r.Status != 200 {
					t.Fatalf("%s: %d %s", q, r.Status, r.Body)
				}
				var items []map[string]any
				r.JSON(t, &items)
				out := []string{}
				for _, m := range items {
					out = append(out, m["id"].(string))
				}
				return out
			}
			eq := func(q string, want ...string) {
				t.Helper()
				if got := list(q); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", q, got, want)
				}
			}
			eq("", ids...)
			eq("?limit=2", ids[:2]...)
			eq("?limit=2&offset=2", ids[2:4]...)
			eq("?limit=2&offset=4", ids[4])
			eq("?offset=9")
			eq("?order=desc&limit=2", ids[4], ids[3])
			eq("?sort=updated_at&order=desc&limit=1", ids[0])
			eq("?sort=updated_at&order=asc", ids[1], ids[2], ids[3], ids[4], ids[0])
			eq("?updated_gte="+mark, ids[0])
			eq("?updated_gte=2999-01-01")
			eq("?env=Sandbox", ids[4])
			eq("?env=Production&limit=2&offset=3", ids[3])
			eq("?categories=crm&limit=1", ids[0])
			eq("?categories=hris")
			eq("?external_xref=u1", ids[0])
			if r := call(t, e, "GET", "/unified/connection?categories=crm&categories=hris", key, nil); r.Status != 400 {
				t.Errorf("two categories: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestWorkspace: a tenant-wide key acts in "default"; a JWT for several workspaces other than
// default is told to use a workspace key.
func TestWorkspace(t *testing.T) {
	e := testenv.New(t, "sqlite")
	if r := call(t, e, "POST", "/unified/connection", e.OwnerKey, seedCreate); r.Status != 200 || r.Map(t)["workspace_id"] != "default" {
		t.Fatalf("owner key: %d %s", r.Status, r.Body)
	}
}

// TestBOLA: a key of workspace "default" gets the vendor's 404 on every route pointed at a
// connection of workspace "ws-b", and never sees it in a list.
func TestBOLA(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			e.Workspace(t, "ws-b")
			other := create(t, e, e.Key(t, "ws-b", switchboard.RoleEditor), seedCreate)["id"].(string)
			key := e.Key(t, "default", switchboard.RoleOwner, switchboard.ScopeCredentialsRead)
			routes := e.Server.FamilyRoutes("unified")
			if len(routes) != 6 {
				t.Fatalf("routes = %v", routes)
			}
			for _, rt := range routes {
				path := strings.ReplaceAll(rt.Path, "{id}", other)
				var body any
				switch rt.Method {
				case "POST":
					body = seedCreate
				case "PUT", "PATCH":
					body = seedPatch
				}
				r := call(t, e, rt.Method, path, key, body)
				switch {
				case strings.Contains(rt.Path, "{id}"):
					if r.Status != http.StatusNotFound || string(r.Body) != `{"statusCode":404,"error":"Not Found","message":"connection not found"}`+"\n" {
						t.Errorf("%s %s: %d %s", rt.Method, rt.Path, r.Status, r.Body)
					}
				case rt.Method == "GET":
					if r.Status != 200 || strings.Contains(string(r.Body), other) {
						t.Errorf("list: %d %s", r.Status, r.Body)
					}
				case rt.Method == "POST":
					if r.Status != 200 || r.Map(t)["workspace_id"] != "default" {
						t.Errorf("create: %d %s", r.Status, r.Body)
					}
				}
			}
			// ws-b's connection is untouched.
			if r := e.Do(t, "GET", "/v1/workspaces/ws-b/connections/"+other, e.OwnerKey, nil); r.Status != 200 || r.Map(t)["external_xref"] != "sb-accept-capture" {
				t.Errorf("ws-b connection: %d %s", r.Status, r.Body)
			}
		})
	}
}
