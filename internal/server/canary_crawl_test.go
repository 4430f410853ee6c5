package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/groupcommit"
	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

// The canary crawl extends TestCanarySecretsNeverLeak from a hand-picked list of calls to
// every route the server mounts (Server.Routes: native, the five compat families, the
// console) with real and bogus ids and with empty, malformed and secret-laden bodies, with
// the server, the global logger and a webhook worker logging at DEBUG, a webhook receiver
// recording every delivery, the audit log read back, /metrics, a handler that panics with a
// secret in the panic value, and a store error carrying a groupcommit panic with a secret.
// Secrets planted: connection secrets, credential data, an OAuth client secret, webhook
// signing secrets, API keys (the owner's, one created, one refused), an access key's SK, the
// keyring's key material and the JWT HS256 secret, and a fresh canary in every crawled body.
// Each is searched for in all captured text, raw, hex (both cases), base64 (std and URL
// alphabets, any alignment, padded or not) and URL-encoded, by every 12-character window of
// each of those forms. Allowed: a connection's /credentials (and the slash webhook-secret)
// read, and the one response that shows a generated secret once.

// secretSet indexes every 12-byte window of every form of every secret.
type secretSet struct {
	names   map[string]string                // secret -> where it was put
	allowed map[string]func(x exchange) bool // secret -> the exchanges it may appear in
	windows map[string]string                // 12-byte window -> secret
}

const window = 12

func newSecretSet() *secretSet {
	return &secretSet{names: map[string]string{}, allowed: map[string]func(exchange) bool{}, windows: map[string]string{}}
}

// add plants secret s (described by where); allowed lists the exchanges it may show up in.
func (ss *secretSet) add(s, where string, allowed func(exchange) bool) {
	if len(s) < window {
		panic("secret shorter than the window: " + where)
	}
	ss.names[s] = where
	ss.allowed[s] = allowed
	for _, f := range secretForms([]byte(s)) {
		for i := 0; i+window <= len(f); i++ {
			ss.windows[f[i:i+window]] = s
		}
	}
}

// secretForms returns b raw, hex in both cases, URL-encoded (query and path) and base64 in
// both alphabets at the three alignments (the trailing group, which may be padded, dropped).
func secretForms(b []byte) []string {
	out := []string{string(b), hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		url.QueryEscape(string(b)), url.PathEscape(string(b))}
	for k := 0; k < 3; k++ {
		s := base64.StdEncoding.EncodeToString(append(make([]byte, k), b...))
		start := 0
		if k > 0 {
			start = 4
		}
		if len(s)-4 > start {
			s = s[start : len(s)-4]
			out = append(out, s, strings.NewReplacer("+", "-", "/", "_").Replace(s))
		}
	}
	return out
}

// find returns the secrets with a window in text, each with one excerpt.
func (ss *secretSet) find(text []byte) map[string]string {
	var hits map[string]string
	for i := 0; i+window <= len(text); i++ {
		if s, ok := ss.windows[string(text[i:i+window])]; ok {
			if hits == nil {
				hits = map[string]string{}
			}
			if _, seen := hits[s]; !seen {
				lo, hi := max(0, i-60), min(len(text), i+window+60)
				hits[s] = fmt.Sprintf("%q", text[lo:hi])
			}
		}
	}
	return hits
}

func never(exchange) bool { return false }

// credentialsRead is a successful read of a secret-revealing endpoint.
func isCredentialsRead(x exchange) bool {
	p := strings.SplitN(x.path, "?", 2)[0]
	return x.method == "GET" && x.status == http.StatusOK &&
		(strings.HasSuffix(p, "/credentials") && strings.Contains(p, "/connections/") || strings.HasSuffix(p, "/webhook-secret"))
}

// panickyChecker is a health checker whose check panics with the connection's secret in the
// panic value, as a careless checker might.
type panickyChecker struct{}

func (panickyChecker) Check(_ context.Context, _ *switchboard.ConnectorVersion, c *switchboard.Connection) switchboard.HealthResult {
	if tok, ok := c.Secrets["token"]; ok {
		panic(fmt.Errorf("check of %s failed with token=%s", c.ID, tok.Reveal()))
	}
	return switchboard.HealthResult{Healthy: true, CheckedAt: time.Now()}
}

func TestCanaryCrawl(t *testing.T) {
	total := 0
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) { total += canaryCrawl(t, d) })
	}
	t.Logf("FIGURE canary_occurrences=%d", total)
}

// canaryCrawl runs the crawl on driver d and returns the secrets' occurrences found.
func canaryCrawl(t *testing.T, d string) int {
	global := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(global, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	e := testenv.New(t, d)
	e.Service.SetHealthChecker(panickyChecker{})
	ss := newSecretSet()
	var log []exchange
	credentials := func(x exchange) bool { return isCredentialsRead(x) }
	canary := func(where string) string {
		c := newCanary(t) + "/+=&%"
		ss.add(c, where, credentials)
		return c
	}
	token := e.OwnerKey
	ss.add(token, "owner API key", never)
	ss.add(testenv.JWTSecret, "JWT HS256 secret", never)
	for _, line := range strings.Split(string(e.Keyring().Marshal()), "\n") {
		if id, b64, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			key, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			ss.add(string(key), "keyring key "+id, never)
			ss.add(b64, "keyring key "+id+" (base64)", never)
		}
	}

	// A webhook receiver on loopback and a worker delivering to it.
	var recvMu sync.Mutex
	var received bytes.Buffer
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		recvMu.Lock()
		_ = r.Header.Write(&received)
		received.Write(b)
		received.WriteByte('\n')
		recvMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	workerLog := &lockedBuffer{}
	worker := webhook.Start(webhook.Config{
		Service: e.Service, Logger: slog.New(slog.NewTextHandler(workerLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Doer:         webhook.NewGuardDoer(outbound.NewGuard(outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})),
		PollInterval: 20 * time.Millisecond,
	})
	stopped := false
	stopWorker := func() {
		if !stopped {
			stopped = true
			worker.Stop()
		}
	}
	t.Cleanup(stopWorker)

	do := func(method, path, tok string, body any, headers ...string) *testenv.Response {
		t.Helper()
		r := e.Do(t, method, path, tok, body, headers...)
		log = append(log, exchange{method: method, path: path, status: r.Status, header: r.Header, body: r.Body})
		return r
	}
	want := func(status int, method, path string, body any) map[string]any {
		t.Helper()
		r := do(method, path, token, body)
		if r.Status != status {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, status)
		}
		m := map[string]any{}
		if len(r.Body) > 0 {
			m = r.Map(t)
		}
		return m
	}
	shownOnce := func(i int) func(exchange) bool {
		x := log[i]
		return func(y exchange) bool { return y.method == x.method && y.path == x.path && bytes.Equal(y.body, x.body) }
	}

	// Seed: every kind of secret field.
	const ws = "/v1/workspaces/default"
	hook := want(201, "POST", ws+"/webhook-endpoints", map[string]any{"url": recv.URL + "/hook"})
	hookID := hook["id"].(string)
	ss.add(hook["secret"].(string), "webhook signing secret", shownOnce(len(log)-1))
	cred := want(201, "POST", ws+"/credentials", map[string]any{"name": "partner", "type": "api_key",
		"data": map[string]string{"api_key": canary("credential data.api_key"), "extra": canary("credential data.extra")}})
	credID := cred["id"].(string)
	kafkaID := want(201, "POST", ws+"/connections", map[string]any{
		"connector_id": "kafka", "connection_name": "events",
		"config": map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc",
			"password": canary("kafka password"), "keyStorePassword": canary("kafka keyStorePassword")},
		"credentials": map[string]any{"action": []string{credID}},
	})["id"].(string)
	bearerID := want(201, "POST", ws+"/connections", map[string]any{
		"connector_id": "http-bearer", "connection_name": "api",
		"config": map[string]any{"base_url": "https://api.example.com", "token": canary("http-bearer token")},
	})["id"].(string)
	slashID := want(201, "POST", ws+"/connections", map[string]any{
		"connector_id": "slash", "connection_name": "bank",
		"config": map[string]any{"partnerEndpoint": "https://partner.example.com/slash", "slashApiBaseUrl": "https://api.slash.com",
			"slashApiKey": canary("slash slashApiKey"), "slashAccountId": canary("slash slashAccountId"), "slashWebhookSecret": canary("slash slashWebhookSecret")},
	})["id"].(string)
	connectorID := want(201, "POST", ws+"/connectors", map[string]any{
		"key": "crawl-oauth", "schema": map[string]any{"type": "object"}, "auth_schemes": []string{"oauth2"},
		"oauth2": map[string]any{"authorize_url": "https://auth.example.com/authorize", "token_url": "https://auth.example.com/token"},
	})["id"].(string)
	want(200, "PUT", ws+"/connectors/"+connectorID+"/oauth-client", map[string]any{"client_id": "crawl-client", "client_secret": canary("OAuth client secret")})
	key := want(201, "POST", ws+"/api-keys", map[string]any{"name": "crawl", "role": "viewer"})
	ss.add(key["key"].(string), "created API key", shownOnce(len(log)-1))
	keyID := key["id"].(string)
	orgID, _ := want(201, "POST", ws+"/organizations", map[string]any{"name": "crawl-org"})["id"].(string)
	owner := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
	ak, sk, err := e.Service.CreateAccessKey(owner, switchboard.APIKeyInput{WorkspaceID: "default", Role: switchboard.RoleEditor, Name: "crawl-sdk"})
	if err != nil {
		t.Fatal(err)
	}
	ss.add(sk.Reveal(), "access key SK", never)
	rot := want(200, "POST", ws+"/webhook-endpoints/"+hookID+"/rotate-secret", nil)
	if s, ok := rot["secret"].(string); ok {
		ss.add(s, "rotated webhook signing secret", shownOnce(len(log)-1))
	}

	// The vendor families' own creates and updates, with secrets in their secret fields, and
	// their validation errors with secrets next to the field in error.
	want(201, "POST", ws+"/connectors", map[string]any{"key": "my-api", "name": "My API", "version": "1", "schema": map[string]any{"type": "object"}})
	fam := []struct {
		method, path string
		body         any
		ok           bool
	}{
		{"POST", "/web/v1/workspaces/default/slash/connections", map[string]any{"connectionName": "bank-compat",
			"partnerEndpoint": "https://partner.example.com/api", "slashApiBaseUrl": "https://api.slash.com",
			"slashApiKey": canary("slash compat slashApiKey"), "slashAccountId": canary("slash compat slashAccountId"),
			"slashWebhookSecret": canary("slash compat slashWebhookSecret")}, true},
		{"POST", "/web/v1/workspaces/default/slash/connections", map[string]any{"connectionName": "",
			"partnerEndpoint": "not a url", "slashApiKey": canary("slash compat key, invalid body"), "slashWebhookSecret": 42}, false},
		{"POST", "/unified/connection", map[string]any{"auth": map[string]any{"token": canary("unified auth.token")},
			"categories": []string{"crm"}, "environment": "Production", "external_xref": "crawl", "integration_type": "hubspot",
			"permissions": []string{"crm_contact_read"}}, true},
		{"POST", "/unified/connection", map[string]any{"auth": map[string]any{"token": canary("unified token, invalid body"), "secret": canary("unified unknown auth field")},
			"integration_type": "no-such-integration"}, false},
		{"POST", "/api/connect/v1/o/default/connectors/my-api/connections", map[string]any{"name": "crawl-versori", "variables": []any{},
			"credentials": map[string]any{"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{"id": "01K", "description": "key", "schemeType": "api-key", "name": "X-Key", "in": "header"},
				"credential":       map[string]any{"name": "crawl-versori", "type": "string", "data": map[string]any{"value": canary("versori string credential")}},
			}}}}, true},
		{"POST", "/api/connect/v1/o/default/connectors/my-api/connections", map[string]any{"name": "crawl-versori-bad", "variables": []any{},
			"credentials": map[string]any{"action": []any{map[string]any{
				"authSchemeConfig": map[string]any{"id": "01K", "schemeType": "nope"},
				"credential":       map[string]any{"name": "x", "type": "basic-auth", "data": map[string]any{"username": 7, "password": canary("versori password, invalid body")}},
			}}}}, false},
		{"POST", "/v1/default/workspaces/default/soc/assetcredentials", map[string]any{"name": "crawl-asset", "description": "crawl",
			"component_id": "ad93ecc6-1723-4c2c-9976-9eb0182c2d18", "component_version_id": "33fd1b37-1f39-4230-86c6-2d119e9f4fac",
			"config": `{"kafkaAddr":"10.0.0.2:9092","userName":"sb","password":"` + canary("secmaster config password") + `"}`}, true},
		{"POST", "/v1/default/workspaces/default/soc/assetcredentials", map[string]any{"name": "crawl-asset-2",
			"component_id": "ad93ecc6-1723-4c2c-9976-9eb0182c2d18", "component_version_id": "33fd1b37-1f39-4230-86c6-2d119e9f4fac",
			"config": `{"kafkaAddr":"a","userName":"sb","password":"` + canary("secmaster password next to unknown field") + `","bogus":"` + canary("secmaster unknown config field") + `"}`}, false},
		{"POST", "/v1/default/workspaces/default/soc/assetcredentials", map[string]any{"name": "crawl-asset-3",
			"component_id": "ad93ecc6-1723-4c2c-9976-9eb0182c2d18", "component_version_id": "33fd1b37-1f39-4230-86c6-2d119e9f4fac",
			"config": `{"kafkaAddr":"a","password":"` + canary("secmaster config password in malformed JSON") + `"`}, false},
	}
	for _, f := range fam {
		r := do(f.method, f.path, token, f.body)
		if ok := r.Status < 300; ok != f.ok {
			t.Errorf("%s %s: %d %.300s, want success %v", f.method, f.path, r.Status, r.Body, f.ok)
		}
	}

	// A handler panic with a secret in the panic value: test now runs the panicking checker.
	if r := do("POST", ws+"/connections/"+bearerID+"/test", token, nil); r.Status != http.StatusInternalServerError {
		t.Errorf("test now with a panicking checker: %d %s, want 500", r.Status, r.Body)
	}

	// The crawl.
	real := map[string]string{
		"workspace_id": "default", "ws": "default", "workspaceId": "default", "project_id": "default",
		"organisation_id": "default", "connection_id": kafkaID, "connectionBizId": slashID, "id": bearerID,
		"connector_id": "kafka", "credential_id": credID, "endpoint_id": hookID, "key_id": keyID,
		"organization_id": orgID, "asset_id": kafkaID, "component_id": "kafka", "usage_id": "use_nope",
		"token": "no-such-token", "file": "console.css", "key": "kafka",
	}
	param := regexp.MustCompile(`\{([A-Za-z_]+)(\.\.\.)?\}|\{\$\}`)
	fill := func(p string, ids map[string]string, bogus bool) string {
		return param.ReplaceAllStringFunc(p, func(m string) string {
			if m == "{$}" {
				return ""
			}
			name := strings.Trim(m, "{}.")
			if bogus {
				if strings.HasPrefix(name, "w") || name == "project_id" || name == "organisation_id" {
					return "default"
				}
				return "zz-nope%27%3Cx%3E"
			}
			if v, ok := ids[name]; ok {
				return v
			}
			t.Fatalf("no id for {%s} in %s", name, p)
			return ""
		})
	}
	routes := e.Server.Routes()
	// Deletes and revocations last, so every other route sees the data.
	slices.SortStableFunc(routes, func(a, b server.Route) int {
		last := func(r server.Route) int {
			if r.Method == "DELETE" || strings.HasSuffix(r.Path, "/revoke") || strings.HasSuffix(r.Path, "/delete") || strings.HasSuffix(r.Path, "/close") {
				return 1
			}
			return 0
		}
		return last(a) - last(b)
	})
	badBearer := canary("a refused bearer token")
	badAK := "SDK-HMAC-SHA256 Access=" + ak.ID + ", SignedHeaders=host;x-sdk-date, Signature=" + hex.EncodeToString([]byte(canary("a forged signature")))
	requests := 0
	var consoleRoutes []server.Route
	for _, rt := range routes {
		if rt.Family == server.ConsoleFamily {
			consoleRoutes = append(consoleRoutes, rt)
			continue
		}
		for _, bogus := range []bool{false, true} {
			path := fill(rt.Path, real, bogus)
			var bodies []any
			if rt.Method == "POST" || rt.Method == "PUT" || rt.Method == "PATCH" {
				c := canary(rt.Method + " " + rt.Path + " body")
				bodies = []any{nil, "{}", `{"config":{"token":"` + c + `"`, `{"password":"` + c + `"}}`, map[string]any{
					"name": 42, "connection_name": "crawl", "connector_id": "http-bearer", "description": "crawl",
					"config":      map[string]any{"base_url": "https://x.example.com", "token": c, "password": c, "apiKey": c, "client_secret": c},
					"data":        map[string]any{"api_key": c, "password": c, "token": c},
					"credentials": map[string]any{"token": c}, "client_id": "crawl", "client_secret": c, "secret": c, "token": c,
					"password": c, "api_key": c, "accessToken": c, "refresh_token": c, "slashApiKey": c, "slashWebhookSecret": c,
				}}
			} else {
				bodies = []any{nil}
			}
			for _, b := range bodies {
				do(rt.Method, path, token, b)
				requests++
			}
			// Error paths of authentication: none, a refused bearer, a forged access-key signature.
			do(rt.Method, path, badBearer, nil)
			do(rt.Method, path, "", nil, "Authorization", badAK, "X-Sdk-Date", time.Now().UTC().Format("20060102T150405Z"))
			requests += 2
		}
	}
	// The credentials endpoints once more, as the positive control of the scan.
	for _, id := range []string{kafkaID, bearerID, slashID} {
		do("GET", ws+"/connections/"+id+"/credentials", token, nil)
	}

	// The console: sign in with the API key, then every page and form.
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := ""
	browse := func(method, path string, form url.Values) {
		t.Helper()
		var rd io.Reader
		if form != nil {
			if form.Get("csrf") == "" {
				form.Set("csrf", csrf)
			}
			rd = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, e.URL+path, rd)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := csrfRE.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
		log = append(log, exchange{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b})
		requests++
	}
	browse("GET", "/console/login", nil)
	browse("POST", "/console/login", url.Values{"api_key": {canary("a refused console sign-in key")}})
	browse("GET", "/console/login", nil)
	browse("POST", "/console/login", url.Values{"api_key": {token}})
	consoleIDs := withIDs(real, map[string]string{"id": bearerID})
	for _, rt := range consoleRoutes {
		for _, bogus := range []bool{false, true} {
			path := fill(rt.Path, consoleIDs, bogus)
			if rt.Method == "GET" {
				browse("GET", path, nil)
				continue
			}
			if rt.Path == "/console/logout" {
				continue
			}
			browse("GET", "/console/w/default/connections", nil) // a fresh CSRF token
			c := canary("console " + rt.Path + " form")
			browse("POST", path, url.Values{
				"name": {"crawl"}, "connector": {"http-bearer"}, "config.base_url": {"not a url"}, "config.token": {c},
				"config.password": {c}, "api_key": {c}, "url": {"http://0x7f.1/"}, "role": {"nope"}, "secret": {c},
			})
		}
	}
	browse("POST", "/console/logout", url.Values{})

	// The audit log, every event.
	var audit []byte
	for next := ws + "/audit?page_size=500"; next != ""; {
		r := do("GET", next, token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("audit: %d %s", r.Status, r.Body)
		}
		audit = append(audit, r.Body...)
		m := r.Map(t)
		next = ""
		if tok, _ := m["next_page_token"].(string); tok != "" {
			next = ws + "/audit?page_size=500&page_token=" + url.QueryEscape(tok)
		}
	}
	do("GET", "/metrics", token, nil)

	// A store error carrying a groupcommit panic whose value holds a secret, through the error
	// path every handler uses (SafeError logs an internal error's chain).
	gcSecret := canary("groupcommit panic value")
	gcErr := &switchboard.Error{Code: switchboard.CodeInternal, Message: "internal",
		Cause: &groupcommit.PanicError{Value: errors.New("insert failed: secret=" + gcSecret), Stack: []byte("goroutine 1 [running]:\n")}}
	rec := httptest.NewRecorder()
	httpx.WriteError(rec, httptest.NewRequest("POST", "/v1/x", nil), fmt.Errorf("create connection: %w", gcErr))
	log = append(log, exchange{method: "POST", path: "(groupcommit panic)", status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("groupcommit panic error: status %d, want 500", rec.Code)
	}

	// Let the worker deliver what the crawl queued, then stop it.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		recvMu.Lock()
		n := bytes.Count(received.Bytes(), []byte("Webhook-Id"))
		recvMu.Unlock()
		if n >= 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopWorker()

	// The scan.
	occurrences := 0
	report := func(what string, hits map[string]string) {
		for s, ex := range hits {
			occurrences++
			t.Errorf("%s: secret of %s: %s", what, ss.names[s], ex)
		}
	}
	for _, x := range log {
		var hdr bytes.Buffer
		_ = x.header.Write(&hdr)
		report(fmt.Sprintf("%s %s (%d) header", x.method, x.path, x.status), ss.find(hdr.Bytes()))
		hits := ss.find(x.body)
		for s := range hits {
			if ss.allowed[s](x) {
				delete(hits, s)
			}
		}
		report(fmt.Sprintf("%s %s (%d) body", x.method, x.path, x.status), hits)
	}
	logs := []byte(e.Logs() + global.String() + workerLog.String())
	report("logs", ss.find(logs))
	report("audit log", ss.find(audit))
	recvMu.Lock()
	deliveries := slices.Clone(received.Bytes())
	recvMu.Unlock()
	report("webhook deliveries", ss.find(deliveries))

	// Positive controls: the scan finds what is there, and there was something to scan.
	creds := 0
	for _, x := range log {
		if isCredentialsRead(x) && len(ss.find(x.body)) > 0 {
			creds++
		}
	}
	if creds < 3 {
		t.Errorf("the scan found secrets in %d credentials reads, want at least 3: it may be blind", creds)
	}
	if !strings.Contains(string(logs), "msg=panic") || !strings.Contains(string(logs), "groupcommit: write panicked") {
		t.Errorf("the logs lack the panic and the internal error: the panic paths were not exercised")
	}
	if !bytes.Contains(deliveries, []byte("connection.created")) {
		t.Errorf("no webhook delivery with a connection event was received (%d bytes)", len(deliveries))
	}
	if len(audit) < 1000 {
		t.Errorf("audit log of %d bytes: the scan would prove little", len(audit))
	}
	t.Logf("crawled %d routes (%d console), %d requests, %d secrets (%d windows), %d log bytes, %d audit bytes, %d delivery bytes",
		len(routes), len(consoleRoutes), requests, len(ss.names), len(ss.windows), len(logs), len(audit), len(deliveries))
	statuses := map[string]int{}
	for _, x := range log {
		statuses[fmt.Sprint(x.status)]++
	}
	t.Logf("statuses: %v", statuses)
	t.Logf("FIGURE canary_occurrences_%s=%d", d, occurrences)
	return occurrences
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// withIDs returns a copy of a with b's entries set.
func withIDs(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
