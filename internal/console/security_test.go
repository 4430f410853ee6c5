package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// checkHeaders fails unless p carries the console's security headers.
func checkHeaders(t *testing.T, what string, p *page) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Security-Policy": wantCSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if got := p.Header.Get(k); got != v {
			t.Errorf("%s (%d): %s = %q, want %q", what, p.Status, k, got, v)
		}
	}
}

var (
	startTag     = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)
	attribute    = regexp.MustCompile(`\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>` + "`" + `]+))?`)
	styleElement = regexp.MustCompile(`(?i)<style\b`)
)

// checkNoInline fails when an HTML page has inline script, style attributes or event
// handlers, which the CSP would block (and which would mean the page depends on them). The
// pages come from html/template, which escapes quotes and angle brackets in attribute values,
// so a start tag ends at the first '>' and its attributes tokenize simply.
func checkNoInline(t *testing.T, what, body string) {
	t.Helper()
	for _, p := range inlineProblems(body) {
		t.Errorf("%s: %s", what, p)
	}
}

func inlineProblems(body string) []string {
	var out []string
	for _, m := range startTag.FindAllStringSubmatch(body, -1) {
		tag, attrs := strings.ToLower(m[1]), m[2]
		if tag == "script" && !strings.Contains(attrs, `src="/console/static/`) {
			out = append(out, "inline or foreign script "+m[0])
		}
		for _, a := range attribute.FindAllStringSubmatch(attrs, -1) {
			name := strings.ToLower(a[1])
			if name == "style" || strings.HasPrefix(name, "on") {
				out = append(out, "inline "+name+" attribute in "+m[0])
			}
			if (name == "href" || name == "src" || name == "action") && strings.Contains(strings.ToLower(a[2]), "javascript:") {
				out = append(out, "a javascript: URL in "+m[0])
			}
		}
	}
	if styleElement.MatchString(body) {
		out = append(out, "a <style> element")
	}
	return out
}

// TestInlineProblems checks the checker: it finds what the CSP forbids and not escaped text.
func TestInlineProblems(t *testing.T) {
	bad := `<div style="color:red"><a href="javascript:x()" onclick="y()">a</a><script>z()</script><style>p{}</style>`
	if got := inlineProblems(bad); len(got) != 5 {
		t.Errorf("inlineProblems found %d problems in %s, want 5: %q", len(got), bad, got)
	}
	good := `<input value="&#34;&gt;&lt;img onerror=alert(1)&gt;" type="text"><p>style=x onclick=y</p><script src="/console/static/console.js" defer></script>`
	if got := inlineProblems(good); len(got) != 0 {
		t.Errorf("inlineProblems(%s) = %q, want none", good, got)
	}
}

// fixture is a workspace with one of everything the console shows.
type fixture struct {
	e          *testenv.Env
	conn       string
	endpoint   string
	pages      []string // every GET page of the console, for a signed-in owner
	publicGets []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := newEnv(t)
	f := &fixture{e: e}
	f.conn = createConnection(t, e, "default", map[string]any{
		"connector_id": "postgres", "connection_name": "orders-db", "description": "the orders database",
		"config":    map[string]any{"host": "db.internal", "port": 5432, "database": "orders", "user": "app", "password": "pw-fixture-0123456789", "sslmode": "require"},
		"variables": []map[string]string{{"name": "REGION", "value": "eu"}}, "environment": "staging", "external_xref": "cust-42",
	})
	if r := e.Do(t, "POST", "/v1/workspaces/default/connections/"+f.conn+"/usages", e.OwnerKey, map[string]any{"consumer": "workflow:wf_1"}); r.Status != http.StatusCreated {
		t.Fatalf("add usage: %d %s", r.Status, r.Body)
	}
	r := e.Do(t, "POST", "/v1/workspaces/default/webhook-endpoints", e.OwnerKey, map[string]any{"url": "https://hooks.example.com/sb"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	f.endpoint = r.Map(t)["id"].(string)
	w, c := "/console/w/default", "/console/w/default/connections/"+f.conn
	f.pages = []string{
		w + "/connections", w + "/connections?status=PENDING&connector=postgres&q=orders", w + "/connections/new",
		w + "/connections/new?connector=postgres", c, c + "/edit", c + "/rotate", c + "/delete",
		w + "/connectors", w + "/connectors/postgres", w + "/webhooks", w + "/webhooks/" + f.endpoint,
		w + "/api-keys", w + "/keyring",
	}
	f.publicGets = []string{"/console/login", "/console/static/console.css", "/console/static/console.js", "/console/nope", "/console/w/default/nope"}
	return f
}

// TestSecurityHeadersOnEveryResponse fetches every page (and the static files, the 404 page,
// redirects and refusals) and checks the headers, and that no page has inline script or style.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	anon := newBrowser(t, f.e)
	anon.follow = false
	for _, path := range append(append([]string{}, f.publicGets...), f.pages...) {
		p := anon.get(path)
		checkHeaders(t, "anonymous GET "+path, p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			checkNoInline(t, path, p.Body)
		}
	}
	checkHeaders(t, "POST without a session", anon.post("/console/w/default/connections/"+f.conn+"/disable", url.Values{"csrf": {"x"}}))

	b := newBrowser(t, f.e)
	checkHeaders(t, "sign-in", b.signIn(f.e.OwnerKey))
	for _, path := range f.pages {
		p := b.get(path)
		mustStatus(t, p, http.StatusOK)
		checkHeaders(t, path, p)
		checkNoInline(t, path, p.Body)
	}
	for path, status := range map[string]int{"/console/w/default/nope": 404, "/console/w/nope/connections": 404, "/console/w/default/connections/conn_nope": 404} {
		p := b.get(path)
		if p.Status != status || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want an HTML %d", path, p.Status, p.Header.Get("Content-Type"), status)
		}
		checkHeaders(t, path, p)
	}
	// A POST to a GET-only page: an HTML 405 with Allow.
	p := b.post("/console/w/default/connectors", nil)
	if p.Status != http.StatusMethodNotAllowed || p.Header.Get("Allow") != "GET" {
		t.Errorf("POST to a GET page: %d Allow %q", p.Status, p.Header.Get("Allow"))
	}
	checkHeaders(t, "405", p)
	p = b.post("/console/w/default/connections/"+f.conn+"/test", url.Values{"csrf": {"forged"}})
	checkHeaders(t, "CSRF refusal", p)
	if ct := anon.get("/console/static/console.css").Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("console.css served as %q", ct)
	}
}

// TestCSRF: every POST needs the token of its own session; without it (or with another
// session's, or cross-site) the console answers 403 and changes nothing.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.e)
	b.signIn(f.e.OwnerKey)
	other := newBrowser(t, f.e)
	other.signIn(f.e.OwnerKey)
	otherToken := csrfOf(other.get("/console/w/default/connections").Body)
	if otherToken == "" {
		t.Fatal("no CSRF token on the list page")
	}
	disable := "/console/w/default/connections/" + f.conn + "/disable"
	for name, form := range map[string]url.Values{
		"none":            {"csrf": nil},
		"empty":           {"csrf": {""}},
		"forged":          {"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
		"another session": {"csrf": {otherToken}},
	} {
		b.get("/console/w/default/connections/" + f.conn)
		if form["csrf"] == nil {
			form = url.Values{"csrf": {}}
		}
		p := b.post(disable, form)
		if p.Status != http.StatusForbidden || !has(p.Body, "error-message") {
			t.Errorf("%s token: %d, want the 403 page\n%s", name, p.Status, excerpt(p.Body))
		}
	}
	// The right token, but the browser says the form came from another site.
	b.get("/console/w/default/connections/" + f.conn)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", f.e.URL+disable, strings.NewReader(url.Values{"csrf": {csrfOf(b.last.Body)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.Status != http.StatusForbidden {
		t.Errorf("cross-site POST with a valid token: %d, want 403", p.Status)
	}
	// The sign-in form is protected too.
	anon := newBrowser(t, f.e)
	anon.get("/console/login")
	if p := anon.post("/console/login", url.Values{"api_key": {f.e.OwnerKey}, "csrf": {"forged"}}); p.Status != http.StatusForbidden || anon.cookie("sb_session") != nil {
		t.Errorf("sign-in with a forged token: %d, session set: %v", p.Status, anon.cookie("sb_session") != nil)
	}
	if r := f.e.Do(t, "GET", "/v1/workspaces/default/connections/"+f.conn, f.e.OwnerKey, nil); r.Map(t)["enabled"] != true {
		t.Error("a refused POST disabled the connection")
	}
	// And with the right token it works.
	b.get("/console/w/default/connections/" + f.conn)
	if p := b.post(disable, nil); p.Status != http.StatusOK || !strings.Contains(p.Body, "Connection disabled.") {
		t.Errorf("disable with the right token: %d\n%s", p.Status, excerpt(p.Body))
	}
}

// TestViewerCannotMutate: a viewer sees no mutation buttons, and its POSTs, with a valid CSRF
// token of its own session, are refused by the service (403) without changing anything.
func TestViewerCannotMutate(t *testing.T) {
	f := newFixture(t)
	viewer := f.e.Key(t, "default", switchboard.RoleViewer)
	b := newBrowser(t, f.e)
	mustStatus(t, b.signIn(viewer), http.StatusOK)
	list := b.get("/console/w/default/connections")
	if has(list.Body, "new-connection") || !has(list.Body, "connections") {
		t.Errorf("a viewer's list offers #new-connection (or has no table)")
	}
	for _, id := range []string{"nav-webhooks", "nav-api-keys", "nav-keyring"} {
		if has(list.Body, id) {
			t.Errorf("a viewer's navigation has #%s", id)
		}
	}
	detail := b.get("/console/w/default/connections/" + f.conn)
	mustStatus(t, detail, http.StatusOK)
	for _, id := range []string{"test-now", "enable", "disable", "rotate", "delete", "edit"} {
		if has(detail.Body, id) {
			t.Errorf("a viewer's detail page has #%s", id)
		}
	}
	if !has(detail.Body, "audit-forbidden") {
		t.Error("a viewer's detail page does not say the audit trail needs admin")
	}
	c := "/console/w/default/connections/" + f.conn
	for _, path := range []string{"/console/w/default/connections/new", c + "/edit", c + "/rotate", c + "/delete",
		"/console/w/default/webhooks", "/console/w/default/api-keys", "/console/w/default/keyring"} {
		if p := b.get(path); p.Status != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", path, p.Status)
		}
	}
	token := csrfOf(detail.Body)
	for path, form := range map[string]url.Values{
		c + "/test": {}, c + "/disable": {}, c + "/enable": {}, c + "/delete": {"force": {"true"}},
		c + "/rotate":                    {"config.password": {"stolen-0123456789"}},
		c + "/edit":                      {"name": {"renamed"}},
		"/console/w/default/connections": {"connector": {"http-bearer"}, "name": {"x"}, "config.base_url": {"https://x.example"}, "config.token": {"t"}},
		"/console/w/default/webhooks":    {"url": {"https://evil.example"}, "events": {"connection.created"}},
		"/console/w/default/api-keys":    {"role": {"viewer"}},
		"/console/w/default/webhooks/" + f.endpoint + "/test": {},
	} {
		form.Set("csrf", token)
		if p := b.post(path, form); p.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403\n%s", path, p.Status, excerpt(p.Body))
		}
	}
	r := f.e.Do(t, "GET", "/v1/workspaces/default/connections/"+f.conn, f.e.OwnerKey, nil)
	if m := r.Map(t); r.Status != http.StatusOK || m["enabled"] != true || m["connection_name"] != "orders-db" {
		t.Errorf("after the viewer's POSTs the connection is %d %s", r.Status, r.Body)
	}
	r = f.e.Do(t, "GET", "/v1/workspaces/default/connections", f.e.OwnerKey, nil)
	if n := len(r.Map(t)["items"].([]any)); n != 1 {
		t.Errorf("after the viewer's POSTs the workspace has %d connections, want 1", n)
	}
}

// TestXSSEscaped: names, descriptions, variables, tags and references with markup render as
// text on every page that shows them.
func TestXSSEscaped(t *testing.T) {
	e := newEnv(t)
	const script = `<script>alert(1)</script>`
	const attr = `"><img src=x onerror=alert(2)>`
	id := createConnection(t, e, "default", map[string]any{
		"connector_id": "http-bearer", "connection_name": script, "description": "desc " + script,
		"config":    map[string]any{"base_url": "https://api.example.com/" + "x", "token": "tok_xss_0123456789"},
		"variables": []map[string]string{{"name": "V" + script, "value": attr}}, "tags": []string{attr},
		"environment": "env" + attr, "external_xref": attr,
	})
	if r := e.Do(t, "POST", "/v1/workspaces/default/connections/"+id+"/usages", e.OwnerKey, map[string]any{"consumer": script}); r.Status != http.StatusCreated {
		t.Fatalf("add usage: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	c := "/console/w/default/connections/" + id
	for _, path := range []string{"/console/w/default/connections", "/console/w/default/connections?q=" + url.QueryEscape(script), c, c + "/edit", c + "/rotate", c + "/delete"} {
		p := b.get(path)
		mustStatus(t, p, http.StatusOK)
		for _, raw := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(p.Body, raw) {
				t.Errorf("%s: %q is in the HTML unescaped", path, raw)
			}
		}
		if !strings.Contains(p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the escaped name is not on the page", path)
		}
		checkNoInline(t, path, p.Body)
	}
}

// TestSecretsNeverInHTML (canary): secret values stored in connections, typed into forms
// that come back with errors, and the key signed in with never appear in any page.
func TestSecretsNeverInHTML(t *testing.T) {
	f := newFixture(t)
	const canary = "canary-Zq7mX2-secret-value-0001"
	id := createConnection(t, f.e, "default", map[string]any{
		"connector_id": "slash", "connection_name": "canary",
		"config": map[string]any{"partnerEndpoint": "https://partner.example.com", "slashApiBaseUrl": "https://api.slash.com",
			"slashApiKey": canary, "slashAccountId": canary + "-acct", "slashWebhookSecret": canary + "-whsec"},
	})
	b := newBrowser(t, f.e)
	var bodies []string
	keep := func(p *page) { bodies = append(bodies, p.URL+"\n"+p.Body) }
	keep(b.signIn(f.e.OwnerKey))
	c := "/console/w/default/connections/" + id
	for _, path := range append(f.pages, c, c+"/edit", c+"/rotate", c+"/delete", "/console/w/default/connections/new?connector=slash") {
		keep(b.get(path))
	}
	// Forms refused with the secret typed in: the secret is not shown back.
	b.get("/console/w/default/connections/new?connector=slash")
	keep(b.post("/console/w/default/connections", url.Values{"connector": {"slash"}, "name": {""},
		"config.slashApiKey": {canary}, "config.slashAccountId": {canary}, "config.slashWebhookSecret": {canary}, "config.partnerEndpoint": {"not a url"}}))
	b.get(c + "/edit")
	keep(b.post(c+"/edit", url.Values{"name": {""}, "config.slashApiKey": {canary + "-new"}}))
	b.get(c + "/rotate")
	keep(b.post(c+"/rotate", url.Values{"config.slashApiKey": {"x"}})) // too short? accepted or refused, never shown
	keep(b.get(c))
	if d := b.get(c); !strings.Contains(d.Body, `data-secret="slashApiKey"`) || !strings.Contains(d.Body, "****") {
		t.Fatalf("the detail page shows no masked secret:\n%s", excerpt(d.Body))
	}
	for _, body := range bodies {
		for _, secret := range []string{canary, canary[:16], "pw-fixture-0123456789", "pw-fixture", f.e.OwnerKey} {
			if strings.Contains(body, secret) {
				t.Errorf("page %s holds a secret (%q...)", strings.SplitN(body, "\n", 2)[0], secret[:8])
			}
		}
	}
	if len(bodies) < 20 {
		t.Fatalf("only %d pages checked", len(bodies))
	}
}
