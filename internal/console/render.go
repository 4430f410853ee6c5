package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pageTemplate is one page: the layout, the shared partials and the page's "content".
type pageTemplate struct{ t *template.Template }

var funcs = template.FuncMap{
	"time":   fmtTime,
	"timep":  fmtTimePtr,
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":   strings.Join,
	"lower":  strings.ToLower,
	"pathq":  url.PathEscape,
	"add":    func(a, b int) int { return a + b },
	"status": func(s switchboard.Status) string { return strings.ToLower(string(s)) },
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

// mustParsePages parses every templates/*.html other than the layout and the partials as a
// page.
func mustParsePages() map[string]*pageTemplate {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles,
			"templates/layout.html", "templates/partials.html", n))
		pages[base] = &pageTemplate{t: t}
	}
	return pages
}

// flashMsg is a message for the next page, kept in a sealed cookie across a redirect. Key is
// a console catalog key; with Code set it is a service error's key (internal/i18n's catalog).
type flashMsg struct {
	Kind string         `json:"kind"` // "ok", "error", "info"
	Key  string         `json:"key"`
	Code string         `json:"code,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// text renders the flash in l's language.
func (f *flashMsg) text(l *localizer) string {
	if f.Code != "" {
		return l.Err(&switchboard.Error{Code: switchboard.Code(f.Code), Message: f.Key, Args: f.Args})
	}
	var kv []any
	for k, v := range f.Args {
		kv = append(kv, k, v)
	}
	return l.T(f.Key, kv...)
}

// errorFlash is a flash showing a service error.
func errorFlash(err error) flashMsg {
	e := switchboard.AsError(err)
	if e.Code == switchboard.CodeInternal {
		return flashMsg{Kind: "error", Key: "internal", Code: string(switchboard.CodeInternal)}
	}
	return flashMsg{Kind: "error", Key: e.Message, Code: string(e.Code), Args: e.Args}
}

func (c *Console) setFlash(w http.ResponseWriter, f flashMsg) {
	v, err := c.keys.seal(flashCookie, f)
	if err != nil {
		return
	}
	http.SetCookie(w, c.cookie(flashCookie, v, time.Minute))
}

// takeFlash reads and clears the flash cookie.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) *flashMsg {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	c.clearCookie(w, flashCookie)
	var f flashMsg
	if c.keys.open(flashCookie, ck.Value, &f) != nil {
		return nil
	}
	return &f
}

// localizer picks the request's language, remembering a ?lang= choice in a cookie, and sets
// Content-Language.
func (c *Console) localizer(w http.ResponseWriter, r *http.Request) *localizer {
	tag, fromQuery := pickLanguage(r)
	if fromQuery {
		http.SetCookie(w, c.cookie(langCookie, tag.String(), 365*24*time.Hour))
	}
	w.Header().Set("Content-Language", tag.String())
	w.Header().Add("Vary", "Accept-Language, Cookie")
	return &localizer{cat: c.cat, tag: tag}
}

// langOption is one entry of the language switcher.
type langOption struct {
	Tag, Name string
	Selected  bool
}

// view is what the layout renders.
type view struct {
	L          *localizer
	Title      string
	Nav        string // the section to mark current
	CSRF       string
	Principal  *switchboard.Principal
	WS         *switchboard.Workspace
	Workspaces []*switchboard.Workspace
	Base       string
	Flash      *flashView
	Next       string
	Langs      []langOption
	CanEdit    bool // editor or higher: connection actions
	CanAdmin   bool // admin or higher: webhooks, API keys
	CanKeyring bool // tenant-wide admin: the keyring
	Data       any
}

type flashView struct{ Kind, Text string }

// page renders page with data and status for an authenticated request.
func (c *Console) page(q *req, status int, name, title, nav string, data any) error {
	v := &view{L: q.l, Title: title, Nav: nav, Data: data}
	c.setPrincipal(v, q)
	return c.write(q.w, q.r, status, name, v)
}

// setPrincipal fills the parts of v about the signed-in principal: who, where, what it may do.
func (c *Console) setPrincipal(v *view, q *req) {
	v.Principal, v.WS, v.Workspaces, v.CSRF = q.p, q.ws, q.wss, c.keys.csrfToken("s", q.sess.ID)
	v.CanEdit, v.CanAdmin = q.can(switchboard.RoleEditor), q.can(switchboard.RoleAdmin)
	v.CanKeyring = v.CanAdmin && q.tenantWide()
	if q.ws != nil {
		v.Base = q.base()
	}
}

// write fills the parts of v every page has and renders the page.
func (c *Console) write(w http.ResponseWriter, r *http.Request, status int, name string, v *view) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("console: no page %q", name)
	}
	if f := c.takeFlash(w, r); f != nil {
		v.Flash = &flashView{Kind: f.Kind, Text: f.text(v.L)}
	}
	v.Next = r.URL.RequestURI()
	for _, tag := range i18n.Languages() {
		v.Langs = append(v.Langs, langOption{Tag: tag.String(), Name: langNames[tag.String()], Selected: tag == v.L.tag})
	}
	var buf bytes.Buffer
	if err := t.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// errorData is the error page's content.
type errorData struct {
	Status  int
	Message string
}

// errorPage renders the error page; q is nil when the request has no session.
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, l *localizer, q *req, status int, msg string) {
	v := &view{L: l, Title: l.T(fmt.Sprintf("error.title.%d", status)), Data: errorData{Status: status, Message: msg}}
	if status != http.StatusForbidden && status != http.StatusNotFound && status != http.StatusMethodNotAllowed &&
		status != http.StatusUnauthorized && status != http.StatusInternalServerError {
		v.Title = l.T("error.title")
	}
	if q != nil {
		c.setPrincipal(v, q)
	}
	if err := c.write(w, r, status, "error", v); err != nil {
		c.cfg.Logger.Error("console: rendering the error page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}
