package client_test

// These tests run the client against a whole Switchboard started in-process on 127.0.0.1
// (internal/testenv), on each storage driver.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/client"
	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// secretToken is the bearer token every connection of these tests holds: no answer but the
// credentials read may contain it.
const secretToken = "tok_live_9f8e7d6c5b4a39281706"

func eachDriver(t *testing.T, f func(t *testing.T, e *testenv.Env, c *client.Client)) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, d)
			// Health checks may reach 127.0.0.1, where upstream (an API that accepts any
			// bearer) listens.
			e.Service.SetHealthChecker(health.New(outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}))
			c, err := client.New(e.URL, e.OwnerKey)
			if err != nil {
				t.Fatal(err)
			}
			f(t, e, c)
		})
	}
}

func bearer(name string) client.ConnectionCreate {
	return client.ConnectionCreate{
		ConnectorID: "http-bearer", Name: name,
		Config: map[string]any{"base_url": "https://api.example.com", "token": secretToken},
	}
}

// noSecret fails when v, rendered as JSON or with %+v, holds the connections' secret.
func noSecret(t *testing.T, what string, v any) {
	t.Helper()
	raw, _ := json.Marshal(v)
	if strings.Contains(string(raw), secretToken) || strings.Contains(fmt.Sprintf("%+v", v), secretToken) {
		t.Errorf("%s holds the secret", what)
	}
}

func apiError(t *testing.T, err error, status int, code string) *client.Error {
	t.Helper()
	e, ok := errors.AsType[*client.Error](err)
	if !ok {
		t.Fatalf("err = %v (%T), want *client.Error", err, err)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("err = %d %s %q, want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	if e.RequestID == "" || e.Message == "" {
		t.Errorf("err = %+v: no request id or message", e)
	}
	return e
}

func TestWorkspaces(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		e.Workspace(t, "team-b")
		p, err := c.ListWorkspaces(ctx, client.ListOptions{PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.NextPageToken == "" {
			t.Fatalf("first page = %+v, want 1 item and a next token", p)
		}
		var ids []string
		for ws, err := range c.AllWorkspaces(ctx, client.ListOptions{PageSize: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ws.ID)
		}
		if !slices.Contains(ids, "default") || !slices.Contains(ids, "team-b") {
			t.Errorf("workspaces = %v", ids)
		}
		ws, err := c.GetWorkspace(ctx, "default")
		if err != nil || ws.ID != "default" || ws.TenantID != "default" || ws.CreatedAt.IsZero() {
			t.Fatalf("GetWorkspace = %+v, %v", ws, err)
		}
		_, err = c.GetWorkspace(ctx, "no-such-ws")
		apiError(t, err, 404, client.CodeNotFound)
		if !client.IsNotFound(err) {
			t.Error("IsNotFound = false")
		}
	})
}

func TestConnectors(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		for _, ws := range []string{"", "default"} {
			var keys []string
			for ctr, err := range c.AllConnectors(ctx, ws, client.ListOptions{PageSize: 3}) {
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, ctr.Key)
			}
			if !slices.Contains(keys, "http-bearer") || !slices.Contains(keys, "postgres") {
				t.Errorf("connectors of %q = %v", ws, keys)
			}
			ctr, err := c.GetConnector(ctx, ws, "http-bearer")
			if err != nil {
				t.Fatal(err)
			}
			v := ctr.Version("")
			if !ctr.BuiltIn || v == nil || !slices.Equal(v.SecretFields, []string{"token"}) || len(v.Schema) == 0 {
				t.Errorf("GetConnector(%q) = %+v", ws, ctr)
			}
		}
		_, err := c.GetConnector(ctx, "default", "no-such-connector")
		apiError(t, err, 404, client.CodeNotFound)
	})
}

func TestConnectionLifecycle(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+secretToken {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}))
		defer upstream.Close()
		in := bearer("crm")
		in.Config["base_url"] = upstream.URL
		in.Environment, in.ExternalXref, in.Tags = "staging", "user-1", []string{"blue"}
		conn, err := c.CreateConnection(ctx, "default", in)
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, "create answer", conn)
		if conn.Config["token"] != "****1706" || conn.Config["base_url"] != upstream.URL ||
			!slices.Equal(conn.SecretFields, []string{"token"}) || conn.Revision < 1 {
			t.Fatalf("created = %+v", conn)
		}
		got, err := c.GetConnection(ctx, "default", conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(conn, got); diff != "" {
			t.Errorf("get differs from create (-create +get):\n%s", diff)
		}

		// If-Match: the current revision applies, a stale one is refused and changes nothing.
		desc := "CRM of team A"
		upd, err := c.UpdateConnection(ctx, "default", conn.ID, client.ConnectionPatch{Description: &desc}, conn.Revision)
		if err != nil {
			t.Fatal(err)
		}
		if upd.Description != desc || upd.Revision != conn.Revision+1 || upd.Config["token"] != "****1706" {
			t.Fatalf("updated = %+v", upd)
		}
		other := "lost update"
		_, err = c.UpdateConnection(ctx, "default", conn.ID, client.ConnectionPatch{Description: &other}, conn.Revision)
		apiError(t, err, 412, client.CodePreconditionFailed)
		// Config merges; nil removes a key; no revision: last write wins.
		upd, err = c.UpdateConnection(ctx, "default", conn.ID, client.ConnectionPatch{
			Config: map[string]any{"base_url": upstream.URL + "/v2"},
		}, 0)
		if err != nil || upd.Config["base_url"] != upstream.URL+"/v2" || upd.Config["token"] != "****1706" {
			t.Fatalf("config merge = %+v, %v", upd, err)
		}
		_, err = c.UpdateConnection(ctx, "default", conn.ID, client.ConnectionPatch{Config: map[string]any{"token": nil}}, 0)
		ve := apiError(t, err, 400, client.CodeInvalid)
		if len(ve.Fields) == 0 || !strings.Contains(ve.Fields[0].Field, "token") {
			t.Errorf("removing a required secret: fields = %+v", ve.Fields)
		}

		cred, err := c.GetConnectionCredentials(ctx, "default", conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cred.Config["token"] != secretToken || cred.ConnectionID != conn.ID {
			t.Errorf("credentials: config token not in clear (%d fields)", len(cred.Config))
		}

		test, err := c.TestConnection(ctx, "default", conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if test.Connection.ID != conn.ID || !test.Result.Healthy || test.Result.CheckedAt.IsZero() {
			t.Errorf("test = %+v", test.Result)
		}
		noSecret(t, "test answer", test)

		u, err := c.AddUsage(ctx, "default", conn.ID, "workflow:42")
		if err != nil {
			t.Fatal(err)
		}
		us, err := c.ListUsages(ctx, "default", conn.ID)
		if err != nil || len(us) != 1 || us[0].ID != u.ID || us[0].Consumer != "workflow:42" {
			t.Fatalf("usages = %+v, %v", us, err)
		}
		err = c.DeleteConnection(ctx, "default", conn.ID, false)
		apiError(t, err, 409, client.CodeConflict)
		if err := c.DeleteUsage(ctx, "default", conn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddUsage(ctx, "default", conn.ID, "workflow:43"); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteConnection(ctx, "default", conn.ID, true); err != nil {
			t.Fatalf("forced delete: %v", err)
		}
		_, err = c.GetConnection(ctx, "default", conn.ID)
		apiError(t, err, 404, client.CodeNotFound)
		err = c.DeleteConnection(ctx, "default", conn.ID, false)
		apiError(t, err, 404, client.CodeNotFound)
	})
}

func TestConnectionCreateErrors(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		in := bearer("dup")
		in.IdempotencyKey = "import-row-1"
		first, err := c.CreateConnection(ctx, "default", in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := c.CreateConnection(ctx, "default", in)
		if err != nil || again.ID != first.ID {
			t.Fatalf("replayed create = %v, %v; want the first connection", again, err)
		}
		in.IdempotencyKey = ""
		_, err = c.CreateConnection(ctx, "default", in)
		apiError(t, err, 409, client.CodeConflict)

		bad := bearer("bad")
		bad.Config["base_url"] = "ftp://nope"
		_, err = c.CreateConnection(ctx, "default", bad)
		ve := apiError(t, err, 400, client.CodeInvalid)
		if len(ve.Fields) != 1 || ve.Fields[0].Field != "config.base_url" {
			t.Errorf("fields = %+v", ve.Fields)
		}
		if strings.Contains(err.Error(), secretToken) || !strings.Contains(err.Error(), "config.base_url") {
			t.Errorf("error text = %q", err)
		}
		_, err = c.CreateConnection(ctx, "nope", bearer("x"))
		apiError(t, err, 404, client.CodeNotFound)
	})
}

func TestListConnectionsFilters(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		var ids []string
		for i := range 5 {
			in := bearer(fmt.Sprintf("c%d", i))
			in.Environment = []string{"production", "staging"}[i%2]
			in.ExternalXref = fmt.Sprintf("user-%d", i)
			in.Tags = []string{fmt.Sprintf("t%d", i%3)}
			conn, err := c.CreateConnection(ctx, "default", in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, conn.ID)
		}
		pg, err := c.CreateConnection(ctx, "default", client.ConnectionCreate{
			ConnectorID: "postgres", Name: "db",
			Config: map[string]any{"host": "db.internal", "database": "app", "user": "app", "password": secretToken},
		})
		if err != nil {
			t.Fatal(err)
		}
		list := func(f client.ConnectionFilter) []string {
			t.Helper()
			var out []string
			for conn, err := range c.AllConnections(ctx, "default", f) {
				if err != nil {
					t.Fatal(err)
				}
				noSecret(t, "listed connection", conn)
				out = append(out, conn.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    client.ConnectionFilter
			want []string
		}{
			{"all, pages of 2", client.ConnectionFilter{ListOptions: client.ListOptions{PageSize: 2}}, append(slices.Clone(ids), pg.ID)},
			{"connector", client.ConnectionFilter{ConnectorID: "postgres"}, []string{pg.ID}},
			{"environment", client.ConnectionFilter{ConnectorID: "http-bearer", Environment: "staging"}, []string{ids[1], ids[3]}},
			{"external ref", client.ConnectionFilter{ExternalXref: "user-4"}, []string{ids[4]}},
			{"tag", client.ConnectionFilter{Tag: "t0"}, []string{ids[0], ids[3]}},
			{"status", client.ConnectionFilter{Status: "PENDING", ConnectorID: "postgres"}, []string{pg.ID}},
			{"none", client.ConnectionFilter{ExternalXref: "nobody"}, nil},
		} {
			if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
		p, err := c.ListConnections(ctx, "default", client.ConnectionFilter{ListOptions: client.ListOptions{PageSize: 4}})
		if err != nil || len(p.Items) != 4 || p.NextPageToken == "" {
			t.Fatalf("page 1 = %d items, next %q, %v", len(p.Items), p.NextPageToken, err)
		}
		p, err = c.ListConnections(ctx, "default", client.ConnectionFilter{ListOptions: client.ListOptions{PageSize: 4, PageToken: p.NextPageToken}})
		if err != nil || len(p.Items) != 2 || p.NextPageToken != "" {
			t.Fatalf("page 2 = %d items, next %q, %v", len(p.Items), p.NextPageToken, err)
		}
		_, err = c.ListConnections(ctx, "default", client.ConnectionFilter{Status: "SLEEPY"})
		apiError(t, err, 400, client.CodeInvalid)
		_, err = c.ListConnections(ctx, "default", client.ConnectionFilter{ListOptions: client.ListOptions{PageToken: "garbage!"}})
		apiError(t, err, 400, client.CodeInvalid)
	})
}

func TestWebhookEndpoints(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		ep, err := c.CreateWebhookEndpoint(ctx, "default", client.WebhookEndpointCreate{
			URL: "https://hooks.example.com/switchboard", Events: []string{"connection.created"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ep.Secret, "whsec_") || !ep.Enabled || !slices.Equal(ep.Events, []string{"connection.created"}) {
			t.Fatalf("created = %+v", ep)
		}
		got, err := c.GetWebhookEndpoint(ctx, "default", ep.ID)
		if err != nil || got.Secret != "" || got.URL != ep.URL {
			t.Fatalf("get = %+v, %v (the secret is shown only at create)", got, err)
		}
		off := false
		upd, err := c.UpdateWebhookEndpoint(ctx, "default", ep.ID, client.WebhookEndpointPatch{
			Enabled: &off, Events: []string{"connection.created", "connection.deleted"},
		})
		if err != nil || upd.Enabled || len(upd.Events) != 2 {
			t.Fatalf("update = %+v, %v", upd, err)
		}
		var listed []string
		for w, err := range c.AllWebhookEndpoints(ctx, "default", client.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			listed = append(listed, w.ID)
		}
		if !slices.Equal(listed, []string{ep.ID}) {
			t.Errorf("listed = %v", listed)
		}
		d, err := c.TestWebhookEndpoint(ctx, "default", ep.ID)
		if err != nil || d.EndpointID != ep.ID || d.ID == "" {
			t.Fatalf("test = %+v, %v", d, err)
		}
		p, err := c.ListWebhookDeliveries(ctx, "default", ep.ID, client.ListOptions{})
		if err != nil || len(p.Items) != 1 || p.Items[0].ID != d.ID {
			t.Fatalf("deliveries = %+v, %v", p, err)
		}
		rot, err := c.RotateWebhookSecret(ctx, "default", ep.ID)
		if err != nil || !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == ep.Secret || rot.PreviousSecretExpiresAt == nil {
			t.Fatalf("rotate = %v", err)
		}
		_, err = c.CreateWebhookEndpoint(ctx, "default", client.WebhookEndpointCreate{URL: "ftp://x"})
		apiError(t, err, 400, client.CodeInvalid)
		if err := c.DeleteWebhookEndpoint(ctx, "default", ep.ID); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetWebhookEndpoint(ctx, "default", ep.ID)
		apiError(t, err, 404, client.CodeNotFound)
	})
}

func TestAPIKeysAndAuthErrors(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		k, err := c.CreateAPIKey(ctx, "default", client.APIKeyCreate{Name: "ci", Role: "viewer"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k.Key, "sbk_") || k.Role != "viewer" || !strings.HasPrefix(k.Key, k.Prefix) {
			t.Fatalf("created key: role %q prefix %q", k.Role, k.Prefix)
		}
		viewer, err := client.New(e.URL, k.Key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := viewer.ListConnections(ctx, "default", client.ConnectionFilter{}); err != nil {
			t.Fatalf("viewer list: %v", err)
		}
		_, err = viewer.CreateConnection(ctx, "default", bearer("nope"))
		apiError(t, err, 403, client.CodeForbidden)
		if strings.Contains(err.Error(), k.Key) {
			t.Error("the error text holds the key")
		}
		var found bool
		for key, err := range c.AllAPIKeys(ctx, "default", client.ListOptions{PageSize: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if key.Key != "" {
				t.Error("a listed key carries the key itself")
			}
			found = found || key.ID == k.ID
		}
		if !found {
			t.Error("the new key is not listed")
		}
		if err := c.RevokeAPIKey(ctx, "default", k.ID); err != nil {
			t.Fatal(err)
		}
		_, err = viewer.ListConnections(ctx, "default", client.ConnectionFilter{})
		apiError(t, err, 401, client.CodeUnauthenticated)
		err = c.RevokeAPIKey(ctx, "default", "key_nope")
		apiError(t, err, 404, client.CodeNotFound)

		anon, _ := client.New(e.URL, "")
		_, err = anon.ListWorkspaces(ctx, client.ListOptions{})
		apiError(t, err, 401, client.CodeUnauthenticated)
		ja, _ := client.New(e.URL, "sbk_wrong", client.WithAcceptLanguage("ja"))
		_, err = ja.ListWorkspaces(ctx, client.ListOptions{})
		je := apiError(t, err, 401, client.CodeUnauthenticated)
		en := apiError(t, func() error { _, err := anon.ListWorkspaces(ctx, client.ListOptions{}); return err }(), 401, client.CodeUnauthenticated)
		if je.Message == en.Message {
			t.Errorf("Accept-Language ja: message %q is the English one", je.Message)
		}
	})
}

func TestAudit(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		var ids []string
		for i := range 3 {
			conn, err := c.CreateConnection(ctx, "default", bearer(fmt.Sprintf("a%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, conn.ID)
		}
		var created []string
		for ev, err := range c.AllAudit(ctx, "default", client.AuditFilter{Action: "connection.create", ListOptions: client.ListOptions{PageSize: 1}}) {
			if err != nil {
				t.Fatal(err)
			}
			noSecret(t, "audit event", ev)
			created = append(created, ev.ObjectID)
		}
		if diff := cmp.Diff(ids, created); diff != "" {
			t.Errorf("connection.create events, oldest first (-want +got):\n%s", diff)
		}
		p, err := c.ListAudit(ctx, "default", client.AuditFilter{ObjectID: ids[1]})
		if err != nil || len(p.Items) != 1 || p.Items[0].Action != "connection.create" || p.Items[0].Actor == "" {
			t.Fatalf("events of %s = %+v, %v", ids[1], p, err)
		}
		viewer, _ := client.New(e.URL, e.Key(t, "default", switchboard.RoleViewer))
		_, err = viewer.ListAudit(ctx, "default", client.AuditFilter{})
		apiError(t, err, 403, client.CodeForbidden)
	})
}

// TestWireFidelity: each object decoded by the client and marshaled again is the JSON the
// API sent, so nothing is lost or invented (a field the API adds fails here first).
func TestWireFidelity(t *testing.T) {
	e := testenv.New(t, "sqlite")
	c, err := client.New(e.URL, e.OwnerKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// The check fails without sending anything (loopback is not allowed here): a failed
	// result has every field.
	e.Service.SetHealthChecker(health.New(outbound.Config{}))
	in := bearer("wire")
	in.Config["base_url"] = "http://127.0.0.1:9"
	conn, err := c.CreateConnection(ctx, "default", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUsage(ctx, "default", conn.ID, "job:1"); err != nil {
		t.Fatal(err)
	}
	ep, err := c.CreateWebhookEndpoint(ctx, "default", client.WebhookEndpointCreate{URL: "https://hooks.example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TestWebhookEndpoint(ctx, "default", ep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RotateWebhookSecret(ctx, "default", ep.ID); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAPIKey(ctx, "default", client.APIKeyCreate{Role: "editor"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeAPIKey(ctx, "default", k.ID); err != nil {
		t.Fatal(err)
	}
	ws := "/v1/workspaces/default"
	for _, tc := range []struct {
		method, path string
		into         any
	}{
		{"GET", "/v1/workspaces", &client.Page[client.Workspace]{}},
		{"GET", ws, &client.Workspace{}},
		{"GET", "/v1/connectors", &client.Page[client.Connector]{}},
		{"GET", ws + "/connectors/postgres", &client.Connector{}},
		{"GET", ws + "/connectors/github", &client.Connector{}},
		{"GET", ws + "/connections", &client.Page[client.Connection]{}},
		{"GET", ws + "/connections/" + conn.ID, &client.Connection{}},
		{"POST", ws + "/connections/" + conn.ID + "/test", &client.ConnectionTest{}},
		{"GET", ws + "/connections/" + conn.ID + "/credentials", &client.ConnectionCredentials{}},
		{"GET", ws + "/connections/" + conn.ID + "/usages", &client.Page[client.Usage]{}},
		{"GET", ws + "/audit", &client.Page[client.AuditEvent]{}},
		{"GET", ws + "/api-keys", &client.Page[client.APIKey]{}},
		{"POST", ws + "/api-keys", &client.APIKey{}},
		{"GET", ws + "/webhook-endpoints", &client.Page[client.WebhookEndpoint]{}},
		{"POST", ws + "/webhook-endpoints/" + ep.ID + "/rotate-secret", &client.WebhookEndpoint{}},
		{"GET", ws + "/webhook-endpoints/" + ep.ID + "/deliveries", &client.Page[client.WebhookDelivery]{}},
		{"GET", "/v1/keyring", &client.KeyringStatus{}},
	} {
		var body any
		if tc.method == "POST" && strings.HasSuffix(tc.path, "/api-keys") {
			body = map[string]any{"role": "viewer", "name": "wire"}
		}
		r := e.Do(t, tc.method, tc.path, e.OwnerKey, body)
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d", tc.method, tc.path, r.Status)
		}
		if err := json.Unmarshal(r.Body, tc.into); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		again, err := json.Marshal(tc.into)
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal(r.Body, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(again, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s: re-marshaled differs (-api +client):\n%s", tc.method, tc.path, diff)
		}
	}
}

// TestErrorNotFromAPI: an answer that is not the API's error body (a proxy's page) gives an
// *Error with the status and no code, and none of the body's text.
func TestErrorNotFromAPI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_proxy")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>upstream said: password=hunter2</html>")
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL+"/prefix/", "sbk_token_value")
	_, err := c.GetConnection(t.Context(), "default", "conn_1")
	e, ok := errors.AsType[*client.Error](err)
	if !ok || e.Status != 502 || e.Code != "" || e.Message != "bad gateway" || e.RequestID != "req_proxy" {
		t.Fatalf("err = %#v", err)
	}
	if s := err.Error(); strings.Contains(s, "hunter2") || strings.Contains(s, "sbk_token_value") {
		t.Errorf("error text %q holds the body or the token", s)
	}
}

// TestRequestShape: paths are escaped segment by segment under the base URL's prefix, the
// token goes as a bearer header, a patch is a merge patch with If-Match.
func TestRequestShape(t *testing.T) {
	t.Parallel()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		got = append(got, fmt.Sprintf("%s %s?%s auth=%s ct=%s if=%s body=%s",
			r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"),
			r.Header.Get("Content-Type"), r.Header.Get("If-Match"), strings.TrimSpace(buf.String())))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL+"/sb", "T")
	ctx := t.Context()
	name := "n"
	_, _ = c.GetConnection(ctx, "w s", "a/b")
	_, _ = c.UpdateConnection(ctx, "ws", "c1", client.ConnectionPatch{Name: &name, ClearConfig: true}, 7)
	_ = c.DeleteConnection(ctx, "ws", "c1", true)
	_, _ = c.ListConnections(ctx, "ws", client.ConnectionFilter{ConnectorID: "pg", Tag: "x", ListOptions: client.ListOptions{PageSize: 5}})
	want := []string{
		`GET /sb/v1/workspaces/w%20s/connections/a%2Fb? auth=Bearer T ct= if= body=`,
		`PATCH /sb/v1/workspaces/ws/connections/c1? auth=Bearer T ct=application/merge-patch+json if="7" body={"config":null,"connection_name":"n"}`,
		`DELETE /sb/v1/workspaces/ws/connections/c1?force=true auth=Bearer T ct= if= body=`,
		`GET /sb/v1/workspaces/ws/connections?connector_id=pg&page_size=5&tag=x auth=Bearer T ct= if= body=`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestUnreachable: a server that is not there gives the transport's error, not an *Error.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := client.New("http://"+addr, "sbk_secret_token")
	_, err = c.ListWorkspaces(t.Context(), client.ListOptions{})
	if err == nil || errors.As(err, new(*client.Error)) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "sbk_secret_token") {
		t.Error("the error holds the token")
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://host", "http://", "http://[::1"} {
		if _, err := client.New(u, "t"); err == nil {
			t.Errorf("New(%q) = nil error", u)
		}
	}
}

// TestConnectionPatchJSON: a patch read from JSON (a file a user wrote) is the patch that
// writes that JSON; unknown fields are refused.
func TestConnectionPatchJSON(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"config":null,"connection_name":"n","tags":[]}`,
		`{"config":{"a":1,"b":null},"description":"","enabled":false,"credentials":{"action":["cred_1"],"trigger":[]}}`,
		`{}`,
	} {
		var p client.ConnectionPatch
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		_ = json.Unmarshal([]byte(body), &want)
		_ = json.Unmarshal(again, &got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-in +out):\n%s", body, diff)
		}
	}
	var p client.ConnectionPatch
	if err := json.Unmarshal([]byte(`{"connector_id":"x"}`), &p); err == nil {
		t.Error("connector_id (not patchable) accepted")
	}
}

func TestKeyring(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env, c *client.Client) {
		ctx := t.Context()
		if _, err := c.CreateConnection(ctx, "default", bearer("sealed")); err != nil {
			t.Fatal(err)
		}
		st, err := c.GetKeyring(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.ActiveKeyID == "" || len(st.Keys) != 1 || st.Keys[0].ID != st.ActiveKeyID || !st.Keys[0].Active ||
			st.Keys[0].Rows != 1 || !st.Rewrap.Complete || st.Rewrap.Remaining != 0 {
			t.Errorf("keyring = %+v", st)
		}
		admin, _ := client.New(e.URL, e.Key(t, "default", switchboard.RoleAdmin))
		_, err = admin.GetKeyring(ctx)
		apiError(t, err, 403, client.CodeForbidden)
	})
}
