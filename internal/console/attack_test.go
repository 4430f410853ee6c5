package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/server"
)

// These tests extend security_test.go from chosen pages to every console route the server
// mounts (Server.Routes) and from two payloads to the usual families of markup, URL and
// template attacks, through every field the console renders. Each reports how many attacks
// got through; all must be 0.

// TestConsoleAttacks runs the attacks below and reports their sum: XSS that got into a page,
// forged POSTs accepted, planted sessions upgraded, responses that may be framed or redirect
// out of the console.
func TestConsoleAttacks(t *testing.T) {
	total := 0
	for _, a := range []struct {
		name string
		run  func(*testing.T) int
	}{
		{"xss", attackXSSEveryField}, {"csrf", attackCSRFEveryPost},
		{"session-fixation", attackSessionFixation}, {"clickjacking-and-redirects", attackClickjackingAndRedirects},
	} {
		t.Run(a.name, func(t *testing.T) { total += a.run(t) })
	}
	t.Logf("FIGURE console_attacks_accepted=%d", total)
}

// xssPayloads are the markup a hostile user types into fields other users then look at.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	`'><svg onload=alert(3)>`,
	`javascript:alert(4)`,
	`</textarea><script>alert(5)</script>`,
	`</title><script>alert(6)</script>`,
	`{{.CSRF}}{{template "layout" .}}`,
	`<a href="javascript:alert(7)">x</a>`,
}

// rawMarkers must never appear in a page: each is the start of an element or attribute a
// payload tried to inject.
var rawMarkers = []string{"<script>alert", "<img src=x", "<svg onload", `<a href="javascript:`, "</textarea><script", "</title><script"}

// pageProblems lists what a payload got into a page: raw markup, an event handler or a
// javascript: URL in an attribute, or a template action that was run.
func pageProblems(body string) []string {
	var out []string
	for _, m := range rawMarkers {
		if strings.Contains(body, m) {
			out = append(out, "raw "+m)
		}
	}
	return append(out, inlineProblems(body)...)
}

// consoleRoutes returns the console's routes as the server mounts them.
func consoleRoutes(t *testing.T, s *server.Server) []server.Route {
	t.Helper()
	var out []server.Route
	for _, r := range s.Routes() {
		if r.Family == server.ConsoleFamily {
			out = append(out, r)
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d console routes", len(out))
	}
	return out
}

var routeParam = regexp.MustCompile(`\{([a-z]+)\}|\{\$\}`)

// fillRoute puts ids into a route pattern.
func fillRoute(t *testing.T, pattern string, ids map[string]string) string {
	t.Helper()
	return routeParam.ReplaceAllStringFunc(pattern, func(m string) string {
		if m == "{$}" {
			return ""
		}
		v, ok := ids[strings.Trim(m, "{}")]
		if !ok {
			t.Fatalf("no id for %s in %s", m, pattern)
		}
		return v
	})
}

// attackXSSEveryField stores every payload in every field the console shows (connection
// name, description, variables, tags, environment, external reference, usage consumer,
// non-secret config, webhook URL, API key name), sends them in every query parameter the
// console echoes (filters, lang, next, connector) and path segment, and through forms whose
// errors are rendered, then checks every page for markup that got through.
func attackXSSEveryField(t *testing.T) int {
	e := newEnv(t)
	ws := "/v1/workspaces/default"
	var conns []string
	for i, p := range xssPayloads {
		r := e.Do(t, "POST", ws+"/connections", e.OwnerKey, map[string]any{
			"connector_id": "http-bearer", "connection_name": p + strings.Repeat("!", i), "description": "d " + p,
			"config":    map[string]any{"base_url": "https://api.example.com/", "token": "tok_xss_0123456789"},
			"variables": []map[string]string{{"name": "V" + string(rune('A'+i)), "value": p}}, "tags": []string{p},
			"environment": "env-" + p, "external_xref": p,
		})
		if r.Status != http.StatusCreated {
			// A payload refused at the API is not an attack that got through; note it.
			t.Logf("connection with %q refused: %d", p, r.Status)
			continue
		}
		id := r.Map(t)["id"].(string)
		conns = append(conns, id)
		if r := e.Do(t, "POST", ws+"/connections/"+id+"/usages", e.OwnerKey, map[string]any{"consumer": p}); r.Status != http.StatusCreated {
			t.Logf("usage %q refused: %d", p, r.Status)
		}
		e.Do(t, "POST", ws+"/api-keys", e.OwnerKey, map[string]any{"name": p, "role": "viewer"})
		e.Do(t, "POST", ws+"/webhook-endpoints", e.OwnerKey, map[string]any{"url": "https://hooks.example.com/" + url.PathEscape(p)})
		e.Do(t, "POST", ws+"/webhook-endpoints", e.OwnerKey, map[string]any{"url": "https://hooks.example.com/x?q=" + p})
	}
	if len(conns) < len(xssPayloads)-1 {
		t.Fatalf("only %d of %d payload connections stored: the pages would show little", len(conns), len(xssPayloads))
	}
	// A webhook URL with quotes and angle brackets (no whitespace, so it is a valid URL).
	hooks := []string{}
	for _, u := range []string{`https://hooks.example.com/"><svg/onload=alert(8)>`, `https://hooks.example.com/'onmouseover='alert(9)`} {
		if r := e.Do(t, "POST", ws+"/webhook-endpoints", e.OwnerKey, map[string]any{"url": u}); r.Status == http.StatusCreated {
			hooks = append(hooks, r.Map(t)["id"].(string))
		}
	}
	r := e.Do(t, "GET", ws+"/webhook-endpoints", e.OwnerKey, nil)
	for _, it := range r.Map(t)["items"].([]any) {
		hooks = append(hooks, it.(map[string]any)["id"].(string))
	}

	b := newBrowser(t, e)
	mustStatus(t, b.signIn(e.OwnerKey), http.StatusOK)
	w := "/console/w/default"
	var pages []string
	for _, rt := range consoleRoutes(t, e.Server) {
		if rt.Method != "GET" || strings.Contains(rt.Path, "{id}") || strings.Contains(rt.Path, "{file}") {
			continue
		}
		pages = append(pages, fillRoute(t, rt.Path, map[string]string{"ws": "default", "key": "http-bearer"}))
	}
	for _, id := range conns {
		c := w + "/connections/" + id
		pages = append(pages, c, c+"/edit", c+"/rotate", c+"/delete")
	}
	for _, id := range hooks {
		pages = append(pages, w+"/webhooks/"+id)
	}
	for _, p := range xssPayloads {
		q := url.QueryEscape(p)
		pages = append(pages,
			w+"/connections?q="+q, w+"/connections?status="+q, w+"/connections?connector="+q, w+"/connections?q="+q+"&page_token="+q,
			w+"/connections/new?connector="+q, w+"/connections/"+url.PathEscape(p), w+"/connectors/"+url.PathEscape(p),
			"/console/w/"+url.PathEscape(p)+"/connections", w+"/connections?lang="+q, "/console/login?next="+q,
			w+"/webhooks/"+url.PathEscape(p), "/console/nope/"+url.PathEscape(p),
		)
	}
	accepted := 0
	checked := 0
	shown := map[string]int{} // escaped payload -> pages showing it (the positive control)
	escaped := []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;", "&lt;/textarea&gt;&lt;script&gt;alert(5)",
		"{{.CSRF}}", "javascript:alert(4)", "&lt;svg/onload=alert(8)&gt;", "%3Cscript%3Ealert"}
	check := func(what string, p *page) {
		t.Helper()
		checked++
		for _, esc := range escaped {
			if strings.Contains(p.Body, esc) {
				shown[esc]++
			}
		}
		if probs := pageProblems(p.Body); len(probs) > 0 {
			accepted++
			t.Errorf("%s (%d): %v", what, p.Status, probs)
		}
	}
	for _, path := range pages {
		check("GET "+path, b.get(path))
	}
	// The same pages in another language, and the lang parameter itself.
	for _, p := range xssPayloads {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", e.URL+w+"/connections", nil)
		req.Header.Set("Accept-Language", p)
		check("Accept-Language "+p, b.do(req))
		check("lang "+p, b.get("/console/lang?lang="+url.QueryEscape(p)+"&next="+url.QueryEscape(w+"/connections")))
	}
	b.get("/console/lang?lang=ja&next=" + url.QueryEscape(w+"/connections"))
	for _, id := range conns[:2] {
		check("ja detail", b.get(w+"/connections/"+id))
	}
	b.get("/console/lang?lang=en&next=" + url.QueryEscape(w+"/connections"))

	// Forms refused with errors that show what was typed.
	for _, p := range xssPayloads {
		b.get(w + "/connections/new?connector=http-bearer")
		check("create form error", b.post(w+"/connections", url.Values{"connector": {"http-bearer"}, "name": {p},
			"description": {p}, "config.base_url": {p}, "config.token": {p}, "environment": {p}, "external_xref": {p}}))
		b.get(w + "/connections/new")
		check("create with unknown connector", b.post(w+"/connections", url.Values{"connector": {p}, "name": {p}}))
		b.get(w + "/connections/" + conns[0] + "/edit")
		check("edit form error", b.post(w+"/connections/"+conns[0]+"/edit", url.Values{"name": {""}, "description": {p}, "config.base_url": {p}}))
		b.get(w + "/webhooks")
		check("webhook form error", b.post(w+"/webhooks", url.Values{"url": {p}, "events": {p}}))
		b.get(w + "/api-keys")
		check("api key form error", b.post(w+"/api-keys", url.Values{"name": {p}, "role": {p}}))
		b.get("/console/login")
		check("sign-in error", b.post("/console/login", url.Values{"api_key": {p}, "next": {p}}))
		b.signIn(e.OwnerKey)
	}
	for _, esc := range escaped {
		if shown[esc] == 0 {
			t.Errorf("no page shows %q: the payload never reached a page, so its check proves nothing", esc)
		}
	}
	if p := b.get(w + "/api-keys"); !strings.Contains(p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the API keys page does not show the escaped key name")
	}
	t.Logf("checked %d pages and form answers with %d payloads; escaped payloads shown: %v", checked, len(xssPayloads), shown)
	t.Logf("FIGURE console_xss_accepted=%d", accepted)
	return accepted
}

// attackCSRFEveryPost: every console POST route, signed in, without a CSRF token, with
// a forged one and with a valid one sent cross-site, is refused with 403 and changes nothing.
func attackCSRFEveryPost(t *testing.T) int {
	f := newFixture(t)
	e := f.e
	keyID := ""
	if r := e.Do(t, "POST", "/v1/workspaces/default/api-keys", e.OwnerKey, map[string]any{"name": "victim", "role": "viewer"}); r.Status == http.StatusCreated {
		keyID = r.Map(t)["id"].(string)
	}
	snapshot := func() string {
		var s strings.Builder
		for _, p := range []string{"/connections", "/webhook-endpoints", "/api-keys"} {
			r := e.Do(t, "GET", "/v1/workspaces/default"+p, e.OwnerKey, nil)
			body := regexp.MustCompile(`"last_used_at":"[^"]*",?`).ReplaceAllString(string(r.Body), "")
			s.WriteString(body)
		}
		return s.String()
	}
	before := snapshot()
	b := newBrowser(t, e)
	b.follow = false
	mustStatus(t, b.signIn(e.OwnerKey), http.StatusSeeOther)
	ids := map[string]string{"ws": "default", "id": f.conn}
	accepted, tried := 0, 0
	for _, rt := range consoleRoutes(t, e.Server) {
		if rt.Method != "POST" {
			continue
		}
		id := f.conn
		switch {
		case strings.Contains(rt.Path, "/webhooks/"):
			id = f.endpoint
		case strings.Contains(rt.Path, "/api-keys/"):
			id = keyID
		}
		ids["id"] = id
		path := fillRoute(t, rt.Path, ids)
		form := url.Values{"name": {"csrf-attack"}, "force": {"true"}, "connector": {"http-bearer"}, "config.base_url": {"https://x.example.com"},
			"config.token": {"tok-0123456789"}, "url": {"https://evil.example.com/"}, "events": {"connection.created"}, "role": {"owner"},
			"api_key": {e.OwnerKey}}
		for _, attack := range []string{"none", "forged", "cross-site"} {
			b.get("/console/w/default/connections/" + f.conn)
			fv := url.Values{}
			for k, v := range form {
				fv[k] = v
			}
			req := func() *http.Request {
				r, _ := http.NewRequestWithContext(t.Context(), "POST", e.URL+path, strings.NewReader(fv.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}
			var rq *http.Request
			switch attack {
			case "none":
				rq = req()
			case "forged":
				fv.Set("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
				rq = req()
			case "cross-site":
				fv.Set("csrf", csrfOf(b.last.Body))
				rq = req()
				rq.Header.Set("Sec-Fetch-Site", "cross-site")
				rq.Header.Set("Origin", "https://evil.example.com")
			}
			tried++
			if p := b.do(rq); p.Status != http.StatusForbidden {
				accepted++
				t.Errorf("POST %s with %s CSRF token: %d, want 403", path, attack, p.Status)
			}
		}
	}
	if after := snapshot(); after != before {
		accepted++
		t.Errorf("refused POSTs changed the workspace:\nbefore %s\nafter  %s", before, after)
	}
	// Still signed in: the refusals did not end the session, and a real POST works.
	b.get("/console/w/default/connections/" + f.conn)
	if p := b.post("/console/w/default/connections/"+f.conn+"/disable", nil); p.Status != http.StatusOK && p.Status != http.StatusSeeOther {
		t.Errorf("disable with the token: %d (positive control)", p.Status)
	}
	t.Logf("FIGURE console_csrf_accepted=%d (of %d forged POSTs)", accepted, tried)
	return accepted
}

// attackSessionFixation: cookies planted before sign-in (a garbage session, another
// user's real viewer session, a known sign-in cookie) are never upgraded: the owner's sign-in
// mints a new session, and the planted cookies keep exactly what they had.
func attackSessionFixation(t *testing.T) int {
	f := newFixture(t)
	e := f.e
	u, _ := url.Parse(e.URL + "/console/")
	// The attacker signs in as a viewer and keeps that session cookie.
	attacker := newBrowser(t, e)
	attacker.follow = false
	attacker.signIn(e.Key(t, "default", switchboard.RoleViewer))
	planted := attacker.cookie("sb_session")
	if planted == nil {
		t.Fatal("the viewer got no session cookie")
	}
	attacker.get("/console/login")
	plantedLogin := attacker.cookie("sb_login")
	accepted := 0
	for name, cookies := range map[string][]*http.Cookie{
		"garbage session":       {{Name: "sb_session", Value: "attacker-chosen-value", Path: "/console"}},
		"viewer's session":      {{Name: "sb_session", Value: planted.Value, Path: "/console"}},
		"attacker's login form": {{Name: "sb_login", Value: plantedLogin.Value, Path: "/console"}},
	} {
		victim := newBrowser(t, e)
		victim.follow = false
		victim.c.Jar.SetCookies(u, cookies)
		victim.signIn(e.OwnerKey)
		got := victim.cookie("sb_session")
		if got == nil {
			t.Fatalf("%s: the owner's sign-in set no session", name)
		}
		for _, c := range cookies {
			if got.Value == c.Value {
				accepted++
				t.Errorf("%s: the session cookie after sign-in is the planted one", name)
			}
		}
		if victim.cookie("sb_login") != nil && victim.cookie("sb_login").Value == plantedLogin.Value {
			t.Errorf("%s: the sign-in cookie survived the sign-in", name)
		}
	}
	// The attacker's own cookie is still a viewer's: the owner's sign-ins upgraded nothing.
	for _, path := range []string{"/console/w/default/api-keys", "/console/w/default/keyring", "/console/w/default/webhooks"} {
		if p := attacker.get(path); p.Status != http.StatusForbidden {
			accepted++
			t.Errorf("the attacker's viewer session on %s: %d, want 403", path, p.Status)
		}
	}
	// A forged or tampered session cookie is no session at all.
	forger := newBrowser(t, e)
	forger.follow = false
	tampered := []byte(planted.Value)
	tampered[len(tampered)/2] ^= 1
	forger.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sb_session", Value: string(tampered), Path: "/console"}})
	if p := forger.get("/console/w/default/connections"); p.Status != http.StatusSeeOther {
		accepted++
		t.Errorf("a tampered session cookie: %d, want the redirect to sign-in", p.Status)
	}
	t.Logf("FIGURE console_session_fixation_accepted=%d", accepted)
	return accepted
}

// attackClickjackingAndRedirects: every console response, for every route and method,
// signed in or not, including errors, 404s, 405s and redirects, forbids framing (CSP
// frame-ancestors 'none' and X-Frame-Options DENY); and no redirect leaves the console.
func attackClickjackingAndRedirects(t *testing.T) int {
	f := newFixture(t)
	e := f.e
	anon := newBrowser(t, e)
	anon.follow = false
	owner := newBrowser(t, e)
	owner.follow = false
	owner.signIn(e.OwnerKey)
	ids := map[string]string{"ws": "default", "id": f.conn, "key": "postgres", "file": "console.css"}
	missing, responses := 0, 0
	framing := func(what string, p *page) {
		t.Helper()
		responses++
		csp := p.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || p.Header.Get("X-Frame-Options") != "DENY" {
			missing++
			t.Errorf("%s (%d): CSP %q, X-Frame-Options %q", what, p.Status, csp, p.Header.Get("X-Frame-Options"))
		}
		if loc := p.Header.Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/console") || strings.HasPrefix(loc, "//")) {
			missing++
			t.Errorf("%s: redirect to %q leaves the console", what, loc)
		}
	}
	send := func(b *browser, method, path string) *page {
		req, _ := http.NewRequestWithContext(t.Context(), method, e.URL+path, nil)
		if method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return b.do(req)
	}
	for _, rt := range consoleRoutes(t, e.Server) {
		for _, bogus := range []bool{false, true} {
			m := ids
			if bogus {
				m = map[string]string{"ws": "nope", "id": "conn_nope", "key": "nope", "file": "nope.js"}
			}
			path := fillRoute(t, rt.Path, m)
			for _, method := range []string{rt.Method, "HEAD", "PUT", "DELETE"} {
				if method == "HEAD" && rt.Method != "GET" {
					continue
				}
				if rt.Path == "/console/logout" && method == "POST" {
					continue // would end the owner's session; covered below
				}
				framing("anonymous "+method+" "+path, send(anon, method, path))
				framing("owner "+method+" "+path, send(owner, method, path))
			}
		}
	}
	for _, path := range []string{"/console", "/console/", "/console/static/", "/console/static/../login", "/console/%2e%2e/v1",
		"/console/login?next=https://evil.example.com", "/console/login?next=//evil.example.com",
		"/console/lang?lang=ja&next=https://evil.example.com/", "/console/lang?lang=ja&next=//evil.example.com/",
		"/console/lang?lang=ja&next=/console/..//evil.example.com", "/console/lang?lang=ja&next=%2F%2Fevil.example.com",
		"/console/lang?lang=ja&next=/\\evil.example.com", "/console/lang?lang=ja&next=javascript:alert(1)"} {
		framing("anonymous GET "+path, anon.get(path))
		framing("owner GET "+path, owner.get(path))
	}
	// Sign-in with a good key (303), a bad key, a forged CSRF token, and sign-out.
	b := newBrowser(t, e)
	b.follow = false
	b.get("/console/login")
	framing("sign-in refused", b.post("/console/login", url.Values{"api_key": {"sbk_nope"}}))
	framing("sign-in forged", b.post("/console/login", url.Values{"api_key": {e.OwnerKey}, "csrf": {"forged"}}))
	b.get("/console/login")
	framing("sign-in", b.post("/console/login", url.Values{"api_key": {e.OwnerKey}, "next": {"https://evil.example.com"}}))
	b.get("/console/w/default/connections")
	framing("sign-out", b.post("/console/logout", nil))
	t.Logf("FIGURE console_clickjacking_unprotected=%d (of %d responses)", missing, responses)
	return missing
}
