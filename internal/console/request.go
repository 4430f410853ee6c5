package console

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// maxFormBytes bounds a console form body.
const maxFormBytes = 1 << 20

// req is one authenticated console request.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context // carries the principal, for the service
	sess *session
	p    *switchboard.Principal
	ws   *switchboard.Workspace   // nil outside /console/w/{ws}/...
	wss  []*switchboard.Workspace // the workspaces the principal can act in
	l    *localizer
}

// handler is a console page or action; an error it returns becomes an error page.
type handler func(q *req) error

// base is the path prefix of the request's workspace pages.
func (q *req) base() string { return "/console/w/" + url.PathEscape(q.ws.ID) }

// can reports whether the principal holds role min (the service decides; this only hides
// buttons a role cannot use).
func (q *req) can(min switchboard.Role) bool { return q.p.Role.AtLeast(min) }

// needEditor refuses a form page to a principal who could not submit it (the service refuses
// the submission itself; this only spares showing a form that cannot work).
func (q *req) needEditor() error {
	if !q.can(switchboard.RoleEditor) {
		return switchboard.Errorf(switchboard.CodeForbidden, "forbidden.role", "Role", string(switchboard.RoleEditor))
	}
	return nil
}

// tenantWide reports whether the principal acts in every workspace of its tenant.
func (q *req) tenantWide() bool { return slices.Contains(q.p.Workspaces, switchboard.AllWorkspaces) }

// authed wraps h: it opens the session, checks the CSRF token of a POST, authenticates the
// session's credential again, and resolves the workspace of the path. Without a session a GET
// goes to the sign-in page and a POST is refused (403): a POST without a session has no CSRF
// token that could be valid.
func (c *Console) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := c.localizer(w, r)
		s := c.readSession(r)
		if r.Method == http.MethodPost {
			if !c.checkPostCSRF(w, r, "s", sessionID(s)) {
				c.errorPage(w, r, l, nil, http.StatusForbidden, l.T("error.csrf"))
				return
			}
		}
		if s == nil {
			if _, err := r.Cookie(sessionCookie); err == nil {
				c.clearCookie(w, sessionCookie) // expired or forged: drop it
			}
			c.toLogin(w, r, "flash.sign_in_needed")
			return
		}
		p, err := c.cfg.Auth.Authenticate(r.Context(), s.Token)
		if err != nil {
			// The key was revoked or the JWT expired: the session ends with it.
			c.clearCookie(w, sessionCookie)
			if switchboard.ErrorCode(err) != switchboard.CodeUnauthenticated {
				c.fail(w, r, l, nil, err)
				return
			}
			c.toLogin(w, r, "flash.session_ended")
			return
		}
		ctx := switchboard.WithPrincipal(r.Context(), p)
		q := &req{w: w, r: r.WithContext(ctx), ctx: ctx, sess: s, p: p, l: l}
		if q.wss, _, err = c.cfg.Service.ListWorkspaces(ctx, switchboard.Page{Limit: 200}); err != nil {
			c.fail(w, r, l, q, err)
			return
		}
		if id := r.PathValue("ws"); id != "" {
			// The list just read holds it when the principal may act there; GetWorkspace
			// (one more store read) is left for what it refuses, with its error.
			i := slices.IndexFunc(q.wss, func(ws *switchboard.Workspace) bool { return ws.ID == id })
			if i >= 0 && q.can(switchboard.RoleViewer) {
				q.ws = q.wss[i]
			} else if q.ws, err = c.cfg.Service.GetWorkspace(ctx, id); err != nil {
				c.fail(w, r, l, q, err)
				return
			}
		}
		if err := h(q); err != nil {
			c.fail(w, r, l, q, err)
		}
	})
}

func sessionID(s *session) string {
	if s == nil {
		return ""
	}
	return s.ID
}

// checkPostCSRF parses the form of a POST (bounded) and checks its csrf field against the
// token of (kind, bound). Cross-site requests are refused whatever the token, when the
// browser says so (Sec-Fetch-Site).
func (c *Console) checkPostCSRF(w http.ResponseWriter, r *http.Request, kind, bound string) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return c.keys.checkCSRF(kind, bound, r.PostForm.Get("csrf"))
}

// toLogin redirects to the sign-in page with a flash message.
func (c *Console) toLogin(w http.ResponseWriter, r *http.Request, key string) {
	c.setFlash(w, flashMsg{Kind: "info", Key: key})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// redirect answers a POST with 303 to path, showing the flash there.
func (q *req) redirect(c *Console, path string, f flashMsg) error {
	c.setFlash(q.w, f)
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
	return nil
}

// statusOf is the HTTP status of a page showing err.
func statusOf(err error) int { return httpx.StatusOf(switchboard.ErrorCode(err)) }

// fail renders err as an error page, with the status the API would give it. Internal errors
// are logged and shown without their text.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, l *localizer, q *req, err error) {
	e := httpx.SafeError(r, err)
	c.errorPage(w, r, l, q, statusOf(e), l.Err(e))
}

// safeNext returns next when it is a console path (never another origin), else "".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") && next != "/console" {
		return ""
	}
	if strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	// http.Redirect cleans the path: judge the path it will send ("/console/../x" is "/x").
	if clean := path.Clean(u.Path); clean != "/console" && !strings.HasPrefix(clean, "/console/") {
		return ""
	}
	// Drop lang from what we go back to: the cookie now holds the choice.
	qv := u.Query()
	qv.Del("lang")
	u.RawQuery = qv.Encode()
	return u.String()
}
