package versori_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestCrossFamily: a connection made here is the native one (same id, same secret, same
// audit trail), and one made natively reads here in Versori's shape.
func TestCrossFamily(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			const secret = "cross-family-secret-0001"
			c := create(t, e, seedCreate("cross", secret))
			id := c["id"].(string)
			credID := get(c, "credentials", "action", 0, "id").(string)

			r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
			if r.Status != 200 {
				t.Fatalf("native credentials: %d %s", r.Status, r.Body)
			}
			cred := get(r.Map(t), "credentials", "action", 0)
			if get(cred, "id") != credID || get(cred, "data", "api_key") != secret || get(cred, "type") != "api_key" {
				t.Errorf("native credential: %s", r.Body)
			}
			n := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)
			if n["connection_name"] != "cross" || get(n, "variables", 0, "value") != "eu" || get(n, "credentials", "action", 0) != credID {
				t.Errorf("native connection: %v", n)
			}
			a := e.Do(t, "GET", "/v1/workspaces/default/audit?page_size=1000", e.OwnerKey, nil)
			if !strings.Contains(string(a.Body), `"connection.create"`) || !strings.Contains(string(a.Body), id) {
				t.Errorf("no connection.create audit event for %s", id)
			}

			// Natively made: a bearer credential and a connection of my-api referencing it.
			nc := e.Do(t, "POST", "/v1/workspaces/default/credentials", e.OwnerKey, map[string]any{
				"name": "native-bearer", "type": "bearer", "data": map[string]any{"token": "native-token-000000009"}})
			if nc.Status != 201 {
				t.Fatalf("native credential: %d %s", nc.Status, nc.Body)
			}
			ncID := nc.Map(t)["id"].(string)
			nconn := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "my-api", "connection_name": "native", "variables": []any{map[string]any{"name": "a", "value": "b"}},
				"credentials": map[string]any{"action": []any{}, "trigger": []any{ncID}}})
			if nconn.Status != 201 {
				t.Fatalf("native connection: %d %s", nconn.Status, nconn.Body)
			}
			nid := nconn.Map(t)["id"].(string)
			g := e.Do(t, "GET", base+"/"+nid, e.OwnerKey, nil)
			if g.Status != 200 {
				t.Fatalf("get native: %d %s", g.Status, g.Body)
			}
			validate(t, "Connection", g.Body)
			m := g.Map(t)
			tr := get(m, "credentials", "trigger", 0)
			if m["id"] != nid || m["name"] != "native" || get(tr, "id") != ncID || get(tr, "credential", "type") != "string" ||
				get(tr, "credential", "data", "value") != "****0009" || get(tr, "authSchemeConfig", "schemeType") != "api-key" {
				t.Errorf("native connection through versori: %s", g.Body)
			}
			if strings.Contains(string(g.Body), "native-token-000000009") {
				t.Errorf("secret in %s", g.Body)
			}
			// A connection of another connector is not found under my-api.
			other := e.Do(t, "POST", "/v1/workspaces/default/connectors", e.OwnerKey, map[string]any{
				"key": "other-api", "version": "1", "schema": map[string]any{"type": "object"}})
			if other.Status != 201 {
				t.Fatalf("connector: %d %s", other.Status, other.Body)
			}
			wantError(t, e.Do(t, "GET", "/api/connect/v1/o/default/connectors/other-api/connections/"+nid, e.OwnerKey, nil), 404, "not_found")
			// An existing credential can be referenced by a new connection, with its config.
			ref := create(t, e, map[string]any{"name": "by-ref", "variables": []any{}, "credentials": map[string]any{"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{"id": "01R", "description": "bearer", "schemeType": "api-key", "name": "Authorization", "in": "header"},
				"credential":       map[string]any{"id": ncID},
			}}}})
			if get(ref, "credentials", "action", 0, "id") != ncID || get(ref, "credentials", "action", 0, "authSchemeConfig", "description") != "bearer" {
				t.Errorf("by reference: %v", ref)
			}
			// connector_id may be the connector's id as well as its key.
			ctrID := e.Do(t, "GET", "/v1/workspaces/default/connectors/my-api", e.OwnerKey, nil).Map(t)["id"].(string)
			if r := e.Do(t, "GET", "/api/connect/v1/o/default/connectors/"+ctrID+"/connections/"+nid, e.OwnerKey, nil); r.Status != 200 {
				t.Errorf("by connector id: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestPagination walks the cursors forward with next and back with prev.
func TestPagination(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			var ids []string
			for i := range 5 {
				ids = append(ids, create(t, e, map[string]any{"name": fmt.Sprintf("p%d", i), "credentials": map[string]any{}, "variables": []any{}})["id"].(string))
			}
			page := func(q string) (items []string, next, prev string) {
				t.Helper()
				r := e.Do(t, "GET", base+"?"+q, e.OwnerKey, nil)
				if r.Status != 200 {
					t.Fatalf("list %s: %d %s", q, r.Status, r.Body)
				}
				validate(t, "ConnectorConnectionPage", r.Body)
				m := r.Map(t)
				if m["totalCount"] != float64(5) {
					t.Errorf("totalCount %v", m["totalCount"])
				}
				for _, it := range m["items"].([]any) {
					items = append(items, get(it, "id").(string))
				}
				next, _ = m["next"].(string)
				prev, _ = m["prev"].(string)
				return
			}
			var walked []string
			var prevs []string
			q := "first=2"
			for {
				items, next, prev := page(q)
				walked = append(walked, items...)
				prevs = append(prevs, prev)
				if next == "" {
					break
				}
				q = "first=2&after=" + next
			}
			if strings.Join(walked, ",") != strings.Join(ids, ",") {
				t.Errorf("forward walk %v, want %v", walked, ids)
			}
			if prevs[0] != "" || prevs[1] == "" {
				t.Errorf("prev cursors %v", prevs)
			}
			// Back from the last page.
			items, next, prev := page("first=2&before=" + prevs[2])
			if strings.Join(items, ",") != strings.Join(ids[2:4], ",") || next != ids[3] || prev != ids[2] {
				t.Errorf("back: items %v next %q prev %q", items, next, prev)
			}
			items, _, prev = page("first=2&before=" + prev)
			if strings.Join(items, ",") != strings.Join(ids[0:2], ",") || prev != "" {
				t.Errorf("first page back: items %v prev %q", items, prev)
			}
			if items, _, _ := page(""); len(items) != 5 {
				t.Errorf("default page: %d items", len(items))
			}
		})
	}
}

// TestBOLA: a key of workspace "default" gets not found, in Versori's shape, on every route of
// the family pointed at workspace ws-b or at ws-b's objects; nothing of ws-b changes.
func TestBOLA(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := env(t, driver)
			e.Workspace(t, "ws-b")
			ctrB := connector(t, e, "ws-b")
			r := e.Do(t, "POST", "/api/connect/v1/o/ws-b/connectors/my-api/connections", e.OwnerKey, seedCreate("b-conn", "ws-b-secret-value-0001"))
			if r.Status != 200 {
				t.Fatalf("create in ws-b: %d %s", r.Status, r.Body)
			}
			connB := r.Map(t)
			connBID := connB["id"].(string)
			credB := get(connB, "credentials", "action", 0, "credential").(map[string]any)
			credBID := credB["id"].(string)
			key := e.Key(t, "default", switchboard.RoleOwner, "credentials:read")

			routes := e.Server.FamilyRoutes("versori")
			if len(routes) != 6 {
				t.Errorf("%d routes, want 6", len(routes))
			}
			bodies := map[string]any{
				"POST": seedCreate("x", "attacker-secret-0001"),
				"PUT /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections/{connection_id}": map[string]any{"id": connBID, "name": "pwned"},
				"PUT /api/connect/v1/o/{organisation_id}/credentials/{credential_id}":                           map[string]any{"id": credBID, "name": "pwned", "type": "string", "data": map[string]any{"value": "pwned"}},
			}
			for _, rt := range routes {
				for _, variant := range []struct{ org, connector string }{{"ws-b", "my-api"}, {"ws-b", ctrB}, {"default", "my-api"}} {
					if variant.org == "default" && !strings.Contains(rt.Path, "{connection_id}") && !strings.Contains(rt.Path, "{credential_id}") {
						continue // the default org's own list and create: no foreign object in the path
					}
					path := strings.NewReplacer("{organisation_id}", variant.org, "{connector_id}", variant.connector,
						"{connection_id}", connBID, "{credential_id}", credBID).Replace(rt.Path)
					b := bodies[rt.Method+" "+rt.Path]
					if b == nil {
						b = bodies[rt.Method]
					}
					t.Run(rt.Method+" "+path, func(t *testing.T) {
						wantError(t, e.Do(t, rt.Method, path, key, b), http.StatusNotFound, "not_found")
					})
				}
			}
			// A ws-b credential cannot be referenced from default either.
			ref := map[string]any{"name": "steal", "variables": []any{}, "credentials": map[string]any{"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{"id": "a", "description": "d", "schemeType": "none"}, "credential": map[string]any{"id": credBID}}}}}
			wantError(t, e.Do(t, "POST", base, key, ref), 400, "bad_request", "credentials.action[0].credential.id")

			after := e.Do(t, "GET", "/api/connect/v1/o/ws-b/connectors/my-api/connections/"+connBID, e.OwnerKey, nil)
			if after.Status != 200 || after.Map(t)["name"] != "b-conn" {
				t.Errorf("ws-b connection changed: %d %s", after.Status, after.Body)
			}
			nat := e.Do(t, "GET", "/v1/workspaces/ws-b/connections/"+connBID+"/credentials", e.OwnerKey, nil)
			if v := get(nat.Map(t), "credentials", "action", 0, "data", "api_key"); v != "ws-b-secret-value-0001" {
				t.Errorf("ws-b secret changed: %v", v)
			}
		})
	}
}
