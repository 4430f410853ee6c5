package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// testTimeout bounds each test: build, serve, browser and every page.
const testTimeout = 110 * time.Second

// The connector the flow creates: its health check is GET {base_url}/ with
// "Authorization: Bearer {token}", so a loopback target can tell the current token.
const (
	connector   = "http-bearer"
	secretField = "token"
	urlField    = "base_url"
	workspace   = "default"
)

// TestHarness checks the harness alone (binary, serve, banner, browser, screenshot) on
// /healthz, so a failure of TestConsole is the console's, not the harness's.
func TestHarness(t *testing.T) {
	execPath := chromiumPath(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := startServer(ctx, t, buildBinary(ctx, t))
	b := newBrowser(ctx, t, execPath, "harness-")
	resp := b.open(srv.URL + "/healthz")
	if resp.Status != 200 {
		t.Fatalf("GET /healthz: %d", resp.Status)
	}
	if got := b.location(); got != srv.URL+"/healthz" {
		t.Errorf("location = %q", got)
	}
	if body := b.text("body"); !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz body = %q", body)
	}
	if b.has("#sign-in") || !strings.Contains(b.html(), `"ok"`) {
		t.Errorf("/healthz page is not the health answer:\n%s", b.html())
	}
	b.shot("healthz")
}

// TestConsole walks the console as a user does: sign in, create a connection through the
// generated form (and see a missing required field refused), find it in the list, test it
// against a loopback API, rotate its secret, disable and enable it, delete it, switch the
// language, sign out. The secrets never appear in any page's HTML.
func TestConsole(t *testing.T) {
	execPath := chromiumPath(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	start := time.Now()
	srv := startServer(ctx, t, buildBinary(ctx, t))
	api := newTarget(t)
	b := newBrowser(ctx, t, execPath, "")
	oldToken, newToken := "e2e-old-"+rand.Text(), "e2e-new-"+rand.Text()
	b.secrets = []string{srv.Key, oldToken, newToken}
	list := srv.URL + "/console/w/" + workspace + "/connections"

	// Signed out, the console sends you to its login page.
	b.open(list)
	wantPath(t, b, "/console/login")
	b.page("login")

	b.do("type the API key", chromedp.SendKeys(chromedp.ID("api_key"), srv.Key, chromedp.NodeVisible))
	b.load("sign in", chromedp.Click(chromedp.ID("sign-in"), chromedp.NodeVisible))
	wantPath(t, b, "/console/w/"+workspace+"/connections")
	b.wantFlash("ok")
	b.waitVisible("#connections")
	if n := b.count("tr[data-connection-id]"); n != 0 {
		t.Errorf("a new workspace lists %d connections", n)
	}
	b.page("connections-empty")

	b.load("open the new connection form", chromedp.Click(chromedp.ID("new-connection"), chromedp.NodeVisible))
	b.page("new-connection")
	b.do("choose the connector", chromedp.SetValue(chromedp.ID("connector"), connector, chromedp.NodeVisible))
	b.load("submit the connector choice", chromedp.Click(chromedp.ID("choose-connector"), chromedp.NodeVisible))
	if q := query(t, b.location()); q.Get("connector") != connector {
		b.fatalf("after choosing a connector the page is %s, want ?connector=%s", b.location(), connector)
	}
	b.page("new-connection-form")

	// A required field left empty: the server refuses the form and names the field. The
	// browser's own check of required fields is turned off, so the server's is what shows.
	fillConnection(b, "e2e-api", "", oldToken)
	b.do("turn off the browser's form validation", chromedp.Evaluate[chromedp.Void](
		`document.getElementById("submit").form.noValidate = true`))
	b.load("submit the form without "+urlField, chromedp.Click(chromedp.ID("submit"), chromedp.NodeVisible))
	errSel := "#error-" + urlField // the property's error, beside its #field-<property>
	if !b.has(errSel) {
		b.fatalf("a form without the required %s shows no %s:\n%s", urlField, errSel, b.html())
	}
	if msg := b.text(errSel); strings.TrimSpace(msg) == "" {
		t.Errorf("%s is empty", errSel)
	}
	const fieldErrors = `[id^="error-"]:not([id^="error-summary"])`
	if n := b.count(fieldErrors); n != 1 {
		t.Errorf("the form shows %d field errors, want 1 (only %s is missing)", n, urlField)
	}
	b.page("new-connection-missing-field")

	// The whole form, accepted.
	api.acceptBearer(oldToken)
	fillConnection(b, "e2e-api", api.URL, oldToken)
	b.load("create the connection", chromedp.Click(chromedp.ID("submit"), chromedp.NodeVisible))
	if b.has(errSel) {
		b.fatalf("the complete form was refused: %s", b.text(errSel))
	}
	if msg := b.wantFlash("ok"); !strings.Contains(msg, "e2e-api") {
		t.Errorf("the flash after creating does not name the connection: %q", msg)
	}
	b.page("created")

	b.open(list)
	id := b.rowOf("e2e-api")
	if id == "" {
		b.fatalf("the new connection is not in #connections:\n%s", b.html())
	}
	b.page("connections")

	row := fmt.Sprintf(`tr[data-connection-id=%q] a`, id)
	b.load("open the connection", chromedp.Click(chromedp.CSS(row), chromedp.NodeVisible))
	detail := "/console/w/" + workspace + "/connections/" + id
	wantPath(t, b, detail)
	wantText(t, b, "#status", "PENDING") // not checked yet
	b.page("connection")

	// Test now: the target accepts the token, so the connection becomes healthy and ACTIVE.
	b.load("test the connection", chromedp.Click(chromedp.ID("test-now"), chromedp.NodeVisible))
	b.wantFlash("ok")
	wantText(t, b, "#status", "ACTIVE")
	wantHealthy(t, b)
	if calls, last := api.seen(); calls == 0 || last != "Bearer "+oldToken {
		t.Errorf("the target saw %d requests, the last with the wrong Authorization (want the created token)", calls)
	}
	b.page("connection-tested")

	// Rotate the secret; the target now accepts only the new one, and a test passes.
	b.load("open the rotate form", chromedp.Click(chromedp.ID("rotate"), chromedp.NodeVisible))
	b.page("rotate")
	b.do("type the new secret", chromedp.SendKeys(chromedp.ID("field-"+secretField), newToken, chromedp.NodeVisible))
	b.load("rotate the secret", chromedp.Click(chromedp.ID("submit"), chromedp.NodeVisible))
	b.wantFlash("ok")
	b.page("rotated")
	wantPath(t, b, detail)
	api.acceptBearer(newToken)
	before, _ := api.seen()
	b.load("test after the rotation", chromedp.Click(chromedp.ID("test-now"), chromedp.NodeVisible))
	b.wantFlash("ok")
	if calls, last := api.seen(); calls == before || last != "Bearer "+newToken {
		t.Errorf("after the rotation the health check sent the wrong token (or none)")
	}
	wantText(t, b, "#status", "ACTIVE")
	wantHealthy(t, b)
	b.page("connection-rotated-tested")

	// Disable and enable.
	b.load("disable", chromedp.Click(chromedp.ID("disable"), chromedp.NodeVisible))
	b.wantFlash("ok")
	wantText(t, b, "#status", "DISABLED")
	b.waitVisible("#enable")
	b.page("connection-disabled")
	b.load("enable", chromedp.Click(chromedp.ID("enable"), chromedp.NodeVisible))
	b.wantFlash("ok")
	if s := b.text("#status"); strings.Contains(s, "DISABLED") {
		t.Errorf("after enable, #status = %q", s)
	}
	b.waitVisible("#disable")
	b.page("connection-enabled")

	// Delete, confirmed on its own page; the list no longer has it.
	b.load("open the delete confirmation", chromedp.Click(chromedp.ID("delete"), chromedp.NodeVisible))
	b.page("delete-confirm")
	b.load("confirm the delete", chromedp.Click(chromedp.ID("confirm-delete"), chromedp.NodeVisible))
	if msg := b.wantFlash("ok"); !strings.Contains(msg, "e2e-api") {
		t.Errorf("the flash after deleting does not name the connection: %q", msg)
	}
	wantPath(t, b, "/console/w/"+workspace+"/connections")
	b.waitVisible("#connections")
	if b.has(fmt.Sprintf(`tr[data-connection-id=%q]`, id)) {
		t.Errorf("the deleted connection %s is still listed", id)
	}
	b.page("deleted")

	// The language switcher changes the page's language.
	switchLanguage(t, b)

	// Sign out: the console's pages send you to the login page again.
	b.load("sign out", chromedp.Click(chromedp.ID("sign-out"), chromedp.NodeVisible))
	wantPath(t, b, "/console/login")
	b.wantFlash("ok")
	b.page("signed-out")
	b.open(list)
	wantPath(t, b, "/console/login")
	b.wantFlash("info")
	b.page("after-sign-out")
	t.Logf("console flow: %d pages in %s (screenshots in %s)", b.shots, time.Since(start).Round(time.Millisecond), b.dir)
}

// fillConnection fills the generated form of the connector: name, base URL and secret (each
// value replaces what the field holds: a refused form comes back with values in it).
func fillConnection(b *browser, name, baseURL, token string) {
	b.t.Helper()
	set := func(id, v string) {
		if v == "" {
			// SetValue reads the value back and takes "" for a failure.
			b.do("empty #"+id, chromedp.WaitVisible(chromedp.ID(id)), chromedp.Evaluate[chromedp.Void](
				fmt.Sprintf(`document.getElementById(%q).value = ""`, id)))
			return
		}
		b.do("fill #"+id, chromedp.SetValue(chromedp.ID(id), v, chromedp.NodeVisible))
	}
	set("name", name)
	set("field-"+urlField, baseURL)
	set("field-"+secretField, token)
}

// switchLanguage picks another language in #lang as a user does and checks that <html lang>
// follows. #lang is a <select> (submitted by its form's button, or by the page's script on
// change when the form has no visible button) or holds one link per language.
func switchLanguage(t *testing.T, b *browser) {
	t.Helper()
	b.waitVisible("#lang")
	before := b.lang()
	type choice struct {
		Select bool   // #lang is a <select>
		Value  string // the option chosen, or the link's hreflang/lang/text
		Button bool   // the select's form has a submit button
		Href   string // the link to follow
	}
	c := run(b, "find another language in #lang", chromedp.Evaluate[choice](`(() => {
		const el = document.getElementById("lang");
		const cur = document.documentElement.lang.toLowerCase();
		if (el.tagName === "SELECT") {
			const o = [...el.options].find(o => o.value && !o.selected && o.value.toLowerCase() !== cur);
			const f = el.form;
			const btn = f && f.querySelector("button:not([type=button]), input[type=submit]");
			// A button the page's script hid is not one a user can press.
			return {Select: true, Value: o ? o.value : "", Button: !!(btn && btn.offsetParent !== null), Href: ""};
		}
		const a = [...el.querySelectorAll("a[href]")].find(a =>
			!a.hasAttribute("aria-current") && (a.hreflang || a.lang || "").toLowerCase() !== cur);
		return {Select: false, Value: a ? (a.hreflang || a.lang || a.textContent.trim()) : "", Button: false,
			Href: a ? a.href : ""};
	})()`))
	if c.Value == "" {
		b.fatalf("#lang offers no other language:\n%s", run(b, "read #lang", chromedp.OuterHTML(chromedp.ID("lang"))))
	}
	switch {
	case c.Select && c.Button:
		b.do("choose "+c.Value+" in #lang", chromedp.SetValue(chromedp.ID("lang"), c.Value))
		b.load("submit the language", chromedp.Evaluate[chromedp.Void](
			`document.getElementById("lang").form.querySelector("button:not([type=button]), input[type=submit]").click()`))
	case c.Select:
		// SetValue fires input and change, as a user's choice does: the page's script submits.
		b.load("choose "+c.Value+" in #lang", chromedp.SetValue(chromedp.ID("lang"), c.Value))
	default:
		b.open(c.Href)
	}
	after := b.lang()
	want := strings.ToLower(strings.SplitN(c.Value, "-", 2)[0])
	if after == before || !strings.HasPrefix(strings.ToLower(after), want) {
		t.Errorf("after choosing %q in #lang, <html lang> is %q (was %q)", c.Value, after, before)
	}
	b.page("language-" + after)
}

// wantPath fails unless the page's path is path.
func wantPath(t *testing.T, b *browser, path string) {
	t.Helper()
	loc := b.location()
	u, err := url.Parse(loc)
	if err != nil || u.Path != path {
		b.fatalf("page is %s, want path %s", loc, path)
	}
}

func query(t *testing.T, loc string) url.Values {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("location %q: %v", loc, err)
	}
	return u.Query()
}

// wantText fails unless the element's text contains want (ignoring case).
func wantText(t *testing.T, b *browser, css, want string) {
	t.Helper()
	if got := b.text(css); !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
		t.Errorf("%s = %q, want it to say %s", css, got, want)
	}
}

// wantHealthy fails unless #health says healthy (and not unhealthy).
func wantHealthy(t *testing.T, b *browser) {
	t.Helper()
	got := strings.ToLower(b.text("#health"))
	if !strings.Contains(got, "healthy") || strings.Contains(got, "unhealthy") {
		t.Errorf("#health = %q, want healthy", got)
	}
}
