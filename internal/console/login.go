package console

import (
	"context"
	"embed"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

//go:embed static/*
var staticFiles embed.FS

// loginData is the sign-in page's content.
type loginData struct {
	Error string // why the last attempt failed
}

// home sends a signed-in user to their default workspace, anyone else to the sign-in page.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	s := c.readSession(r)
	if s == nil {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	p, err := c.cfg.Auth.Authenticate(r.Context(), s.Token)
	if err != nil {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	ws, err := c.defaultWorkspace(switchboard.WithPrincipal(r.Context(), p))
	if err != nil {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/w/"+url.PathEscape(ws)+"/connections", http.StatusSeeOther)
}

// loginPage shows the sign-in form. Its CSRF token is bound to a random cookie set here (the
// login cookie), which sign-in discards: it never becomes the session.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	l := c.localizer(w, r)
	c.renderLogin(w, r, l, http.StatusOK, "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, l *localizer, status int, errMsg string) {
	bound := ""
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) == 43 {
		bound = ck.Value
	} else {
		bound = randomID()
		http.SetCookie(w, c.cookie(loginCookie, bound, time.Hour))
	}
	v := &view{L: l, Title: l.T("login.title"), CSRF: c.keys.csrfToken("l", bound), Data: loginData{Error: errMsg}}
	if err := c.write(w, r, status, "login", v); err != nil {
		c.cfg.Logger.Error("console: rendering the sign-in page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// login checks the key (or JWT) with the API's Authenticator and, when it is good, starts a
// fresh session: a new random id and a new cookie, whatever cookies the browser sent.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	l := c.localizer(w, r)
	bound := ""
	if ck, err := r.Cookie(loginCookie); err == nil {
		bound = ck.Value
	}
	if !c.checkPostCSRF(w, r, "l", bound) {
		c.errorPage(w, r, l, nil, http.StatusForbidden, l.T("error.csrf"))
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("api_key"))
	if t, ok := strings.CutPrefix(token, "Bearer "); ok {
		token = strings.TrimSpace(t)
	}
	if token == "" {
		c.renderLogin(w, r, l, http.StatusBadRequest, l.T("login.error.blank"))
		return
	}
	if len(token) > maxTokenLen {
		c.renderLogin(w, r, l, http.StatusBadRequest, l.T("login.error.too_long"))
		return
	}
	p, err := c.cfg.Auth.Authenticate(r.Context(), token)
	if err != nil {
		if switchboard.ErrorCode(err) == switchboard.CodeUnauthenticated {
			c.cfg.Logger.Info("console: sign-in refused", "reason", err)
			c.renderLogin(w, r, l, http.StatusUnauthorized, l.T("login.error.invalid"))
			return
		}
		c.fail(w, r, l, nil, err)
		return
	}
	ws, err := c.defaultWorkspace(switchboard.WithPrincipal(r.Context(), p))
	if err != nil {
		c.renderLogin(w, r, l, http.StatusForbidden, l.T("login.error.no_workspace"))
		return
	}
	s := newSession(token, c.now(), c.cfg.SessionTTL)
	if err := c.writeSession(w, s); err != nil {
		c.fail(w, r, l, nil, err)
		return
	}
	c.clearCookie(w, loginCookie)
	c.setFlash(w, flashMsg{Kind: "ok", Key: "flash.signed_in"})
	http.Redirect(w, r, "/console/w/"+url.PathEscape(ws)+"/connections", http.StatusSeeOther)
}

// defaultWorkspace is where a principal lands: "default" when it can act there, else the
// first workspace it can act in.
func (c *Console) defaultWorkspace(ctx context.Context) (string, error) {
	wss, _, err := c.cfg.Service.ListWorkspaces(ctx, switchboard.Page{Limit: 200})
	if err != nil {
		return "", err
	}
	if len(wss) == 0 {
		return "", switchboard.NotFound("workspace")
	}
	for _, w := range wss {
		if w.ID == switchboard.DefaultID {
			return w.ID, nil
		}
	}
	return wss[0].ID, nil
}

// logout ends the session: the cookie is cleared (the POST's CSRF token was checked by
// authed).
func (c *Console) logout(q *req) error {
	c.clearCookie(q.w, sessionCookie)
	c.setFlash(q.w, flashMsg{Kind: "ok", Key: "flash.signed_out"})
	http.Redirect(q.w, q.r, "/console/login", http.StatusSeeOther)
	return nil
}

// switchLang remembers ?lang= (localizer sets the cookie) and goes back to next.
func (c *Console) switchLang(w http.ResponseWriter, r *http.Request) {
	c.localizer(w, r)
	next := safeNext(r.URL.Query().Get("next"))
	if next == "" {
		next = "/console/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// switchWorkspace goes to the connections of ?ws= (the switcher is a GET form).
func (c *Console) switchWorkspace(q *req) error {
	id := q.r.URL.Query().Get("ws")
	if !slices.ContainsFunc(q.wss, func(w *switchboard.Workspace) bool { return w.ID == id }) {
		return switchboard.NotFound("workspace")
	}
	http.Redirect(q.w, q.r, "/console/w/"+url.PathEscape(id)+"/connections", http.StatusSeeOther)
	return nil
}

// static serves the embedded CSS and JavaScript.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFiles.ReadFile("static/" + path.Base(name))
	if err != nil || strings.HasPrefix(name, ".") {
		l := c.localizer(w, r)
		c.errorPage(w, r, l, nil, http.StatusNotFound, l.T("error.not_found"))
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(b)
}
