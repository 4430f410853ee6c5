package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// defaultChromium is where Debian's chromium package puts the browser.
const defaultChromium = "/usr/bin/chromium"

// stepTimeout bounds each browser step, so a missing element fails the step that waits for
// it, naming it, instead of the whole test's deadline.
const stepTimeout = 15 * time.Second

// chromiumPath is the browser to drive (E2E_CHROMIUM, else /usr/bin/chromium). Without it
// the test skips, except in CI (CI=true), where it fails: CI must not pass by skipping.
func chromiumPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("E2E_CHROMIUM")
	if path == "" {
		path = defaultChromium
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("%s not found: the console's end-to-end tests need Chromium "+
			"(Debian: apt-get install chromium chromium-driver; or set E2E_CHROMIUM)", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; required when CI=true")
		}
		t.Skip(msg)
	}
	return path
}

// artifactsDir is where screenshots go: $E2E_ARTIFACTS, else artifacts/ in the test's
// working directory (e2e/artifacts). Screenshots of an earlier run (with the same name
// prefix) are removed first, so the directory shows this run only.
func artifactsDir(t testing.TB, prefix string) string {
	t.Helper()
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshots dir: %v", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, prefix+"[0-9][0-9]-*.png"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	return dir
}

// browser is one headless Chromium tab, with its own fresh profile directory.
type browser struct {
	t      testing.TB
	ctx    context.Context
	dir    string // screenshots
	prefix string // of the screenshots' names
	shots  int
	// secrets must not be in any page's HTML (checked by page); never logged.
	secrets []string
}

// newBrowser starts Chromium at execPath with the flags this machine needs (no sandbox as
// root, no GPU, no QUIC, no background or component-update traffic to a closed network)
// and a fresh temporary --user-data-dir (chromedp makes it and removes it). It stops when
// the test ends.
func newBrowser(ctx context.Context, t testing.TB, execPath, shotPrefix string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // ends the Chromium process this test started
	})
	// The first Do starts the browser and opens the tab. It runs on the tab's own context:
	// a browser started under a shorter-lived child context would end with that child.
	// The test's deadline (ctx) bounds it.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", execPath, err)
	}
	return &browser{t: t, ctx: bctx, dir: artifactsDir(t, shotPrefix), prefix: shotPrefix}
}

// do runs actions that stay on the page, with the step timeout.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// load runs actions that navigate (a link, a submit, a Navigate) and waits for the new
// page; it returns the response of the document (after redirects).
func (b *browser) load(what string, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.fail(what, err)
	}
	return resp
}

// open navigates to url and waits for the page.
func (b *browser) open(url string) *network.Response {
	b.t.Helper()
	return b.load("open "+url, chromedp.Navigate(url))
}

// run runs one action that returns a value, with the step timeout.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// fail stops the test at a step that went wrong, naming the page it was on and saving a
// screenshot of it.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	b.screenshot(ctx, "failed")
	b.t.Fatalf("%s (on %s): %v", what, where, err)
}

// fatalf stops the test with a message, after saving a screenshot of the page.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	_ = b.screenshot(ctx, "failed")
	b.t.Fatalf(format, args...)
}

// location is the URL of the page.
func (b *browser) location() string {
	b.t.Helper()
	return run(b, "read the location", chromedp.Location())
}

// html is the page's whole document as the browser holds it.
func (b *browser) html() string {
	b.t.Helper()
	return run(b, "read the page's HTML", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}

// has says whether an element matches the CSS selector now (it does not wait).
func (b *browser) has(css string) bool {
	b.t.Helper()
	return run(b, "look for "+css, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, css)))
}

// text is the visible text of the first element matching css, waiting for it.
func (b *browser) text(css string) string {
	b.t.Helper()
	return run(b, "read the text of "+css, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
}

var shotName = regexp.MustCompile(`[^a-z0-9-]+`)

// shot saves a full-page PNG of the page as NN-name.png in the artifacts directory.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := b.screenshot(ctx, name); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
}

func (b *browser) screenshot(ctx context.Context, name string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		return err
	}
	b.shots++
	file := filepath.Join(b.dir, fmt.Sprintf("%s%02d-%s.png", b.prefix, b.shots, shotName.ReplaceAllString(name, "-")))
	return os.WriteFile(file, png, 0o644)
}

// page records a page the test visited: a screenshot, and a check that no secret is in its
// HTML (the check names the secret by its place in b.secrets, never by its value).
func (b *browser) page(name string) {
	b.t.Helper()
	b.shot(name)
	html := b.html()
	for i, s := range b.secrets {
		if s != "" && strings.Contains(html, s) {
			b.t.Errorf("page %q (%s) has secret #%d of the test in its HTML", name, b.location(), i)
		}
	}
}

// waitVisible waits until an element matching css is visible.
func (b *browser) waitVisible(css string) {
	b.t.Helper()
	b.do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
}

// count is how many elements match css now.
func (b *browser) count(css string) int {
	b.t.Helper()
	return run(b, "count "+css, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, css)))
}

// rowOf is the data-connection-id of the #connections row whose text has name ("" if none).
func (b *browser) rowOf(name string) string {
	b.t.Helper()
	b.waitVisible("#connections")
	return run(b, "find the row of "+name, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const r = [...document.querySelectorAll("#connections tr[data-connection-id]")]
			.find(r => r.textContent.includes(%q));
		return r ? r.dataset.connectionId : "";
	})()`, name)))
}

// lang is the page's <html lang>.
func (b *browser) lang() string {
	b.t.Helper()
	return run(b, "read <html lang>", chromedp.Evaluate[string](`document.documentElement.lang`))
}

// wantFlash waits for the page's #flash message (console.js puts its text back ~150ms after
// load, for screen readers) and fails unless it is of kind ("ok", "error", "info": its
// flash-<kind> class) and says something. It returns the text.
func (b *browser) wantFlash(kind string) string {
	b.t.Helper()
	b.waitVisible("#flash")
	class := run(b, "read #flash's class", chromedp.Evaluate[string](`document.getElementById("flash").className`))
	text := strings.TrimSpace(b.text("#flash"))
	if !slices.Contains(strings.Fields(class), "flash-"+kind) || text == "" {
		b.t.Errorf("#flash = %q (class %q), want a flash-%s message", text, class, kind)
	}
	return text
}
