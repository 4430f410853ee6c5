package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// Behaviour tests of the native /v1 API as a client sees it, on every storage driver.

const connsPath = "/v1/workspaces/default/connections"

// eachDriver runs f on a fresh server per driver, in parallel.
func eachDriver(t *testing.T, f func(t *testing.T, e *testenv.Env)) {
	t.Helper()
	t.Parallel()
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, testenv.New(t, d))
		})
	}
}

type detail = switchboard.FieldError

// apiError is the native error body.
type apiError struct {
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	Details   []detail `json:"details"`
	RequestID string   `json:"request_id"`
}

type connJSON struct {
	ID               string              `json:"id"`
	WorkspaceID      string              `json:"workspace_id"`
	ConnectorID      string              `json:"connector_id"`
	ConnectorVersion string              `json:"connector_version"`
	Name             string              `json:"connection_name"`
	Description      string              `json:"description"`
	Config           map[string]any      `json:"config"`
	SecretFields     []string            `json:"secret_fields"`
	Variables        []map[string]string `json:"variables"`
	Credentials      struct {
		Action  []string `json:"action"`
		Trigger []string `json:"trigger"`
	} `json:"credentials"`
	Status       string   `json:"status"`
	Enabled      bool     `json:"enabled"`
	Paused       bool     `json:"paused"`
	Environment  string   `json:"environment"`
	ExternalXref string   `json:"external_xref"`
	Tags         []string `json:"tags"`
	Usages       int      `json:"usages"`
	CanBeDeleted bool     `json:"can_be_deleted"`
	CreatedBy    string   `json:"created_by"`
	UpdatedBy    string   `json:"updated_by"`
	Revision     int64    `json:"revision"`
}

type listOf[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token"`
}

type auditJSON struct {
	ID         string         `json:"id"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type"`
	ObjectID   string         `json:"object_id"`
	RequestID  string         `json:"request_id"`
	Details    map[string]any `json:"details"`
}

// wantStatus fails unless r has status want.
func wantStatus(t testing.TB, r *testenv.Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body %s", r.Status, want, r.Body)
	}
}

// wantError checks r is the native error body with status and code, with exactly the fields
// code, message, request_id (and details when present), and X-Request-Id equal to request_id.
func wantError(t testing.TB, r *testenv.Response, status int, code string) apiError {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var raw map[string]json.RawMessage
	r.JSON(t, &raw)
	for k := range raw {
		switch k {
		case "code", "message", "request_id", "details":
		default:
			t.Errorf("error body has unexpected field %q: %s", k, r.Body)
		}
	}
	for _, k := range []string{"code", "message", "request_id"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("error body lacks %q: %s", k, r.Body)
		}
	}
	var e apiError
	r.JSON(t, &e)
	if e.Code != code {
		t.Errorf("code = %q, want %q; body %s", e.Code, code, r.Body)
	}
	if e.Message == "" {
		t.Errorf("empty message: %s", r.Body)
	}
	if e.RequestID == "" || r.Header.Get("X-Request-Id") != e.RequestID {
		t.Errorf("request_id = %q, X-Request-Id = %q; want equal and not empty", e.RequestID, r.Header.Get("X-Request-Id"))
	}
	return e
}

func wantDetails(t testing.TB, e apiError, want ...detail) {
	t.Helper()
	if diff := cmp.Diff(want, e.Details); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

func bearerBody(name string) map[string]any {
	return map[string]any{
		"connector_id": "http-bearer", "connection_name": name,
		"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-0123456789abcdef"},
	}
}

// createConn creates a connection and returns it.
func createConn(t testing.TB, e *testenv.Env, token, ws string, body map[string]any, headers ...string) connJSON {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/connections", token, body, headers...)
	wantStatus(t, r, http.StatusCreated)
	var c connJSON
	r.JSON(t, &c)
	return c
}

func getConn(t testing.TB, e *testenv.Env, id string) connJSON {
	t.Helper()
	r := e.Do(t, "GET", connsPath+"/"+id, e.OwnerKey, nil)
	wantStatus(t, r, http.StatusOK)
	var c connJSON
	r.JSON(t, &c)
	return c
}

func listConns(t testing.TB, e *testenv.Env, query string) listOf[connJSON] {
	t.Helper()
	r := e.Do(t, "GET", connsPath+"?"+query, e.OwnerKey, nil)
	wantStatus(t, r, http.StatusOK)
	var l listOf[connJSON]
	r.JSON(t, &l)
	return l
}

func ids(cs []connJSON) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func audit(t testing.TB, e *testenv.Env, objectID, action string) []auditJSON {
	t.Helper()
	q := url.Values{"object_id": {objectID}, "action": {action}}
	r := e.Do(t, "GET", "/v1/workspaces/default/audit?"+q.Encode(), e.OwnerKey, nil)
	wantStatus(t, r, http.StatusOK)
	var l listOf[auditJSON]
	r.JSON(t, &l)
	return l.Items
}

// createKey creates an API key as the owner and returns its id and the key.
func createKey(t testing.TB, e *testenv.Env, ws string, role switchboard.Role, scopes ...string) (id, key string) {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/api-keys", e.OwnerKey, map[string]any{
		"name": string(role), "role": string(role), "scopes": append([]string{}, scopes...),
	})
	wantStatus(t, r, http.StatusCreated)
	var out struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	r.JSON(t, &out)
	if out.ID == "" || out.Key == "" {
		t.Fatalf("create key: %s", r.Body)
	}
	return out.ID, out.Key
}

// rawDo is e.Do for goroutines: it reports errors instead of failing the test.
func rawDo(e *testenv.Env, method, path, token string, body any, headers ...string) (*testenv.Response, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func TestCreateConnection(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		r := e.Do(t, "POST", connsPath, e.OwnerKey, map[string]any{
			"connector_id": "http-api-key", "connection_name": "crm",
			"description": "CRM API", "tags": []string{"crm"},
			"config": map[string]any{"base_url": "https://crm.example.com", "api_key": "ak-0123456789wxyz"},
		})
		wantStatus(t, r, http.StatusCreated)
		var c connJSON
		r.JSON(t, &c)
		if got, want := r.Header.Get("Location"), "/v1/workspaces/default/connections/"+c.ID; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Errorf("ETag = %q, want \"1\"", got)
		}
		if !strings.HasPrefix(c.ID, "conn_") {
			t.Errorf("id = %q, want conn_ prefix", c.ID)
		}
		if bytes.Contains(r.Body, []byte("ak-0123456789wxyz")) {
			t.Errorf("create response holds the secret: %s", r.Body)
		}
		want := connJSON{
			ID: c.ID, WorkspaceID: "default", ConnectorID: "http-api-key", ConnectorVersion: "1.0.0",
			Name: "crm", Description: "CRM API",
			Config:       map[string]any{"base_url": "https://crm.example.com", "api_key": "****wxyz"},
			SecretFields: []string{"api_key"}, Variables: []map[string]string{},
			Status: "PENDING", Enabled: true, Environment: "production", Tags: []string{"crm"},
			CanBeDeleted: true, CreatedBy: c.CreatedBy, UpdatedBy: c.CreatedBy, Revision: 1,
		}
		want.Credentials.Action, want.Credentials.Trigger = []string{}, []string{}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Errorf("created connection (-want +got):\n%s", diff)
		}
		if got := getConn(t, e, c.ID); !cmp.Equal(got, c) {
			t.Errorf("GET differs from create:\n%s", cmp.Diff(c, got))
		}

		for _, tc := range []struct {
			name   string
			extra  map[string]any
			token  string
			mask   string
			status string
		}{
			{"short-secret", nil, "short-tok", "****", "PENDING"},
			{"exactly-12", nil, "abcdefgh1234", "****1234", "PENDING"},
			{"eleven", nil, "abcdefgh123", "****", "PENDING"},
			{"disabled", map[string]any{"enabled": false}, "tok-0123456789abcdef", "****cdef", "DISABLED"},
			{"paused", map[string]any{"paused": true}, "tok-0123456789abcdef", "****cdef", "PAUSED"},
			{"disabled-and-paused", map[string]any{"paused": true, "enabled": false}, "tok-0123456789abcdef", "****cdef", "DISABLED"},
		} {
			body := bearerBody(tc.name)
			body["config"].(map[string]any)["token"] = tc.token
			for k, v := range tc.extra {
				body[k] = v
			}
			c := createConn(t, e, e.OwnerKey, "default", body)
			if c.Status != tc.status || c.Config["token"] != tc.mask {
				t.Errorf("%s: status %q token %v, want %q %q", tc.name, c.Status, c.Config["token"], tc.status, tc.mask)
			}
			if g := getConn(t, e, c.ID); g.Status != tc.status || g.Config["token"] != tc.mask {
				t.Errorf("%s: GET status %q token %v, want %q %q", tc.name, g.Status, g.Config["token"], tc.status, tc.mask)
			}
		}
	})
}

func TestCreateConnectionConfigValidation(t *testing.T) {
	const secret = "pg-secret-do-not-leak-1234"
	pg := func(mod func(cfg map[string]any)) map[string]any {
		cfg := map[string]any{"host": "db.internal", "database": "app", "user": "app", "password": secret}
		mod(cfg)
		return map[string]any{"connector_id": "postgres", "connection_name": "db", "config": cfg}
	}
	cases := []struct {
		name string
		body map[string]any
		want []detail
		msg  string
	}{
		{"missing required", pg(func(c map[string]any) { delete(c, "host") }),
			[]detail{{Field: "config.host", Reason: "required"}}, "config.host must not be blank"},
		{"wrong type", pg(func(c map[string]any) { c["port"] = "5432" }),
			[]detail{{Field: "config.port", Reason: "type"}}, "config.port has the wrong type"},
		{"out of range", pg(func(c map[string]any) { c["port"] = 70000 }),
			[]detail{{Field: "config.port", Reason: "maximum"}}, "config.port is too large"},
		{"enum", pg(func(c map[string]any) { c["sslmode"] = "sometimes" }),
			[]detail{{Field: "config.sslmode", Reason: "enum"}}, "config.sslmode must be one of the allowed values"},
		{"unknown property", pg(func(c map[string]any) { c["colour"] = "blue" }),
			[]detail{{Field: "config.colour", Reason: "unknown"}}, "config.colour is not a known field"},
		{"secret of wrong type", pg(func(c map[string]any) { c["password"] = 12345678901234 }),
			[]detail{{Field: "config.password", Reason: "type"}}, "config.password has the wrong type"},
		{"bad secret value", map[string]any{"connector_id": "http-bearer", "connection_name": "b",
			"config": map[string]any{"base_url": "https://x.example.com", "token": "pg-secret do-not-leak-1234"}},
			[]detail{{Field: "config.token", Reason: "pattern"}}, "config.token does not match the required pattern"},
		{"no config", map[string]any{"connector_id": "postgres", "connection_name": "db"},
			[]detail{{Field: "config.database", Reason: "required"}, {Field: "config.host", Reason: "required"},
				{Field: "config.password", Reason: "required"}, {Field: "config.user", Reason: "required"}},
			"config.database must not be blank"},
	}
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				r := e.Do(t, "POST", connsPath, e.OwnerKey, tc.body)
				got := wantError(t, r, http.StatusBadRequest, "4000")
				wantDetails(t, got, tc.want...)
				if got.Message != tc.msg {
					t.Errorf("message = %q, want %q", got.Message, tc.msg)
				}
				for _, leak := range []string{secret, "do-not-leak", "12345678901234"} {
					if bytes.Contains(r.Body, []byte(leak)) {
						t.Errorf("error body holds secret %q: %s", leak, r.Body)
					}
				}
			})
		}
		if l := listConns(t, e, ""); len(l.Items) != 0 {
			t.Errorf("invalid creates left %d connections", len(l.Items))
		}
		if strings.Contains(e.Logs(), secret) || strings.Contains(e.Logs(), "do-not-leak") {
			t.Errorf("server log holds a secret")
		}
	})
}

func TestCreateConnectionRequiredFields(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		body := bearerBody("  ")
		got := wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		if got.Message != "connection_name must not be blank" {
			t.Errorf("message = %q", got.Message)
		}
		wantDetails(t, got, detail{Field: "connection_name", Reason: "required"})

		body = bearerBody("x")
		body["connector_id"] = "no-such-connector"
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "connector_id", Reason: "enum"})

		body = bearerBody("x")
		delete(body, "connector_id")
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "connector_id", Reason: "required"})

		body = bearerBody("x")
		body["connector_version"] = "9.9.9"
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "connector_version", Reason: "enum"})

		body = bearerBody(strings.Repeat("n", 256))
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "connection_name", Reason: "max_length"})

		// A name is trimmed.
		c := createConn(t, e, e.OwnerKey, "default", bearerBody("  spaced  "))
		if c.Name != "spaced" {
			t.Errorf("name = %q, want trimmed", c.Name)
		}
		// Unknown workspace.
		got = wantError(t, e.Do(t, "POST", "/v1/workspaces/nope/connections", e.OwnerKey, bearerBody("x")), http.StatusNotFound, "4040")
		if got.Message != "workspace not found" {
			t.Errorf("message = %q", got.Message)
		}
	})
}

func TestConnectionNameUniquePerConnector(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		first := createConn(t, e, e.OwnerKey, "default", bearerBody("shared"))

		got := wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, bearerBody("shared")), http.StatusConflict, "4090")
		if want := "a connection named shared already exists for this connector"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		// Trimmed names are the same name.
		wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, bearerBody(" shared ")), http.StatusConflict, "4090")

		other := createConn(t, e, e.OwnerKey, "default", map[string]any{
			"connector_id": "http-api-key", "connection_name": "shared",
			"config": map[string]any{"base_url": "https://x.example.com", "api_key": "k"},
		})
		e.Workspace(t, "team-b")
		inB := createConn(t, e, e.OwnerKey, "team-b", bearerBody("shared"))

		if diff := cmp.Diff([]string{first.ID, other.ID}, ids(listConns(t, e, "").Items)); diff != "" {
			t.Errorf("default workspace connections (-want +got):\n%s", diff)
		}
		if inB.WorkspaceID != "team-b" {
			t.Errorf("workspace_id = %q", inB.WorkspaceID)
		}

		// Renaming into a taken name is a conflict too, and changes nothing.
		second := createConn(t, e, e.OwnerKey, "default", bearerBody("second"))
		got = wantError(t, e.Do(t, "PATCH", connsPath+"/"+second.ID, e.OwnerKey, map[string]any{"connection_name": "shared"}),
			http.StatusConflict, "4090")
		if want := "a connection named shared already exists for this connector"; got.Message != want {
			t.Errorf("rename message = %q, want %q", got.Message, want)
		}
		if g := getConn(t, e, second.ID); g.Name != "second" || g.Revision != 1 {
			t.Errorf("after failed rename: name %q revision %d", g.Name, g.Revision)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		body := bearerBody("idem")
		r := e.Do(t, "POST", connsPath, e.OwnerKey, body, "Idempotency-Key", "key-1")
		wantStatus(t, r, http.StatusCreated)
		if h := r.Header.Get("Idempotent-Replayed"); h != "" {
			t.Errorf("first create: Idempotent-Replayed = %q", h)
		}
		var first connJSON
		r.JSON(t, &first)

		r = e.Do(t, "POST", connsPath, e.OwnerKey, body, "Idempotency-Key", "key-1")
		wantStatus(t, r, http.StatusCreated)
		var again connJSON
		r.JSON(t, &again)
		if again.ID != first.ID {
			t.Errorf("replayed id = %q, want %q", again.ID, first.ID)
		}
		if h := r.Header.Get("Idempotent-Replayed"); h != "true" {
			t.Errorf("Idempotent-Replayed = %q, want true", h)
		}
		if got, want := r.Header.Get("Location"), connsPath+"/"+first.ID; got != want {
			t.Errorf("replay Location = %q, want %q", got, want)
		}
		if again.Config["token"] != "****cdef" {
			t.Errorf("replay token = %v, want mask", again.Config["token"])
		}

		got := wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, bearerBody("idem-other"), "Idempotency-Key", "key-1"),
			http.StatusConflict, "4090")
		if want := "this Idempotency-Key was used with a different request"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}

		// Ten concurrent creates with one key: one connection, one id.
		const n = 10
		var wg sync.WaitGroup
		resps := make([]*testenv.Response, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				resps[i], errs[i] = rawDo(e, "POST", connsPath, e.OwnerKey, bearerBody("race"), "Idempotency-Key", "key-race")
			})
		}
		wg.Wait()
		idSet := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if resps[i].Status != http.StatusCreated {
				t.Errorf("request %d: status %d %s", i, resps[i].Status, resps[i].Body)
				continue
			}
			var c connJSON
			resps[i].JSON(t, &c)
			idSet[c.ID] = true
		}
		if len(idSet) != 1 {
			t.Errorf("concurrent creates returned %d ids: %v", len(idSet), idSet)
		}
		var race []string
		for _, c := range listConns(t, e, "").Items {
			if c.Name == "race" {
				race = append(race, c.ID)
			}
		}
		if len(race) != 1 || !idSet[race[0]] {
			t.Errorf("connections named race = %v, want exactly the one returned (%v)", race, idSet)
		}
	})
}

func TestListConnectionsPagination(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		var created []string
		for i := range 25 {
			created = append(created, createConn(t, e, e.OwnerKey, "default", bearerBody(fmt.Sprintf("c%02d", i))).ID)
		}
		var walked []string
		var sizes []int
		token := ""
		for range 10 {
			q := url.Values{"page_size": {"7"}}
			if token != "" {
				q.Set("page_token", token)
			}
			l := listConns(t, e, q.Encode())
			walked = append(walked, ids(l.Items)...)
			sizes = append(sizes, len(l.Items))
			for _, c := range l.Items {
				if c.Config["token"] != "****cdef" {
					t.Errorf("list shows token %v", c.Config["token"])
				}
			}
			if token = l.NextPageToken; token == "" {
				break
			}
		}
		if diff := cmp.Diff([]int{7, 7, 7, 4}, sizes); diff != "" {
			t.Errorf("page sizes (-want +got):\n%s", diff)
		}
		// The walk is the one-page listing, page by page: every connection once, stable order.
		one := listConns(t, e, "")
		if len(one.Items) != 25 || one.NextPageToken != "" {
			t.Errorf("default page: %d items, next %q", len(one.Items), one.NextPageToken)
		}
		if diff := cmp.Diff(ids(one.Items), walked); diff != "" {
			t.Errorf("paged walk differs from the one-page list (-one +walk):\n%s", diff)
		}
		// That order is creation order, except for creates within the same millisecond, which
		// NewID orders at random (see TestIDsSortInCreationOrder); compare as sets here so
		// this test does not flake.
		if diff := cmp.Diff(created, walked, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("walked ids are not the created connections (-want +got):\n%s", diff)
		}
		// Exactly one page: no next token.
		if l := listConns(t, e, "page_size=25"); len(l.Items) != 25 || l.NextPageToken != "" {
			t.Errorf("page_size=25: %d items, next %q", len(l.Items), l.NextPageToken)
		}

		for _, tc := range []struct {
			query string
			want  detail
		}{
			{"page_token=not-a-token!", detail{Field: "page_token", Reason: "invalid"}},
			{"page_token=" + url.QueryEscape("djE6"), detail{Field: "page_token", Reason: "invalid"}}, // "v1:" with no id
			{"page_size=0", detail{Field: "page_size", Reason: "minimum"}},
			{"page_size=5000", detail{Field: "page_size", Reason: "maximum"}},
			{"page_size=-1", detail{Field: "page_size", Reason: "minimum"}},
			{"page_size=abc", detail{Field: "page_size", Reason: "type"}},
			{"status=BOGUS", detail{Field: "status", Reason: "enum"}},
		} {
			r := e.Do(t, "GET", connsPath+"?"+tc.query, e.OwnerKey, nil)
			got := wantError(t, r, http.StatusBadRequest, "4000")
			if len(got.Details) != 1 || got.Details[0].Field != tc.want.Field {
				t.Errorf("%s: details %v, want field %s", tc.query, got.Details, tc.want.Field)
			}
		}
	})
}

func TestListConnectionsFilters(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		mk := func(name, connector string, extra map[string]any) string {
			body := bearerBody(name)
			if connector == "http-api-key" {
				body["connector_id"] = connector
				body["config"] = map[string]any{"base_url": "https://k.example.com", "api_key": "k-0123456789abc"}
			}
			for k, v := range extra {
				body[k] = v
			}
			return createConn(t, e, e.OwnerKey, "default", body).ID
		}
		a := mk("a", "http-bearer", map[string]any{"tags": []string{"red", "blue"}, "external_xref": "cust-1"})
		b := mk("b", "http-api-key", map[string]any{"tags": []string{"blue"}, "environment": "staging"})
		c := mk("c", "http-bearer", map[string]any{"enabled": false, "external_xref": "cust-2", "environment": "staging"})
		d := mk("d", "http-api-key", map[string]any{"paused": true, "tags": []string{"red"}})

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", []string{a, b, c, d}},
			{"connector_id=http-bearer", []string{a, c}},
			{"connector_id=http-api-key", []string{b, d}},
			{"connector_id=github", []string{}},
			{"status=PENDING", []string{a, b}},
			{"status=DISABLED", []string{c}},
			{"status=PAUSED", []string{d}},
			{"status=ACTIVE", []string{}},
			{"environment=staging", []string{b, c}},
			{"environment=production", []string{a, d}},
			{"external_xref=cust-1", []string{a}},
			{"external_xref=cust-2", []string{c}},
			{"tag=red", []string{a, d}},
			{"tag=blue", []string{a, b}},
			{"tag=green", []string{}},
			{"tag=red&connector_id=http-api-key", []string{d}},
			{"environment=staging&status=DISABLED", []string{c}},
		} {
			got := ids(listConns(t, e, tc.query).Items)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("?%s (-want +got):\n%s", tc.query, diff)
			}
		}
		// Paging through a filter.
		l := listConns(t, e, "tag=red&page_size=1")
		if diff := cmp.Diff([]string{a}, ids(l.Items)); diff != "" || l.NextPageToken == "" {
			t.Fatalf("first filtered page: %v next %q", ids(l.Items), l.NextPageToken)
		}
		l = listConns(t, e, "tag=red&page_size=1&page_token="+url.QueryEscape(l.NextPageToken))
		if diff := cmp.Diff([]string{d}, ids(l.Items)); diff != "" || l.NextPageToken != "" {
			t.Errorf("second filtered page: %v next %q", ids(l.Items), l.NextPageToken)
		}
	})
}

func credentialsOf(t testing.TB, e *testenv.Env, token, id string) (*testenv.Response, map[string]any) {
	t.Helper()
	r := e.Do(t, "GET", connsPath+"/"+id+"/credentials", token, nil)
	if r.Status != http.StatusOK {
		return r, nil
	}
	return r, r.Map(t)
}

func TestPatchConnection(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		const key = "ak-secret-abcdefghmnop"
		c := createConn(t, e, e.OwnerKey, "default", map[string]any{
			"connector_id": "http-api-key", "connection_name": "api", "description": "one",
			"config": map[string]any{
				"base_url": "https://api.example.com", "header_name": "X-Key", "value_prefix": "Key ", "api_key": key,
			},
			"variables": []map[string]string{{"name": "region", "value": "eu"}},
			"tags":      []string{"t1"}, "external_xref": "x-1", "environment": "staging",
		})
		patch := func(body any, headers ...string) *testenv.Response {
			t.Helper()
			return e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, body, headers...)
		}

		r := e.Do(t, "GET", connsPath+"/"+c.ID, e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Fatalf("GET ETag = %q", got)
		}

		// Description only: everything else kept.
		r = patch(map[string]any{"description": "two"}, "If-Match", `"1"`)
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("ETag"); got != `"2"` {
			t.Errorf("ETag after patch = %q, want \"2\"", got)
		}
		var p1 connJSON
		r.JSON(t, &p1)
		want := c
		want.Description, want.Revision = "two", 2
		if diff := cmp.Diff(want, p1); diff != "" {
			t.Errorf("after description patch (-want +got):\n%s", diff)
		}
		if g := getConn(t, e, c.ID); !cmp.Equal(g, p1) {
			t.Errorf("GET after patch differs:\n%s", cmp.Diff(p1, g))
		}

		// Config merge: one field changed, the others (and the secret) kept. The merge-patch
		// media type is accepted.
		r = patch(map[string]any{"config": map[string]any{"header_name": "X-Other"}},
			"Content-Type", "application/merge-patch+json")
		wantStatus(t, r, http.StatusOK)
		var p2 connJSON
		r.JSON(t, &p2)
		wantCfg := map[string]any{"base_url": "https://api.example.com", "header_name": "X-Other", "value_prefix": "Key ", "api_key": "****mnop"}
		if diff := cmp.Diff(wantCfg, p2.Config); diff != "" {
			t.Errorf("config after merge (-want +got):\n%s", diff)
		}

		// Sending the mask back keeps the secret.
		wantStatus(t, patch(map[string]any{"config": map[string]any{"api_key": "****mnop", "base_url": "https://api2.example.com"}}), http.StatusOK)
		_, creds := credentialsOf(t, e, e.OwnerKey, c.ID)
		if got := creds["config"].(map[string]any)["api_key"]; got != key {
			t.Errorf("secret after sending its mask back = %v, want unchanged", got)
		}

		// null removes an optional field.
		r = patch(map[string]any{"config": map[string]any{"value_prefix": nil}})
		wantStatus(t, r, http.StatusOK)
		var p3 connJSON
		r.JSON(t, &p3)
		wantCfg = map[string]any{"base_url": "https://api2.example.com", "header_name": "X-Other", "api_key": "****mnop"}
		if diff := cmp.Diff(wantCfg, p3.Config); diff != "" {
			t.Errorf("config after null (-want +got):\n%s", diff)
		}
		// null on a required field is a validation error.
		got := wantError(t, patch(map[string]any{"config": map[string]any{"api_key": nil}}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "config.api_key", Reason: "required"})

		// A new secret replaces the old.
		wantStatus(t, patch(map[string]any{"config": map[string]any{"api_key": "ak-new-value-0000zzzz"}}), http.StatusOK)
		_, creds = credentialsOf(t, e, e.OwnerKey, c.ID)
		if got := creds["config"].(map[string]any)["api_key"]; got != "ak-new-value-0000zzzz" {
			t.Errorf("secret after replace = %v", got)
		}
		cur := getConn(t, e, c.ID)
		if cur.Revision != 6 || cur.Config["api_key"] != "****zzzz" {
			t.Errorf("revision %d api_key %v, want 6 ****zzzz", cur.Revision, cur.Config["api_key"])
		}

		// Stale If-Match: 412 and nothing changed.
		got = wantError(t, patch(map[string]any{"description": "stale"}, "If-Match", `"2"`), http.StatusPreconditionFailed, "4120")
		if want := "the object was changed since you read it; fetch it again"; got.Message != want {
			t.Errorf("message = %q", got.Message)
		}
		if g := getConn(t, e, c.ID); !cmp.Equal(g, cur) {
			t.Errorf("stale patch changed the connection:\n%s", cmp.Diff(cur, g))
		}
		// Malformed If-Match: 400, nothing changed.
		for _, h := range []string{"abc", "*", `"1", "2"`, `"01"`} {
			got = wantError(t, patch(map[string]any{"description": "bad"}, "If-Match", h), http.StatusBadRequest, "4000")
			wantDetails(t, got, detail{Field: "If-Match", Reason: "invalid"})
		}
		// Current ETag (weak form too) works.
		r = patch(map[string]any{"tags": []string{"t2", "t3"}, "variables": nil}, "If-Match", `W/"6"`)
		wantStatus(t, r, http.StatusOK)
		var p4 connJSON
		r.JSON(t, &p4)
		if r.Header.Get("ETag") != `"7"` || p4.Description != "two" || !cmp.Equal(p4.Tags, []string{"t2", "t3"}) || len(p4.Variables) != 0 {
			t.Errorf("after tags patch: ETag %s %+v", r.Header.Get("ETag"), p4)
		}

		// Unknown fields and wrong types are refused.
		got = wantError(t, patch(map[string]any{"colour": "red"}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "colour", Reason: "unknown"})
		got = wantError(t, patch(map[string]any{"enabled": "yes"}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "enabled", Reason: "type"})
		got = wantError(t, patch(map[string]any{"connection_name": ""}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "connection_name", Reason: "required"})
		if g := getConn(t, e, c.ID); g.Revision != 7 {
			t.Errorf("refused patches moved revision to %d", g.Revision)
		}
		// Unknown connection.
		wantError(t, e.Do(t, "PATCH", connsPath+"/conn_nope", e.OwnerKey, map[string]any{"description": "x"}), http.StatusNotFound, "4040")
	})
}

func TestConnectionStatusLifecycle(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		c := createConn(t, e, e.OwnerKey, "default", bearerBody("life"))
		step := func(body map[string]any, want string) {
			t.Helper()
			r := e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, body)
			wantStatus(t, r, http.StatusOK)
			var got connJSON
			r.JSON(t, &got)
			if got.Status != want {
				t.Errorf("after %v: status %q, want %q", body, got.Status, want)
			}
			if g := getConn(t, e, c.ID); g.Status != want {
				t.Errorf("after %v: GET status %q, want %q", body, g.Status, want)
			}
		}
		step(map[string]any{"enabled": false}, "DISABLED")
		step(map[string]any{"enabled": true}, "PENDING")
		step(map[string]any{"paused": true}, "PAUSED")
		step(map[string]any{"description": "still paused"}, "PAUSED")
		step(map[string]any{"paused": false}, "PENDING")

		evs := audit(t, e, c.ID, "connection.status")
		type tr struct{ From, To string }
		var got []tr
		for _, ev := range evs {
			if ev.ObjectType != "connection" || ev.RequestID == "" || ev.Actor == "" {
				t.Errorf("audit event %+v lacks object type, request id or actor", ev)
			}
			got = append(got, tr{fmt.Sprint(ev.Details["status_from"]), fmt.Sprint(ev.Details["status_to"])})
		}
		want := []tr{{"PENDING", "DISABLED"}, {"DISABLED", "PENDING"}, {"PENDING", "PAUSED"}, {"PAUSED", "PENDING"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("connection.status events (-want +got):\n%s", diff)
		}
		if n := len(audit(t, e, c.ID, "connection.create")); n != 1 {
			t.Errorf("connection.create events = %d, want 1", n)
		}
	})
}

func TestUsagesAndDelete(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		c := createConn(t, e, e.OwnerKey, "default", bearerBody("used"))
		r := e.Do(t, "POST", connsPath+"/"+c.ID+"/usages", e.OwnerKey, map[string]any{"consumer": "workflow:wf_1"})
		wantStatus(t, r, http.StatusCreated)
		var u struct {
			ID, ConnectionID, Consumer string
		}
		r.JSON(t, &u)
		if u.Consumer != "workflow:wf_1" || r.Header.Get("Location") != connsPath+"/"+c.ID+"/usages/"+u.ID {
			t.Errorf("usage %s Location %q", r.Body, r.Header.Get("Location"))
		}
		got := wantError(t, e.Do(t, "POST", connsPath+"/"+c.ID+"/usages", e.OwnerKey, map[string]any{"consumer": " "}),
			http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "consumer", Reason: "required"})
		wantError(t, e.Do(t, "POST", connsPath+"/conn_nope/usages", e.OwnerKey, map[string]any{"consumer": "x"}),
			http.StatusNotFound, "4040")

		g := getConn(t, e, c.ID)
		if g.Usages != 1 || g.CanBeDeleted {
			t.Errorf("usages %d can_be_deleted %v, want 1 false", g.Usages, g.CanBeDeleted)
		}
		l := e.Do(t, "GET", connsPath+"/"+c.ID+"/usages", e.OwnerKey, nil)
		wantStatus(t, l, http.StatusOK)
		if !bytes.Contains(l.Body, []byte(`"consumer":"workflow:wf_1"`)) {
			t.Errorf("usages list: %s", l.Body)
		}

		got = wantError(t, e.Do(t, "DELETE", connsPath+"/"+c.ID, e.OwnerKey, nil), http.StatusConflict, "4090")
		if want := "the connection is in use by 1 consumers; delete it with force=true"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		getConn(t, e, c.ID) // still there
		wantError(t, e.Do(t, "DELETE", connsPath+"/"+c.ID+"?force=maybe", e.OwnerKey, nil), http.StatusBadRequest, "4000")

		r = e.Do(t, "DELETE", connsPath+"/"+c.ID+"?force=true", e.OwnerKey, nil)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("204 with body %q", r.Body)
		}
		got = wantError(t, e.Do(t, "GET", connsPath+"/"+c.ID, e.OwnerKey, nil), http.StatusNotFound, "4040")
		if got.Message != "connection not found" {
			t.Errorf("message = %q", got.Message)
		}
		wantError(t, e.Do(t, "DELETE", connsPath+"/"+c.ID, e.OwnerKey, nil), http.StatusNotFound, "4040")

		// Without usages, a plain delete works; removing the usage makes it deletable.
		c2 := createConn(t, e, e.OwnerKey, "default", bearerBody("used2"))
		r = e.Do(t, "POST", connsPath+"/"+c2.ID+"/usages", e.OwnerKey, map[string]any{"consumer": "org:1"})
		wantStatus(t, r, http.StatusCreated)
		r.JSON(t, &u)
		wantStatus(t, e.Do(t, "DELETE", connsPath+"/"+c2.ID+"/usages/"+u.ID, e.OwnerKey, nil), http.StatusNoContent)
		if g := getConn(t, e, c2.ID); g.Usages != 0 || !g.CanBeDeleted {
			t.Errorf("after removing the usage: usages %d can_be_deleted %v", g.Usages, g.CanBeDeleted)
		}
		wantStatus(t, e.Do(t, "DELETE", connsPath+"/"+c2.ID, e.OwnerKey, nil), http.StatusNoContent)
	})
}

type credJSON struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

func createCred(t testing.TB, e *testenv.Env, name, typ string, data map[string]string) credJSON {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/default/credentials", e.OwnerKey, map[string]any{"name": name, "type": typ, "data": data})
	wantStatus(t, r, http.StatusCreated)
	var c credJSON
	r.JSON(t, &c)
	if got, want := r.Header.Get("Location"), "/v1/workspaces/default/credentials/"+c.ID; got != want {
		t.Errorf("credential Location = %q, want %q", got, want)
	}
	for k, v := range data {
		if bytes.Contains(r.Body, []byte(v)) && len(v) > 4 {
			t.Errorf("credential response holds %s in clear: %s", k, r.Body)
		}
	}
	return c
}

func TestConnectionCredentialsEndpoint(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		credA := createCred(t, e, "a", "api_key", map[string]string{"api_key": "cred-a-0123456789"})
		credB := createCred(t, e, "b", "basic", map[string]string{"username": "bob", "password": "cred-b-password-xyz"})
		credC := createCred(t, e, "c", "bearer", map[string]string{"token": "cred-c-token-abcdef"})
		c := createConn(t, e, e.OwnerKey, "default", map[string]any{
			"connector_id": "kafka", "connection_name": "events",
			"config":      map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "kafka-pass-123456"},
			"credentials": map[string]any{"action": []string{credB.ID, credA.ID}, "trigger": []string{credC.ID}},
		})
		if diff := cmp.Diff([]string{credB.ID, credA.ID}, c.Credentials.Action); diff != "" {
			t.Errorf("action refs (-want +got):\n%s", diff)
		}
		if c.Config["password"] != "****3456" || !cmp.Equal(c.SecretFields, []string{"password"}) {
			t.Errorf("config %v secret_fields %v", c.Config, c.SecretFields)
		}

		r, _ := credentialsOf(t, e, e.OwnerKey, c.ID)
		wantStatus(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		var out struct {
			ConnectionID string         `json:"connection_id"`
			ConnectorID  string         `json:"connector_id"`
			Config       map[string]any `json:"config"`
			Credentials  struct {
				Action  []credJSON `json:"action"`
				Trigger []credJSON `json:"trigger"`
			} `json:"credentials"`
		}
		r.JSON(t, &out)
		if out.ConnectionID != c.ID || out.ConnectorID != "kafka" {
			t.Errorf("credentials of %q/%q", out.ConnectionID, out.ConnectorID)
		}
		if diff := cmp.Diff(map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "kafka-pass-123456"}, out.Config); diff != "" {
			t.Errorf("config in clear (-want +got):\n%s", diff)
		}
		wantAction := []credJSON{
			{ID: credB.ID, Name: "b", Type: "basic", Data: map[string]any{"username": "bob", "password": "cred-b-password-xyz"}},
			{ID: credA.ID, Name: "a", Type: "api_key", Data: map[string]any{"api_key": "cred-a-0123456789"}},
		}
		if diff := cmp.Diff(wantAction, out.Credentials.Action); diff != "" {
			t.Errorf("action credentials (-want +got):\n%s", diff)
		}
		wantTrigger := []credJSON{{ID: credC.ID, Name: "c", Type: "bearer", Data: map[string]any{"token": "cred-c-token-abcdef"}}}
		if diff := cmp.Diff(wantTrigger, out.Credentials.Trigger); diff != "" {
			t.Errorf("trigger credentials (-want +got):\n%s", diff)
		}
		wantStatus(t, e.Do(t, "GET", connsPath+"/"+c.ID+"/credentials", e.OwnerKey, nil), http.StatusOK)

		editor := e.Key(t, "default", switchboard.RoleEditor)
		got := wantError(t, e.Do(t, "GET", connsPath+"/"+c.ID+"/credentials", editor, nil), http.StatusForbidden, "4030")
		if want := "this needs the credentials:read scope"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		if r := e.Do(t, "GET", connsPath+"/"+c.ID+"/credentials", editor, nil); bytes.Contains(r.Body, []byte("kafka-pass")) {
			t.Errorf("403 body holds the secret")
		}
		viewerWithScope := e.Key(t, "default", switchboard.RoleViewer, switchboard.ScopeCredentialsRead)
		wantStatus(t, e.Do(t, "GET", connsPath+"/"+c.ID+"/credentials", viewerWithScope, nil), http.StatusOK)

		evs := audit(t, e, c.ID, "connection.credentials.read")
		if len(evs) != 3 {
			t.Fatalf("connection.credentials.read events = %d, want 3 (the 403 reads must not count)", len(evs))
		}
		raw, _ := json.Marshal(evs)
		for _, s := range []string{"kafka-pass-123456", "cred-a-0123456789", "cred-b-password-xyz", "cred-c-token-abcdef"} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("audit events hold secret %q", s)
			}
		}
		full := e.Do(t, "GET", "/v1/workspaces/default/audit?page_size=1000", e.OwnerKey, nil)
		for _, s := range []string{"kafka-pass-123456", "cred-a-0123456789", "cred-b-password-xyz", "cred-c-token-abcdef"} {
			if bytes.Contains(full.Body, []byte(s)) {
				t.Errorf("audit list holds secret %q", s)
			}
			if strings.Contains(e.Logs(), s) {
				t.Errorf("log holds secret %q", s)
			}
		}
		wantError(t, e.Do(t, "GET", connsPath+"/conn_nope/credentials", e.OwnerKey, nil), http.StatusNotFound, "4040")
	})
}

func TestReusableCredentials(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		const credsPath = "/v1/workspaces/default/credentials"
		a := createCred(t, e, "prod key", "api_key", map[string]string{"api_key": "ak-0123456789abcd"})
		if diff := cmp.Diff(map[string]any{"api_key": "****abcd"}, a.Data); diff != "" {
			t.Errorf("masked data (-want +got):\n%s", diff)
		}
		if !strings.HasPrefix(a.ID, "cred_") {
			t.Errorf("id = %q", a.ID)
		}
		short := createCred(t, e, "short", "bearer", map[string]string{"token": "tiny"})
		if short.Data["token"] != "****" {
			t.Errorf("short token masked as %v", short.Data["token"])
		}
		r := e.Do(t, "GET", credsPath+"/"+a.ID, e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.Body, []byte("ak-0123456789abcd")) {
			t.Errorf("GET credential holds the secret")
		}
		r = e.Do(t, "GET", credsPath, e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.Body, []byte("ak-0123456789abcd")) {
			t.Errorf("credential list holds the secret")
		}

		for _, tc := range []struct {
			name string
			body map[string]any
			want detail
		}{
			{"missing value", map[string]any{"name": "x", "type": "api_key", "data": map[string]string{"other": "v"}}, detail{Field: "data.api_key", Reason: "required"}},
			{"bad type", map[string]any{"name": "x", "type": "magic", "data": map[string]string{"k": "v"}}, detail{Field: "type", Reason: "enum"}},
			{"no name", map[string]any{"name": " ", "type": "bearer", "data": map[string]string{"token": "v"}}, detail{Field: "name", Reason: "required"}},
			{"no data", map[string]any{"name": "x", "type": "bearer"}, detail{Field: "data", Reason: "required"}},
		} {
			got := wantError(t, e.Do(t, "POST", credsPath, e.OwnerKey, tc.body), http.StatusBadRequest, "4000")
			if diff := cmp.Diff([]detail{tc.want}, got.Details); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
		got := wantError(t, e.Do(t, "POST", credsPath, e.OwnerKey, map[string]any{
			"name": "prod key", "type": "bearer", "data": map[string]string{"token": "t"}}), http.StatusConflict, "4090")
		if want := "a credential named prod key already exists"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}

		body := bearerBody("uses-cred")
		body["credentials"] = map[string]any{"action": []string{a.ID, "cred_doesnotexist"}}
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "credentials.action[1]", Reason: "invalid"})
		body["credentials"] = map[string]any{"trigger": []string{"cred_doesnotexist"}}
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, body), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "credentials.trigger[0]", Reason: "invalid"})

		body["credentials"] = map[string]any{"action": []string{a.ID}}
		c := createConn(t, e, e.OwnerKey, "default", body)
		if diff := cmp.Diff([]string{a.ID}, c.Credentials.Action); diff != "" {
			t.Errorf("action (-want +got):\n%s", diff)
		}

		got = wantError(t, e.Do(t, "DELETE", credsPath+"/"+a.ID, e.OwnerKey, nil), http.StatusConflict, "4090")
		if want := "the credential is used by 1 connections"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		wantStatus(t, e.Do(t, "GET", credsPath+"/"+a.ID, e.OwnerKey, nil), http.StatusOK)

		// A PATCH that references a missing credential is refused; moving the reference
		// to the trigger slot keeps the credential in use.
		got = wantError(t, e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, map[string]any{
			"credentials": map[string]any{"action": []string{"cred_nope"}}}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "credentials.action[0]", Reason: "invalid"})
		wantStatus(t, e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, map[string]any{
			"credentials": map[string]any{"action": []string{}, "trigger": []string{a.ID}}}), http.StatusOK)
		wantError(t, e.Do(t, "DELETE", credsPath+"/"+a.ID, e.OwnerKey, nil), http.StatusConflict, "4090")

		// Dropping the reference frees it.
		wantStatus(t, e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, map[string]any{"credentials": nil}), http.StatusOK)
		wantStatus(t, e.Do(t, "DELETE", credsPath+"/"+a.ID, e.OwnerKey, nil), http.StatusNoContent)
		wantError(t, e.Do(t, "GET", credsPath+"/"+a.ID, e.OwnerKey, nil), http.StatusNotFound, "4040")
	})
}

func TestConnectors(t *testing.T) {
	schemaV1 := map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"url", "api_token"},
		"properties": map[string]any{
			"url":       map[string]any{"type": "string"},
			"api_token": map[string]any{"type": "string", "writeOnly": true},
			"mode":      map[string]any{"enum": []string{"fast", "safe"}},
		},
	}
	schemaV2 := map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"url", "api_token", "region"},
		"properties": map[string]any{
			"url":       map[string]any{"type": "string"},
			"api_token": map[string]any{"type": "string", "writeOnly": true},
			"region":    map[string]any{"type": "string"},
		},
	}
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		r := e.Do(t, "GET", "/v1/connectors?page_size=1000", e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		var builtins listOf[struct {
			ID      string `json:"id"`
			Key     string `json:"key"`
			BuiltIn bool   `json:"built_in"`
		}]
		r.JSON(t, &builtins)
		keys := map[string]bool{}
		for _, c := range builtins.Items {
			keys[c.Key] = c.BuiltIn
		}
		for _, k := range []string{"slash", "kafka", "http-api-key", "http-basic", "http-bearer", "github", "google", "stripe", "postgres"} {
			if !keys[k] {
				t.Errorf("built-in %q missing from /v1/connectors (or not built_in)", k)
			}
		}
		wantStatus(t, e.Do(t, "GET", "/v1/connectors/kafka", e.OwnerKey, nil), http.StatusOK)

		const cp = "/v1/workspaces/default/connectors"
		r = e.Do(t, "POST", cp, e.OwnerKey, map[string]any{"key": "acme", "name": "Acme", "schema": schemaV1})
		wantStatus(t, r, http.StatusCreated)
		var def struct {
			ID            string `json:"id"`
			Key           string `json:"key"`
			BuiltIn       bool   `json:"built_in"`
			LatestVersion string `json:"latest_version"`
			Versions      []struct {
				Version      string   `json:"version"`
				SecretFields []string `json:"secret_fields"`
			} `json:"versions"`
		}
		r.JSON(t, &def)
		if !strings.HasPrefix(def.ID, "ctr_") || def.Key != "acme" || def.BuiltIn || def.LatestVersion != "1.0.0" ||
			len(def.Versions) != 1 || !cmp.Equal(def.Versions[0].SecretFields, []string{"api_token"}) {
			t.Errorf("created connector: %s", r.Body)
		}
		if got, want := r.Header.Get("Location"), cp+"/"+def.ID; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		// It is listed after the built-ins in the workspace list.
		r = e.Do(t, "GET", cp+"?page_size=1000", e.OwnerKey, nil)
		if !bytes.Contains(r.Body, []byte(`"key":"acme"`)) {
			t.Errorf("workspace connector list lacks acme: %s", r.Body)
		}

		cfg := map[string]any{"url": "https://acme.example.com", "api_token": "acme-token-0123456789"}
		byID := createConn(t, e, e.OwnerKey, "default", map[string]any{"connector_id": def.ID, "connection_name": "by-id", "config": cfg})
		byKey := createConn(t, e, e.OwnerKey, "default", map[string]any{"connector_id": "acme", "connection_name": "by-key", "config": cfg})
		for _, c := range []connJSON{byID, byKey} {
			if c.ConnectorID != def.ID || c.ConnectorVersion != "1.0.0" || c.Config["api_token"] != "****6789" ||
				!cmp.Equal(c.SecretFields, []string{"api_token"}) {
				t.Errorf("connection on workspace connector: %+v", c)
			}
		}
		// Names are unique per connector whether it was named by id or key.
		wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, map[string]any{"connector_id": "acme", "connection_name": "by-id", "config": cfg}),
			http.StatusConflict, "4090")
		bad := map[string]any{"url": "https://acme.example.com", "api_token": "acme-token-0123456789", "mode": "reckless"}
		got := wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, map[string]any{"connector_id": "acme", "connection_name": "bad", "config": bad}),
			http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "config.mode", Reason: "enum"})

		// Invalid schemas.
		for _, s := range []any{map[string]any{"type": 12}, "not an object", map[string]any{"properties": map[string]any{"x": map[string]any{"minLength": -1}}}} {
			got = wantError(t, e.Do(t, "POST", cp, e.OwnerKey, map[string]any{"key": "broken", "schema": s}), http.StatusBadRequest, "4000")
			wantDetails(t, got, detail{Field: "schema", Reason: "schema"})
		}
		got = wantError(t, e.Do(t, "POST", cp, e.OwnerKey, map[string]any{"key": "noschema"}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "schema", Reason: "required"})
		got = wantError(t, e.Do(t, "POST", cp, e.OwnerKey, map[string]any{"key": "Bad Key", "schema": schemaV1}), http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "key", Reason: "pattern"})

		// Duplicate keys.
		got = wantError(t, e.Do(t, "POST", cp, e.OwnerKey, map[string]any{"key": "acme", "schema": schemaV1}), http.StatusConflict, "4090")
		if want := "a connector with key acme already exists"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		wantError(t, e.Do(t, "POST", cp, e.OwnerKey, map[string]any{"key": "github", "schema": schemaV1}), http.StatusConflict, "4090")

		// A new version becomes the latest; connections can pin the old one.
		r = e.Do(t, "POST", cp+"/acme/versions", e.OwnerKey, map[string]any{"version": "2.0.0", "schema": schemaV2})
		wantStatus(t, r, http.StatusCreated)
		wantError(t, e.Do(t, "POST", cp+"/acme/versions", e.OwnerKey, map[string]any{"version": "2.0.0", "schema": schemaV2}),
			http.StatusConflict, "4090")
		wantError(t, e.Do(t, "POST", "/v1/workspaces/default/connectors/github/versions", e.OwnerKey, map[string]any{"version": "9.0.0", "schema": schemaV2}),
			http.StatusForbidden, "4030")

		pinned := createConn(t, e, e.OwnerKey, "default", map[string]any{
			"connector_id": "acme", "connector_version": "1.0.0", "connection_name": "pinned", "config": cfg})
		if pinned.ConnectorVersion != "1.0.0" {
			t.Errorf("pinned version = %q", pinned.ConnectorVersion)
		}
		// The latest (2.0.0) needs region.
		got = wantError(t, e.Do(t, "POST", connsPath, e.OwnerKey, map[string]any{"connector_id": "acme", "connection_name": "latest", "config": cfg}),
			http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "config.region", Reason: "required"})
		cfg2 := map[string]any{"url": "https://acme.example.com", "api_token": "acme-token-0123456789", "region": "eu"}
		latest := createConn(t, e, e.OwnerKey, "default", map[string]any{"connector_id": "acme", "connection_name": "latest", "config": cfg2})
		if latest.ConnectorVersion != "2.0.0" {
			t.Errorf("latest version = %q, want 2.0.0", latest.ConnectorVersion)
		}
		r = e.Do(t, "GET", cp+"/acme", e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		r.JSON(t, &def)
		if def.LatestVersion != "2.0.0" || len(def.Versions) != 2 {
			t.Errorf("connector after new version: %s", r.Body)
		}
		// Upgrading a pinned connection validates against the new version.
		got = wantError(t, e.Do(t, "PATCH", connsPath+"/"+pinned.ID, e.OwnerKey, map[string]any{"connector_version": "2.0.0"}),
			http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "config.region", Reason: "required"})
		r = e.Do(t, "PATCH", connsPath+"/"+pinned.ID, e.OwnerKey, map[string]any{"connector_version": "2.0.0", "config": map[string]any{"region": "us"}})
		wantStatus(t, r, http.StatusOK)
		var up connJSON
		r.JSON(t, &up)
		if up.ConnectorVersion != "2.0.0" || up.Config["region"] != "us" || up.Config["api_token"] != "****6789" {
			t.Errorf("upgraded: %+v", up)
		}

		// Another workspace does not see acme.
		e.Workspace(t, "other")
		wantError(t, e.Do(t, "GET", "/v1/workspaces/other/connectors/acme", e.OwnerKey, nil), http.StatusNotFound, "4040")
		got = wantError(t, e.Do(t, "POST", "/v1/workspaces/other/connections", e.OwnerKey, map[string]any{"connector_id": "acme", "connection_name": "x", "config": cfg}),
			http.StatusBadRequest, "4000")
		wantDetails(t, got, detail{Field: "connector_id", Reason: "enum"})
	})
}

func TestWorkspaces(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		r := e.Do(t, "POST", "/v1/workspaces", e.OwnerKey, map[string]any{"id": "team-a"})
		wantStatus(t, r, http.StatusCreated)
		if got := r.Header.Get("Location"); got != "/v1/workspaces/team-a" {
			t.Errorf("Location = %q", got)
		}
		var ws struct {
			ID, Name string
			TenantID string `json:"tenant_id"`
		}
		r.JSON(t, &ws)
		if ws.ID != "team-a" || ws.Name != "team-a" || ws.TenantID != "default" {
			t.Errorf("workspace: %s", r.Body)
		}
		wantStatus(t, e.Do(t, "GET", "/v1/workspaces/team-a", e.OwnerKey, nil), http.StatusOK)

		for _, id := range []string{"bad id!", strings.Repeat("a", 65), "a/b", "ü"} {
			got := wantError(t, e.Do(t, "POST", "/v1/workspaces", e.OwnerKey, map[string]any{"id": id}), http.StatusBadRequest, "4000")
			wantDetails(t, got, detail{Field: "id", Reason: "pattern"})
		}
		wantStatus(t, e.Do(t, "POST", "/v1/workspaces", e.OwnerKey, map[string]any{"id": strings.Repeat("a", 64)}), http.StatusCreated)
		got := wantError(t, e.Do(t, "POST", "/v1/workspaces", e.OwnerKey, map[string]any{"id": "team-a"}), http.StatusConflict, "4090")
		if want := "workspace team-a already exists"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}
		// A generated id.
		r = e.Do(t, "POST", "/v1/workspaces", e.OwnerKey, map[string]any{"name": "Generated"})
		wantStatus(t, r, http.StatusCreated)
		r.JSON(t, &ws)
		if !strings.HasPrefix(ws.ID, "ws_") || ws.Name != "Generated" {
			t.Errorf("generated workspace: %s", r.Body)
		}

		// A key bound to one workspace cannot create workspaces, even as owner, and does not
		// see the others.
		_, bound := createKey(t, e, "default", switchboard.RoleOwner)
		got = wantError(t, e.Do(t, "POST", "/v1/workspaces", bound, map[string]any{"id": "team-z"}), http.StatusForbidden, "4030")
		wantError(t, e.Do(t, "GET", "/v1/workspaces/team-a", bound, nil), http.StatusNotFound, "4040")
		wantError(t, e.Do(t, "GET", "/v1/workspaces/team-a/connections", bound, nil), http.StatusNotFound, "4040")
		r = e.Do(t, "GET", "/v1/workspaces", bound, nil)
		wantStatus(t, r, http.StatusOK)
		var l listOf[struct{ ID string }]
		r.JSON(t, &l)
		if len(l.Items) != 1 || l.Items[0].ID != "default" {
			t.Errorf("bound key lists workspaces %s", r.Body)
		}
		// A connection in team-a is invisible from default.
		inA := createConn(t, e, e.OwnerKey, "team-a", bearerBody("secret-a"))
		wantError(t, e.Do(t, "GET", connsPath+"/"+inA.ID, e.OwnerKey, nil), http.StatusNotFound, "4040")
		wantError(t, e.Do(t, "GET", connsPath+"/"+inA.ID, bound, nil), http.StatusNotFound, "4040")
		wantError(t, e.Do(t, "GET", connsPath+"/"+inA.ID+"/credentials", e.OwnerKey, nil), http.StatusNotFound, "4040")
		wantError(t, e.Do(t, "DELETE", connsPath+"/"+inA.ID+"?force=true", e.OwnerKey, nil), http.StatusNotFound, "4040")
		wantError(t, e.Do(t, "PATCH", connsPath+"/"+inA.ID, e.OwnerKey, map[string]any{"description": "x"}), http.StatusNotFound, "4040")
		wantStatus(t, e.Do(t, "GET", "/v1/workspaces/team-a/connections/"+inA.ID, e.OwnerKey, nil), http.StatusOK)
	})
}

func TestRoles(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		c := createConn(t, e, e.OwnerKey, "default", bearerBody("existing"))
		cred := createCred(t, e, "k", "bearer", map[string]string{"token": "tok"})
		viewer := e.Key(t, "default", switchboard.RoleViewer)
		editor := e.Key(t, "default", switchboard.RoleEditor)

		for _, p := range []string{connsPath, connsPath + "/" + c.ID, connsPath + "/" + c.ID + "/usages",
			"/v1/workspaces/default", "/v1/workspaces/default/credentials", "/v1/connectors", "/v1/workspaces/default/connectors"} {
			wantStatus(t, e.Do(t, "GET", p, viewer, nil), http.StatusOK)
		}
		writes := []struct {
			method, path string
			body         any
		}{
			{"POST", connsPath, bearerBody("viewer-made")},
			{"PATCH", connsPath + "/" + c.ID, map[string]any{"description": "x"}},
			{"DELETE", connsPath + "/" + c.ID, nil},
			{"DELETE", connsPath + "/" + c.ID + "?force=true", nil},
			{"POST", connsPath + "/" + c.ID + "/usages", map[string]any{"consumer": "x"}},
			{"POST", "/v1/workspaces/default/credentials", map[string]any{"name": "n", "type": "bearer", "data": map[string]string{"token": "t"}}},
			{"PATCH", "/v1/workspaces/default/credentials/" + cred.ID, map[string]any{"name": "m"}},
			{"DELETE", "/v1/workspaces/default/credentials/" + cred.ID, nil},
			{"POST", "/v1/workspaces/default/connectors", map[string]any{"key": "v", "schema": map[string]any{"type": "object"}}},
			{"POST", "/v1/workspaces/default/api-keys", map[string]any{"name": "n", "role": "viewer", "scopes": []string{}}},
			{"POST", "/v1/workspaces", map[string]any{"id": "from-viewer"}},
		}
		for _, w := range writes {
			r := e.Do(t, w.method, w.path, viewer, w.body)
			if r.Status != http.StatusForbidden {
				t.Errorf("viewer %s %s: status %d, want 403; %s", w.method, w.path, r.Status, r.Body)
				continue
			}
			wantError(t, r, http.StatusForbidden, "4030")
		}
		// Nothing changed.
		if g := getConn(t, e, c.ID); g.Revision != 1 || g.Usages != 0 {
			t.Errorf("viewer writes changed the connection: %+v", g)
		}
		if l := listConns(t, e, ""); len(l.Items) != 1 {
			t.Errorf("viewer created a connection")
		}
		got := wantError(t, e.Do(t, "POST", connsPath, viewer, bearerBody("v")), http.StatusForbidden, "4030")
		if want := "this needs the editor role or higher"; got.Message != want {
			t.Errorf("message = %q, want %q", got.Message, want)
		}

		ec := createConn(t, e, editor, "default", bearerBody("by-editor"))
		if !strings.HasPrefix(ec.CreatedBy, "key_") {
			t.Errorf("created_by = %q, want the key id", ec.CreatedBy)
		}
		wantStatus(t, e.Do(t, "PATCH", connsPath+"/"+ec.ID, editor, map[string]any{"description": "d"}), http.StatusOK)
		wantError(t, e.Do(t, "POST", "/v1/workspaces/default/api-keys", editor, map[string]any{"name": "n", "role": "viewer", "scopes": []string{}}),
			http.StatusForbidden, "4030")
		wantError(t, e.Do(t, "GET", "/v1/workspaces/default/audit", editor, nil), http.StatusForbidden, "4030")
		wantStatus(t, e.Do(t, "DELETE", connsPath+"/"+ec.ID, editor, nil), http.StatusNoContent)

		// Unauthenticated.
		for _, tok := range []string{"", "garbage", "sbk_notarealkey0000000000000000000000", "a.b.c"} {
			r := e.Do(t, "GET", connsPath, tok, nil)
			got := wantError(t, r, http.StatusUnauthorized, "4010")
			if got.Message != "missing or invalid credentials" {
				t.Errorf("token %q: message %q", tok, got.Message)
			}
			if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
				t.Errorf("token %q: WWW-Authenticate = %q", tok, h)
			}
		}
		r := e.Do(t, "GET", connsPath, "", nil, "Authorization", "Basic dXNlcjpwYXNz")
		wantError(t, r, http.StatusUnauthorized, "4010")

		// Revocation.
		keyID, key := createKey(t, e, "default", switchboard.RoleEditor)
		wantStatus(t, e.Do(t, "GET", connsPath, key, nil), http.StatusOK)
		wantStatus(t, e.Do(t, "DELETE", "/v1/workspaces/default/api-keys/"+keyID, e.OwnerKey, nil), http.StatusNoContent)
		wantError(t, e.Do(t, "GET", connsPath, key, nil), http.StatusUnauthorized, "4010")
		wantError(t, e.Do(t, "POST", connsPath, key, bearerBody("after-revoke")), http.StatusUnauthorized, "4010")
		wantError(t, e.Do(t, "DELETE", "/v1/workspaces/default/api-keys/key_nope", e.OwnerKey, nil), http.StatusNotFound, "4040")
		// A key of another workspace cannot be revoked through this one.
		e.Workspace(t, "other")
		otherID, otherKey := createKey(t, e, "other", switchboard.RoleViewer)
		wantError(t, e.Do(t, "DELETE", "/v1/workspaces/default/api-keys/"+otherID, e.OwnerKey, nil), http.StatusNotFound, "4040")
		wantStatus(t, e.Do(t, "GET", "/v1/workspaces/other", otherKey, nil), http.StatusOK)
	})
}

func TestJWT(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		claims := auth.Claims{Subject: "user-1", TenantID: "default", Workspaces: []string{"default"}, Role: switchboard.RoleEditor}
		tok := e.Token(t, claims)
		c := createConn(t, e, tok, "default", bearerBody("jwt"))
		if c.CreatedBy != "user-1" {
			t.Errorf("created_by = %q, want user-1", c.CreatedBy)
		}
		wantError(t, e.Do(t, "GET", connsPath+"/"+c.ID+"/credentials", tok, nil), http.StatusForbidden, "4030")
		wantError(t, e.Do(t, "POST", "/v1/workspaces", tok, map[string]any{"id": "x"}), http.StatusForbidden, "4030")
		e.Workspace(t, "elsewhere")
		wantError(t, e.Do(t, "GET", "/v1/workspaces/elsewhere/connections", tok, nil), http.StatusNotFound, "4040")

		withScope := e.Token(t, auth.Claims{Subject: "user-2", TenantID: "default", Workspaces: []string{"default"},
			Role: switchboard.RoleViewer, Scopes: []string{switchboard.ScopeCredentialsRead}})
		wantStatus(t, e.Do(t, "GET", connsPath+"/"+c.ID+"/credentials", withScope, nil), http.StatusOK)
		wantError(t, e.Do(t, "POST", connsPath, withScope, bearerBody("no")), http.StatusForbidden, "4030")

		sign := func(secret string, mc jwt.MapClaims) string {
			t.Helper()
			s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, mc).SignedString([]byte(secret))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		base := func(exp time.Time) jwt.MapClaims {
			return jwt.MapClaims{"sub": "user-1", "tenant_id": "default", "workspaces": []string{"default"}, "role": "editor",
				"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": exp.Unix()}
		}
		// The hand-made token works with the right secret, so the failures below are about
		// what they change.
		wantStatus(t, e.Do(t, "GET", connsPath, sign(testenv.JWTSecret, base(time.Now().Add(time.Hour))), nil), http.StatusOK)
		noExp := base(time.Now())
		delete(noExp, "exp")
		wrongSecret, err := auth.MintHS256([]byte("another-secret-0123456789abcdef0123"), claims, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		otherTenant := base(time.Now().Add(time.Hour))
		otherTenant["tenant_id"] = "acme"
		for name, tok := range map[string]string{
			"expired":      sign(testenv.JWTSecret, base(time.Now().Add(-time.Hour))),
			"wrong secret": wrongSecret,
			"no exp":       sign(testenv.JWTSecret, noExp),
			"alg none":     strings.Join(strings.Split(sign(testenv.JWTSecret, base(time.Now().Add(time.Hour))), ".")[:2], ".") + ".",
		} {
			r := e.Do(t, "GET", connsPath, tok, nil)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, r.Status)
				continue
			}
			wantError(t, r, http.StatusUnauthorized, "4010")
		}
		// A token of another tenant sees no workspace of this one.
		r := e.Do(t, "GET", connsPath, sign(testenv.JWTSecret, otherTenant), nil)
		if r.Status != http.StatusNotFound && r.Status != http.StatusUnauthorized {
			t.Errorf("other tenant: status %d %s", r.Status, r.Body)
		}
	})
}
