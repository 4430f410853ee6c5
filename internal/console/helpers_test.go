package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// browser is a cookie-keeping client of a test Switchboard's console.
type browser struct {
	t      testing.TB
	e      *testenv.Env
	c      *http.Client
	lang   string // Accept-Language
	last   *page
	follow bool
}

// page is one response.
type page struct {
	Status int
	Header http.Header
	Body   string
	URL    string // the final URL path (after redirects)
}

func newBrowser(t testing.TB, e *testenv.Env) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, e: e, follow: true}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !b.follow {
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := &page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), URL: resp.Request.URL.RequestURI()}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		b.last = p
	}
	return p
}

// get fetches path.
func (b *browser) get(path string) *page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), "GET", b.e.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits form to path with the CSRF token of the last page shown (unless form has one).
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.last != nil {
		form.Set("csrf", csrfOf(b.last.Body))
	}
	req, err := http.NewRequestWithContext(b.t.Context(), "POST", b.e.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(body string) string {
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// signIn signs in with key and returns the page it lands on.
func (b *browser) signIn(key string) *page {
	b.t.Helper()
	b.get("/console/login")
	return b.post("/console/login", url.Values{"api_key": {key}})
}

// cookie returns the jar's cookie name for the console.
func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.URL + "/console/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// mustStatus fails unless p has status want.
func mustStatus(t testing.TB, p *page, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("%s: status %d, want %d\n%s", p.URL, p.Status, want, excerpt(p.Body))
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "..."
	}
	return s
}

// has reports whether body has an element with id.
func has(body, id string) bool { return strings.Contains(body, `id="`+id+`"`) }

// tagWithID returns the start tag of the element with id, "" when there is none.
func tagWithID(body, id string) string {
	re := regexp.MustCompile(`<[a-z]+\b[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`)
	return re.FindString(body)
}

// newEnv starts a Switchboard on SQLite.
func newEnv(t testing.TB) *testenv.Env {
	t.Helper()
	return testenv.New(t, "sqlite")
}

// createConnection creates a connection through the API and returns its id.
func createConnection(t testing.TB, e *testenv.Env, ws string, body map[string]any) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/connections", e.OwnerKey, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// bearer returns a connection body of connector http-bearer.
func bearer(name, token string) map[string]any {
	return map[string]any{
		"connector_id": "http-bearer", "connection_name": name,
		"config": map[string]any{"base_url": "https://api.example.com/v1", "token": token},
	}
}
