package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestRoleMatrix covers the native API; this file covers the rest of Routes(): the five
// vendor families (API key, tenant-wide JWT and, on SecMaster, an access key signing the
// request, each with and without credentials:read) and the console (signed in with an API
// key of each role). A route missing from compatPolicy or consolePolicy fails the test.

// compatPolicy is the declared authorization of every vendor route: what its native
// equivalent requires. Reading a secret back needs credentials:read like
// GET .../connections/{id}/credentials.
var compatPolicy = map[string]required{
	"secmaster POST /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials":              {role: switchboard.RoleEditor},
	"secmaster GET /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials":               {role: switchboard.RoleViewer},
	"secmaster GET /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}":    {role: switchboard.RoleViewer},
	"secmaster PUT /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}":    {role: switchboard.RoleEditor},
	"secmaster DELETE /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials/{asset_id}": {role: switchboard.RoleEditor},
	"secmaster GET /v1/{project_id}/workspaces/{workspace_id}/soc/components":                     {role: switchboard.RoleViewer},
	"secmaster GET /v1/{project_id}/workspaces/{workspace_id}/soc/components/{component_id}":      {role: switchboard.RoleViewer},

	"versori GET /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections":                    {role: switchboard.RoleViewer},
	"versori POST /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections":                   {role: switchboard.RoleEditor},
	"versori GET /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections/{connection_id}":    {role: switchboard.RoleViewer},
	"versori PUT /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections/{connection_id}":    {role: switchboard.RoleEditor},
	"versori DELETE /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections/{connection_id}": {role: switchboard.RoleEditor},
	"versori PUT /api/connect/v1/o/{organisation_id}/credentials/{credential_id}":                              {role: switchboard.RoleEditor},

	"slash POST /web/v1/workspaces/{workspaceId}/slash/connections":                            {role: switchboard.RoleEditor},
	"slash GET /web/v1/workspaces/{workspaceId}/slash/connections":                             {role: switchboard.RoleViewer},
	"slash GET /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}":           {role: switchboard.RoleViewer},
	"slash POST /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}/activate": {role: switchboard.RoleEditor},
	"slash POST /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}/suspend":  {role: switchboard.RoleEditor},
	"slash POST /web/v1/workspaces/{workspaceId}/slash/connections/{connectionBizId}/close":    {role: switchboard.RoleEditor},
	"slash GET /internal/slash/connections/{connectionBizId}/webhook-secret":                   {role: switchboard.RoleViewer, scope: true},

	"unified GET /unified/connection":         {role: switchboard.RoleViewer},
	"unified POST /unified/connection":        {role: switchboard.RoleEditor},
	"unified GET /unified/connection/{id}":    {role: switchboard.RoleViewer},
	"unified PUT /unified/connection/{id}":    {role: switchboard.RoleEditor},
	"unified PATCH /unified/connection/{id}":  {role: switchboard.RoleEditor},
	"unified DELETE /unified/connection/{id}": {role: switchboard.RoleEditor},

	"auth0 POST /api/v2/organizations":                                            {role: switchboard.RoleEditor},
	"auth0 POST /api/v2/organizations/{id}/connections":                           {role: switchboard.RoleEditor},
	"auth0 GET /api/v2/organizations/{id}/connections":                            {role: switchboard.RoleViewer},
	"auth0 GET /api/v2/organizations/{id}/connections/{connection_id}":            {role: switchboard.RoleViewer},
	"auth0 PATCH /api/v2/organizations/{id}/connections/{connection_id}":          {role: switchboard.RoleEditor},
	"auth0 DELETE /api/v2/organizations/{id}/connections/{connection_id}":         {role: switchboard.RoleEditor},
	"auth0 POST /api/v2/organizations/{id}/enabled_connections":                   {role: switchboard.RoleEditor},
	"auth0 GET /api/v2/organizations/{id}/enabled_connections":                    {role: switchboard.RoleViewer},
	"auth0 GET /api/v2/organizations/{id}/enabled_connections/{connection_id}":    {role: switchboard.RoleViewer},
	"auth0 PATCH /api/v2/organizations/{id}/enabled_connections/{connection_id}":  {role: switchboard.RoleEditor},
	"auth0 DELETE /api/v2/organizations/{id}/enabled_connections/{connection_id}": {role: switchboard.RoleEditor},
}

// matrixPrincipal is one caller of the matrix: a bearer token, or an access key that signs.
type matrixPrincipal struct {
	name       string
	role       switchboard.Role
	scope      bool
	token      string
	ak, sk     string // access key: the request is signed instead of carrying a bearer
	tenantWide bool
}

// doAs sends a request as p: with its bearer, or signed with its access key.
func doAs(t testing.TB, e *testenv.Env, p matrixPrincipal, method, path string, body []byte, headers ...string) *testenv.Response {
	t.Helper()
	if p.ak == "" {
		var b any
		if body != nil {
			b = body
		}
		return e.Do(t, method, path, p.token, b, headers...)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	req.Header.Set("X-Project-Id", "default")
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	signSDK(req, body, p.ak, p.sk, time.Now())
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// signSDK signs req the way Huawei Cloud's SDKs do (SDK-HMAC-SHA256), from the documented
// algorithm, as internal/compat/secmaster's tests do.
func signSDK(req *http.Request, body []byte, ak, sk string, at time.Time) {
	signed := []string{"user-agent", "x-project-id", "x-sdk-date"}
	req.Header.Set("X-Sdk-Date", at.UTC().Format("20060102T150405Z"))
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var segs []string
	for _, s := range strings.Split(req.URL.Path, "/") {
		segs = append(segs, esc(s))
	}
	q := req.URL.Query()
	var names, pairs []string
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			pairs = append(pairs, esc(k)+"="+esc(v))
		}
	}
	var hdrs strings.Builder
	for _, h := range signed {
		fmt.Fprintf(&hdrs, "%s:%s\n", h, strings.TrimSpace(req.Header.Get(h)))
	}
	bh := sha256.Sum256(body)
	cr := sha256.Sum256([]byte(strings.Join([]string{req.Method, strings.Join(segs, "/") + "/", strings.Join(pairs, "&"),
		hdrs.String(), strings.Join(signed, ";"), hex.EncodeToString(bh[:])}, "\n")))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + req.Header.Get("X-Sdk-Date") + "\n" + hex.EncodeToString(cr[:])))
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+hex.EncodeToString(mac.Sum(nil)))
}

// TestRoleMatrixFamilies is TestRoleMatrix for the vendor families.
func TestRoleMatrixFamilies(t *testing.T) {
	e := testenv.New(t, "sqlite")
	roles := []switchboard.Role{switchboard.RoleViewer, switchboard.RoleEditor, switchboard.RoleAdmin, switchboard.RoleOwner}
	var routes []string
	for _, rt := range e.Server.Routes() {
		if rt.Family == "" || rt.Family == "console" {
			continue
		}
		k := rt.Family + " " + rt.Method + " " + rt.Path
		if _, ok := compatPolicy[k]; !ok {
			t.Fatalf("route %s has no entry in compatPolicy; add one", k)
		}
		routes = append(routes, k)
	}
	owner := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
	var ps []matrixPrincipal
	for _, role := range roles {
		for _, scope := range []bool{false, true} {
			var scopes []string
			if scope {
				scopes = []string{switchboard.ScopeCredentialsRead}
			}
			ps = append(ps, matrixPrincipal{name: fmt.Sprintf("key/%s/scope=%v", role, scope), role: role, scope: scope,
				token: e.Key(t, "default", role, scopes...)})
			ps = append(ps, matrixPrincipal{name: fmt.Sprintf("jwt*/%s/scope=%v", role, scope), role: role, scope: scope, tenantWide: true,
				token: e.Token(t, auth.Claims{Subject: "user-" + string(role), TenantID: "default",
					Workspaces: []string{switchboard.AllWorkspaces}, Role: role, Scopes: scopes})})
			k, sk, err := e.Service.CreateAccessKey(owner, switchboard.APIKeyInput{WorkspaceID: "default", Role: role, Scopes: scopes, Name: "ak"})
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, matrixPrincipal{name: fmt.Sprintf("ak/%s/scope=%v", role, scope), role: role, scope: scope, ak: k.ID, sk: sk.Reveal()})
		}
	}
	mismatches, checked := 0, 0
	fx := newCompatFixture(t, e)
	auth0Org := fmt.Sprint(e.Do(t, "GET", "/v1/workspaces/default/organizations/mass-org", e.OwnerKey, nil).Map(t)["id"])
	for _, k := range routes {
		family, rest, _ := strings.Cut(k, " ")
		method, path, _ := strings.Cut(rest, " ")
		want := compatPolicy[k]
		for _, p := range ps {
			if p.ak != "" && family != "secmaster" {
				continue // access keys sign SecMaster's requests only
			}
			// Each request gets its own target, so deletes and transitions find something.
			params := fx.params
			var body []byte
			uniq := randHex(t, 4)
			if method != "GET" {
				params = freshTargets(t, e, fx, family)
				if f := fx.bodies[family+" "+method+" "+path]; f != nil {
					body = []byte(mustJSON(t, f(uniq)))
				}
			}
			if family == "auth0" {
				params = auth0Targets(t, e, auth0Org)
				switch {
				case method == "POST" && path != "/api/v2/organizations":
					body = []byte(mustJSON(t, fx.bodies["auth0 POST /api/v2/organizations/{id}/connections"](uniq)))
				case method == "PATCH":
					body = []byte(`{"is_enabled":true}`)
				}
			}
			if family == "versori" && method == "PUT" && strings.Contains(path, "/connections/") {
				body = []byte(mustJSON(t, map[string]any{"id": params["connection_id"], "name": "m-" + uniq}))
			}
			if family == "versori" && strings.Contains(path, "/credentials/") {
				body = []byte(mustJSON(t, map[string]any{"id": params["credential_id"], "type": "string", "name": "c-" + uniq, "data": map[string]any{"value": "v"}}))
			}
			full := fillAny(t, path, params)
			r := doAs(t, e, p, method, full, body)
			checked++
			allowed := p.role.AtLeast(want.role) && (!want.scope || p.scope)
			got403 := r.Status == http.StatusForbidden
			if allowed == got403 {
				mismatches++
				t.Errorf("%s %s as %s: %d %.300s; want forbidden=%v", method, full, p.name, r.Status, r.Body, !allowed)
			}
			if r.Status == http.StatusUnauthorized || r.Status >= 500 || (allowed && r.Status == http.StatusNotFound) {
				t.Errorf("%s %s as %s: %d %.300s", method, full, p.name, r.Status, r.Body)
			}
		}
	}
	// An access key signs SecMaster's requests only: on every other route its signature, or
	// its secret sent as a bearer, is no credential at all.
	var ownerAK matrixPrincipal
	for _, p := range ps {
		if p.ak != "" && p.role == switchboard.RoleOwner && p.scope {
			ownerAK = p
		}
	}
	o := seed(t, e, "default")
	for _, rt := range e.Server.Routes() {
		if rt.Public || rt.Family == "secmaster" || rt.Family == "console" {
			continue
		}
		params := o.params()
		for k, v := range fx.params {
			if _, ok := params[k]; !ok {
				params[k] = v
			}
		}
		if rt.Family == "auth0" {
			params = fx.auth0
		}
		full := fillAny(t, rt.Path, params)
		for _, p := range []matrixPrincipal{ownerAK, {name: "secret as bearer", token: ownerAK.sk}} {
			r := doAs(t, e, p, rt.Method, full, nil)
			checked++
			if r.Status != http.StatusUnauthorized {
				mismatches++
				t.Errorf("%s %s with an access key (%s): %d %.200s, want 401", rt.Method, full, p.name, r.Status, r.Body)
			}
		}
	}
	t.Logf("%d requests over %d vendor routes checked, %d mismatches", checked, len(routes), mismatches)
	t.Logf("FIGURE role_route_mismatches_compat=%d", mismatches)
}

// freshTargets makes new objects of family for a destructive request and returns the path
// parameters naming them.
func freshTargets(t *testing.T, e *testenv.Env, fx compatFixture, family string) map[string]string {
	t.Helper()
	p := map[string]string{}
	for k, v := range fx.params {
		p[k] = v
	}
	uniq := randHex(t, 4)
	post := func(path string, body map[string]any) map[string]any {
		t.Helper()
		r := e.Do(t, "POST", path, e.OwnerKey, mustJSON(t, body))
		if r.Status >= 300 {
			t.Fatalf("fresh %s: %d %s", path, r.Status, r.Body)
		}
		return r.Map(t)
	}
	switch family {
	case "secmaster":
		m := post("/v1/default/workspaces/default/soc/assetcredentials", fx.bodies["secmaster POST /v1/{project_id}/workspaces/{workspace_id}/soc/assetcredentials"](uniq))
		p["asset_id"] = m["asset"].(map[string]any)["id"].(string)
	case "versori":
		m := post("/api/connect/v1/o/default/connectors/mass-api/connections", fx.bodies["versori POST /api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections"](uniq))
		p["connection_id"] = m["id"].(string)
		p["credential_id"] = m["credentials"].(map[string]any)["action"].([]any)[0].(map[string]any)["credential"].(map[string]any)["id"].(string)
	case "slash":
		m := post("/web/v1/workspaces/default/slash/connections", fx.bodies["slash POST /web/v1/workspaces/{workspaceId}/slash/connections"](uniq))
		for _, k := range []string{"connectionBizId", "id"} {
			if v, ok := m[k].(string); ok {
				p["connectionBizId"] = v
				break
			}
		}
		if d, ok := m["data"].(map[string]any); ok {
			if v, ok := d["connectionBizId"].(string); ok {
				p["connectionBizId"] = v
			}
		}
	case "unified":
		m := post("/unified/connection", fx.bodies["unified POST /unified/connection"](uniq))
		p["id"] = m["id"].(string)
	}
	return p
}

// auth0Targets makes a native connection enabled in the organization org, for one request.
func auth0Targets(t *testing.T, e *testenv.Env, org string) map[string]string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{"connector_id": "http-bearer",
		"connection_name": "a0-" + randHex(t, 4), "config": map[string]any{"base_url": "https://api.example.com", "token": "t"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("auth0 target: %d %s", r.Status, r.Body)
	}
	conn := r.Map(t)["id"].(string)
	if r := e.Do(t, "POST", "/api/v2/organizations/"+org+"/enabled_connections", e.OwnerKey, map[string]any{"connection_id": conn}); r.Status != http.StatusCreated {
		t.Fatalf("auth0 enable: %d %s", r.Status, r.Body)
	}
	return map[string]string{"id": org, "connection_id": conn}
}

// consolePolicy is the declared authorization of the console's signed-in routes; a viewer
// reads, an editor changes connections, an admin manages webhooks, API keys and sees the
// keyring (tenant-wide admins only for the keyring, as GET /v1/keyring).
var consolePolicy = map[string]required{
	"POST /console/logout":                          {role: switchboard.RoleViewer},
	"GET /console/w":                                {role: switchboard.RoleViewer},
	"GET /console/w/{ws}/connections":               {role: switchboard.RoleViewer},
	"POST /console/w/{ws}/connections":              {role: switchboard.RoleEditor},
	"GET /console/w/{ws}/connections/new":           {role: switchboard.RoleEditor},
	"GET /console/w/{ws}/connections/{id}":          {role: switchboard.RoleViewer},
	"GET /console/w/{ws}/connections/{id}/edit":     {role: switchboard.RoleEditor},
	"POST /console/w/{ws}/connections/{id}/edit":    {role: switchboard.RoleEditor},
	"GET /console/w/{ws}/connections/{id}/rotate":   {role: switchboard.RoleEditor},
	"POST /console/w/{ws}/connections/{id}/rotate":  {role: switchboard.RoleEditor},
	"GET /console/w/{ws}/connections/{id}/delete":   {role: switchboard.RoleEditor},
	"POST /console/w/{ws}/connections/{id}/delete":  {role: switchboard.RoleEditor},
	"POST /console/w/{ws}/connections/{id}/test":    {role: switchboard.RoleEditor},
	"POST /console/w/{ws}/connections/{id}/enable":  {role: switchboard.RoleEditor},
	"POST /console/w/{ws}/connections/{id}/disable": {role: switchboard.RoleEditor},
	"GET /console/w/{ws}/connectors":                {role: switchboard.RoleViewer},
	"GET /console/w/{ws}/connectors/{key}":          {role: switchboard.RoleViewer},
	"GET /console/w/{ws}/webhooks":                  {role: switchboard.RoleAdmin},
	"POST /console/w/{ws}/webhooks":                 {role: switchboard.RoleAdmin},
	"GET /console/w/{ws}/webhooks/{id}":             {role: switchboard.RoleAdmin},
	"POST /console/w/{ws}/webhooks/{id}/test":       {role: switchboard.RoleAdmin},
	"GET /console/w/{ws}/api-keys":                  {role: switchboard.RoleAdmin},
	"POST /console/w/{ws}/api-keys":                 {role: switchboard.RoleAdmin},
	"POST /console/w/{ws}/api-keys/{id}/revoke":     {role: switchboard.RoleAdmin},
	"GET /console/w/{ws}/keyring":                   {role: switchboard.RoleAdmin, tenantWide: true},
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleSession signs in to the console with token and returns a client holding the
// session and a CSRF token for its forms.
func consoleSession(t *testing.T, e *testenv.Env, token string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		resp, err := c.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := csrfField.FindStringSubmatch(get("/console/login"))
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	resp, err := c.PostForm(e.URL+"/console/login", url.Values{"api_key": {token}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("console sign-in: %d", resp.StatusCode)
	}
	m = csrfField.FindStringSubmatch(get("/console/w/default/connections"))
	if m == nil {
		t.Fatal("no CSRF token once signed in")
	}
	return c, m[1]
}

// TestRoleMatrixConsole walks every signed-in console route as every role.
func TestRoleMatrixConsole(t *testing.T) {
	e := testenv.New(t, "sqlite")
	var routes []string
	for _, rt := range e.Server.FamilyRoutes("console") {
		if rt.Public {
			continue
		}
		k := rt.Method + " " + rt.Path
		if _, ok := consolePolicy[k]; !ok {
			t.Fatalf("console route %s has no entry in consolePolicy; add one", k)
		}
		routes = append(routes, k)
	}
	o := seed(t, e, "default")
	mismatches, checked := 0, 0
	for _, role := range []switchboard.Role{switchboard.RoleViewer, switchboard.RoleEditor, switchboard.RoleAdmin, switchboard.RoleOwner} {
		for _, tenantWide := range []bool{false, true} {
			var token string
			if tenantWide {
				token = e.Token(t, auth.Claims{Subject: "c-" + string(role), TenantID: "default", Workspaces: []string{switchboard.AllWorkspaces}, Role: role})
			} else {
				token = e.Key(t, "default", role)
			}
			name := fmt.Sprintf("%s/tenantWide=%v", role, tenantWide)
			for _, k := range routes {
				if k == "POST /console/logout" {
					continue // ends the session: checked last
				}
				method, path, _ := strings.Cut(k, " ")
				c, csrf := consoleSession(t, e, token)
				id := o.Connection
				switch {
				case strings.Contains(path, "/webhooks/"):
					id = o.WebhookEndpoint
				case strings.Contains(path, "/api-keys/"):
					id = seed(t, e, "default").Key
				case method == "POST" && strings.Contains(path, "/connections/"):
					id = seed(t, e, "default").Connection
				}
				full := strings.NewReplacer("{ws}", "default", "{id}", id, "{key}", "http-bearer").Replace(path)
				var resp *http.Response
				var err error
				if method == "GET" {
					resp, err = c.Get(e.URL + full)
				} else {
					resp, err = c.PostForm(e.URL+full, url.Values{"csrf": {csrf}})
				}
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				checked++
				want := consolePolicy[k]
				allowed := role.AtLeast(want.role) && (!want.tenantWide || tenantWide)
				got403 := resp.StatusCode == http.StatusForbidden
				if allowed == got403 {
					mismatches++
					t.Errorf("console %s %s as %s: %d %.200s; want forbidden=%v", method, full, name, resp.StatusCode, body, !allowed)
				}
				if resp.StatusCode >= 500 || resp.StatusCode == http.StatusUnauthorized ||
					(resp.StatusCode == http.StatusSeeOther && strings.HasSuffix(resp.Header.Get("Location"), "/console/login")) {
					t.Errorf("console %s %s as %s: %d (signed out?) %.200s", method, full, name, resp.StatusCode, body)
				}
			}
		}
	}
	t.Logf("%d console requests over %d routes, %d mismatches", checked, len(routes), mismatches)
	t.Logf("FIGURE role_route_mismatches_console=%d", mismatches)
}

var _ = json.Marshal

// TestVerbTampering: every path of Routes() answered with a method it is not mounted for
// gets 405 with an Allow header naming exactly the mounted ones (the console: its HTML 405),
// never the handler of another method; an unknown path gets 404 without detail.
func TestVerbTampering(t *testing.T) {
	e := testenv.New(t, "sqlite")
	o := seed(t, e, "default")
	mounted := map[string][]string{} // path pattern -> methods
	family := map[string]string{}
	for _, rt := range e.Server.Routes() {
		mounted[rt.Path] = append(mounted[rt.Path], rt.Method)
		family[rt.Path] = rt.Family
	}
	params := o.params()
	for k, v := range map[string]string{"project_id": "default", "asset_id": "x", "component_id": "x", "organisation_id": "default",
		"workspaceId": "default", "connectionBizId": "x", "id": "x", "ws": "default", "key": "http-bearer", "file": "x.css", "$": ""} {
		if _, ok := params[k]; !ok {
			params[k] = v
		}
	}
	checked, wrong := 0, 0
	for path, methods := range mounted {
		full := strings.ReplaceAll(fillAny(t, strings.ReplaceAll(path, "{$}", ""), params), "{$}", "")
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
			if slices.Contains(methods, m) {
				continue
			}
			r := e.Do(t, m, full, e.OwnerKey, nil)
			checked++
			if r.Status != http.StatusMethodNotAllowed {
				wrong++
				t.Errorf("%s %s (mounted %v): %d %.200s, want 405", m, full, methods, r.Status, r.Body)
				continue
			}
			if family[path] == server.ConsoleFamily {
				continue
			}
			allow := r.Header.Values("Allow")
			want := slices.Clone(methods)
			slices.Sort(allow)
			slices.Sort(want)
			if !slices.Equal(allow, want) {
				t.Errorf("%s %s: Allow %v, want %v", m, full, allow, want)
			}
		}
	}
	r := e.Do(t, "GET", "/v1/no-such-route/"+randHex(t, 4), e.OwnerKey, nil)
	if r.Status != http.StatusNotFound || errCode(r) != "4040" || bytes.Contains(r.Body, []byte("no-such-route")) {
		t.Errorf("unknown route: %d %s", r.Status, r.Body)
	}
	t.Logf("%d method/path pairs not mounted, %d answered other than 405", checked, wrong)
	t.Logf("FIGURE verb_tampering_not_405=%d", wrong)
}
