package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// Edge cases of connections, credentials and keys a careful client runs into.

func TestConnectionEdgeCases(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		// Duplicate tags are one tag to the filter.
		body := bearerBody("dup-tags")
		body["tags"] = []string{"red", "red", "blue"}
		c := createConn(t, e, e.OwnerKey, "default", body)
		if got := ids(listConns(t, e, "tag=red").Items); !cmp.Equal(got, []string{c.ID}) {
			t.Errorf("tag=red gives %v, want the connection once", got)
		}
		// Variables must have unique, non-blank names.
		body = bearerBody("vars")
		body["variables"] = []map[string]string{{"name": "a", "value": "1"}, {"name": "a", "value": "2"}}
		got := wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "variables[1].name", Reason: "unique"})
		body["variables"] = []map[string]string{{"name": " ", "value": "1"}}
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "variables[0].name", Reason: "required"})
		// Blank tag.
		body = bearerBody("tags")
		body["tags"] = []string{"ok", ""}
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "tags[1]", Reason: "invalid"})
		// A blank environment is the default one.
		body = bearerBody("env")
		body["environment"] = "  "
		if c := createConn(t, e, e.OwnerKey, "default", body); c.Environment != "production" {
			t.Errorf("environment = %q, want production", c.Environment)
		}
		// Idempotency-Key is bounded.
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, bearerBody("k"), "Idempotency-Key", strings.Repeat("k", 256)),
			http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "Idempotency-Key", Reason: "max_length"})
		// The same key in two workspaces is two creates.
		e.Workspace(t, "w2")
		a := createConn(t, e, e.OwnerKey, "default", bearerBody("same-key"), "Idempotency-Key", "shared-key")
		r := e.Do(t, "POST", "/v1/workspaces/w2/connections", e.OwnerKey, bearerBody("same-key"), "Idempotency-Key", "shared-key")
		wantStatus(t, r, http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "" || r.Map(t)["id"] == a.ID {
			t.Errorf("a key of another workspace was replayed: %s", r.Body)
		}
		// A deleted connection frees its name.
		wantStatus(t, e.Do(t, "DELETE", connsPath+"/"+a.ID, e.OwnerKey, nil), http.StatusNoContent)
		createConn(t, e, e.OwnerKey, "default", bearerBody("same-key"))

		// One consumer uses a connection once.
		wantStatus(t, e.Do(t, "POST", connsPath+"/"+c.ID+"/usages", e.OwnerKey, map[string]any{"consumer": "wf:1"}), http.StatusCreated)
		wantError(t, e.Do(t, "POST", connsPath+"/"+c.ID+"/usages", e.OwnerKey, map[string]any{"consumer": "wf:1"}), http.StatusConflict, "4090")
		if g := getConn(t, e, c.ID); g.Usages != 1 {
			t.Errorf("usages = %d, want 1", g.Usages)
		}

		// Audit events record where a request came from.
		c2 := createConn(t, e, e.OwnerKey, "default", bearerBody("audited"), "X-Client-Hash", "abc123==", "X-Request-Id", "audit-req-1")
		r = e.Do(t, "GET", "/v1/workspaces/default/audit?"+url.Values{"object_id": {c2.ID}}.Encode(), e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		var l listOf[struct {
			Action     string `json:"action"`
			RequestID  string `json:"request_id"`
			IP         string `json:"ip"`
			ClientHash string `json:"client_hash"`
		}]
		r.JSON(t, &l)
		if len(l.Items) != 1 || l.Items[0].Action != "connection.create" || l.Items[0].RequestID != "audit-req-1" ||
			l.Items[0].IP != "127.0.0.1" || l.Items[0].ClientHash != "abc123==" {
			t.Errorf("audit of create: %s", r.Body)
		}
	})
}

func TestCredentialSharedByConnections(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		cred := createCred(t, e, "shared", "basic", map[string]string{"username": "u", "password": "p-0123456789ab"})
		mk := func(name string, refs map[string]any) connJSON {
			body := map[string]any{"connector_id": "kafka", "connection_name": name,
				"config": map[string]any{"kafkaAddr": "h:9092"}, "credentials": refs}
			return createConn(t, e, e.OwnerKey, "default", body)
		}
		one := mk("one", map[string]any{"action": []string{cred.ID}, "trigger": []string{cred.ID}})
		mk("two", map[string]any{"action": []string{cred.ID, cred.ID}})
		got := wantError(t, e.Do(t, "DELETE", "/v1/workspaces/default/credentials/"+cred.ID, e.OwnerKey, nil), http.StatusConflict, "4090")
		if want := "the credential is used by 2 connections"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		// The credentials endpoint lists it in every place it was put.
		r, _ := credentialsOf(t, e, e.OwnerKey, one.ID)
		wantStatus(t, r, http.StatusOK)
		var out struct {
			Credentials struct{ Action, Trigger []credJSON } `json:"credentials"`
		}
		r.JSON(t, &out)
		if len(out.Credentials.Action) != 1 || len(out.Credentials.Trigger) != 1 || out.Credentials.Trigger[0].Data["password"] != "p-0123456789ab" {
			t.Errorf("credentials: %s", r.Body)
		}
		// Credentials of another workspace cannot be referenced.
		e.Workspace(t, "w2")
		r = e.Do(t, "POST", "/v1/workspaces/w2/credentials", e.OwnerKey, map[string]any{"name": "x", "type": "bearer", "data": map[string]string{"token": "t"}})
		wantStatus(t, r, http.StatusCreated)
		foreign := r.Map(t)["id"].(string)
		body := bearerBody("foreign")
		body["credentials"] = map[string]any{"action": []string{foreign}}
		gotErr := wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, gotErr, detail{Field: "credentials.action[0]", Reason: "invalid"})
		wantError(t, e.Do(t, "GET", "/v1/workspaces/default/credentials/"+foreign, e.OwnerKey, nil), http.StatusNotFound, "4040")
		// Deleting the connections frees the credential.
		for _, c := range listConns(t, e, "").Items {
			wantStatus(t, e.Do(t, "DELETE", connsPath+"/"+c.ID, e.OwnerKey, nil), http.StatusNoContent)
		}
		wantStatus(t, e.Do(t, "DELETE", "/v1/workspaces/default/credentials/"+cred.ID, e.OwnerKey, nil), http.StatusNoContent)
	})
}

func TestAPIKeyGrants(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		admin := e.Key(t, "default", switchboard.RoleAdmin)
		keys := "/v1/workspaces/default/api-keys"
		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"owner from admin", map[string]any{"name": "n", "role": "owner", "scopes": []string{}}, 403, "4030"},
			{"scope admin lacks", map[string]any{"name": "n", "role": "viewer", "scopes": []string{"credentials:read"}}, 403, "4030"},
			{"unknown scope", map[string]any{"name": "n", "role": "viewer", "scopes": []string{"root"}}, 400, "4000"},
			{"unknown role", map[string]any{"name": "n", "role": "god", "scopes": []string{}}, 400, "4000"},
		} {
			if r := e.Do(t, "POST", keys, admin, tc.body); r.Status != tc.status {
				t.Errorf("%s: status %d, want %d; %s", tc.name, r.Status, tc.status, r.Body)
			} else {
				wantError(t, r, tc.status, tc.code)
			}
		}
		r := e.Do(t, "POST", keys, admin, map[string]any{"name": "ed", "role": "editor", "scopes": []string{}})
		wantStatus(t, r, http.StatusCreated)
		m := r.Map(t)
		key := m["key"].(string)
		// The list never shows the key.
		r = e.Do(t, "GET", keys, admin, nil)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(string(r.Body), key) || !strings.Contains(string(r.Body), m["id"].(string)) {
			t.Errorf("key list: %s", r.Body)
		}
		wantStatus(t, e.Do(t, "GET", connsPath, key, nil), http.StatusOK)
	})
}

func TestListConnectorsPagination(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		for _, k := range []string{"zz-one", "aa-two"} {
			wantStatus(t, e.Do(t, "POST", "/v1/workspaces/default/connectors", e.OwnerKey, map[string]any{
				"key": k, "schema": map[string]any{"type": "object"}}), http.StatusCreated)
		}
		type item struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		}
		r := e.Do(t, "GET", "/v1/workspaces/default/connectors?page_size=1000", e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		var all listOf[item]
		r.JSON(t, &all)
		var walked []item
		token := ""
		for range 50 {
			q := url.Values{"page_size": {"3"}}
			if token != "" {
				q.Set("page_token", token)
			}
			r := e.Do(t, "GET", "/v1/workspaces/default/connectors?"+q.Encode(), e.OwnerKey, nil)
			wantStatus(t, r, http.StatusOK)
			var l listOf[item]
			r.JSON(t, &l)
			walked = append(walked, l.Items...)
			if token = l.NextPageToken; token == "" {
				break
			}
		}
		if diff := cmp.Diff(all.Items, walked); diff != "" {
			t.Errorf("paged walk differs from one page (-one +walk):\n%s", diff)
		}
		n := 0
		for _, it := range all.Items {
			if it.Key == "zz-one" || it.Key == "aa-two" {
				n++
			}
		}
		if n != 2 || len(all.Items) < 12 {
			t.Errorf("connectors: %v", all.Items)
		}
	})
}

// TestIDsSortInCreationOrder: lists are ordered by id and the API promises a stable order in
// which a client sees connections as they were created (page walks, "newest last"). NewID puts
// the millisecond in the top 48 bits and random bits below, so two ids made in the same
// millisecond sort at random: a list then shows the later connection first. Seen through the
// API as TestListConnectionsPagination walking 25 connections out of creation order in about
// one run of ten on PostgreSQL.
func TestIDsSortInCreationOrder(t *testing.T) {
	t.Parallel()
	prev := switchboard.NewID(switchboard.PrefixConnection)
	for i := range 1000 {
		id := switchboard.NewID(switchboard.PrefixConnection)
		if id <= prev {
			t.Fatalf("id %d %s sorts before the one made before it, %s", i, id, prev)
		}
		prev = id
	}
}

// concurrently sends n requests at once and returns the statuses, counted.
func concurrently(t *testing.T, n int, send func(i int) (*testenv.Response, error)) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	resps := make([]*testenv.Response, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { resps[i], errs[i] = send(i) })
	}
	wg.Wait()
	counts := map[int]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		counts[resps[i].Status]++
		if resps[i].Status >= 500 {
			t.Errorf("request %d: %d %s", i, resps[i].Status, resps[i].Body)
		}
	}
	return counts
}

func TestConcurrentWrites(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		const n = 8
		// Same name, no key: one wins, the others are told the name is taken.
		counts := concurrently(t, n, func(int) (*testenv.Response, error) {
			return rawDo(e, "POST", connsPath, e.OwnerKey, bearerBody("contested"))
		})
		if diff := cmp.Diff(map[int]int{201: 1, 409: n - 1}, counts); diff != "" {
			t.Errorf("concurrent same-name creates (-want +got):\n%s", diff)
		}
		c := listConns(t, e, "").Items[0]

		// Patches with the same If-Match: exactly one applies.
		counts = concurrently(t, n, func(i int) (*testenv.Response, error) {
			return rawDo(e, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, map[string]any{"description": fmt.Sprint("d", i)}, "If-Match", `"1"`)
		})
		if diff := cmp.Diff(map[int]int{200: 1, 412: n - 1}, counts); diff != "" {
			t.Errorf("concurrent If-Match patches (-want +got):\n%s", diff)
		}
		// Patches without If-Match: every one applies, none is lost.
		counts = concurrently(t, n, func(i int) (*testenv.Response, error) {
			return rawDo(e, "POST", connsPath+"/"+c.ID+"/usages", e.OwnerKey, map[string]any{"consumer": fmt.Sprint("wf:", i)})
		})
		if diff := cmp.Diff(map[int]int{201: n}, counts); diff != "" {
			t.Errorf("concurrent usages (-want +got):\n%s", diff)
		}
		counts = concurrently(t, n, func(i int) (*testenv.Response, error) {
			return rawDo(e, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, map[string]any{"external_xref": fmt.Sprint("x", i)})
		})
		if diff := cmp.Diff(map[int]int{200: n}, counts); diff != "" {
			t.Errorf("concurrent patches without If-Match (-want +got):\n%s", diff)
		}
		if g := getConn(t, e, c.ID); g.Revision != 2+n || g.Usages != n {
			t.Errorf("revision %d usages %d, want %d %d", g.Revision, g.Usages, 2+n, n)
		}
	})
}

func TestPatchCredential(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		cred := createCred(t, e, "basic", "basic", map[string]string{"username": "alice", "password": "pw-0123456789abcd"})
		p := "/v1/workspaces/default/credentials/" + cred.ID
		c := createConn(t, e, e.OwnerKey, "default", map[string]any{"connector_id": "kafka", "connection_name": "k",
			"config": map[string]any{"kafkaAddr": "h:1"}, "credentials": map[string]any{"action": []string{cred.ID}}})
		clear := func() map[string]any {
			t.Helper()
			r, m := credentialsOf(t, e, e.OwnerKey, c.ID)
			wantStatus(t, r, http.StatusOK)
			return m["credentials"].(map[string]any)["action"].([]any)[0].(map[string]any)["data"].(map[string]any)
		}
		r := e.Do(t, "PATCH", p, e.OwnerKey, map[string]any{"data": map[string]any{"password": "****abcd", "username": "bob"}}, "If-Match", `"1"`)
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("ETag") != `"2"` {
			t.Errorf("ETag = %q", r.Header.Get("ETag"))
		}
		if diff := cmp.Diff(map[string]any{"username": "bob", "password": "pw-0123456789abcd"}, clear()); diff != "" {
			t.Errorf("after mask-back (-want +got):\n%s", diff)
		}
		wantError(t, e.Do(t, "PATCH", p, e.OwnerKey, map[string]any{"name": "x"}, "If-Match", `"1"`), http.StatusPreconditionFailed, "4120")
		got := wantError(t, e.Do(t, "PATCH", p, e.OwnerKey, map[string]any{"data": map[string]any{"password": nil}}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "data.password", Reason: "required"})
		wantStatus(t, e.Do(t, "PATCH", p, e.OwnerKey, map[string]any{"data": map[string]any{"password": "new-password-9999"}}), http.StatusOK)
		if diff := cmp.Diff(map[string]any{"username": "bob", "password": "new-password-9999"}, clear()); diff != "" {
			t.Errorf("after replace (-want +got):\n%s", diff)
		}
	})
}
