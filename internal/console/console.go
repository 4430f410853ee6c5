// Package console serves Switchboard's web console at /console: server-rendered pages
// (html/template) over the same switchboard.Service the native API uses, with a little
// JavaScript and CSS served from files embedded in the binary. No build step.
//
// Sign-in takes an API key (or a JWT) and checks it with the API's Authenticator; the session
// is a cookie holding the credential sealed with AES-256-GCM under a key derived (HKDF) from
// the console secret, so every replica given the same secret reads it. The credential is
// authenticated again on every request: revoking the key ends its sessions. Every form
// carries a CSRF token (an HMAC of the session id), every POST is checked, and every response
// carries a strict Content-Security-Policy. See docs/console.md.
package console

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

// Authenticator turns a bearer credential (API key or JWT) into a principal; internal/auth
// implements it, the same one the API uses.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*switchboard.Principal, error)
}

// DefaultSessionTTL is how long a session lasts after sign-in unless configured otherwise.
const DefaultSessionTTL = 8 * time.Hour

// Config is what the console needs.
type Config struct {
	Service *switchboard.Service
	Auth    Authenticator
	// Secret is the input key material (at least 32 bytes) the session and CSRF keys are
	// derived from; replicas must share it (cmd/switchboard derives it from the keyring). nil:
	// a random one for this process, with a warning: sessions end at restart and are not
	// read by other replicas.
	Secret []byte
	// InsecureCookies drops the Secure attribute of the console's cookies, for development
	// over plain http on a host other than localhost (browsers keep Secure cookies from
	// http://localhost and http://127.0.0.1). Never in production.
	InsecureCookies bool
	// SessionTTL is the lifetime of a session; <= 0: DefaultSessionTTL.
	SessionTTL time.Duration
	Logger     *slog.Logger // nil: slog.Default()
}

// Console is the web console.
type Console struct {
	cfg   Config
	keys  *keys
	cat   *i18n.Catalog
	pages map[string]*pageTemplate
	now   func() time.Time
}

// Route is one route of the console: a method and a ServeMux path pattern. Public routes
// answer without a session (the sign-in page, the language switch and the static files).
type Route struct {
	Method  string
	Path    string
	Public  bool
	Handler http.Handler
}

// New returns the console. It touches neither the service nor the authenticator until it
// serves a request.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret)
		cfg.Logger.Warn("console: no session secret configured; using a random one (sessions end at restart and are not shared by replicas)")
	}
	k, err := deriveKeys(secret)
	if err != nil {
		panic(err.Error()) // a configuration defect of the caller, caught by its tests
	}
	cfg.Secret = nil
	return &Console{cfg: cfg, keys: k, cat: mustLoadCatalog(), pages: mustParsePages(), now: time.Now}
}

// Routes returns every route of the console.
func (c *Console) Routes() []Route {
	const ws = "/console/w/{ws}"
	const conn = ws + "/connections/{id}"
	pub := func(method, path string, h http.HandlerFunc) Route {
		return Route{Method: method, Path: path, Public: true, Handler: c.Secure(h)}
	}
	auth := func(method, path string, h handler) Route {
		return Route{Method: method, Path: path, Handler: c.Secure(c.authed(h))}
	}
	return []Route{
		pub("GET", "/console/{$}", c.home),
		pub("GET", "/console/login", c.loginPage),
		pub("POST", "/console/login", c.login),
		pub("GET", "/console/lang", c.switchLang),
		pub("GET", "/console/static/{file}", c.static),
		auth("POST", "/console/logout", c.logout),
		auth("GET", "/console/w", c.switchWorkspace),

		auth("GET", ws+"/connections", c.listConnections),
		auth("POST", ws+"/connections", c.createConnection),
		auth("GET", ws+"/connections/new", c.newConnection),
		auth("GET", conn, c.showConnection),
		auth("GET", conn+"/edit", c.editConnection),
		auth("POST", conn+"/edit", c.updateConnection),
		auth("GET", conn+"/rotate", c.rotateForm),
		auth("POST", conn+"/rotate", c.rotate),
		auth("GET", conn+"/delete", c.deleteForm),
		auth("POST", conn+"/delete", c.deleteConnection),
		auth("POST", conn+"/test", c.testConnection),
		auth("POST", conn+"/enable", c.enableConnection),
		auth("POST", conn+"/disable", c.disableConnection),

		auth("GET", ws+"/connectors", c.listConnectors),
		auth("GET", ws+"/connectors/{key}", c.showConnector),

		auth("GET", ws+"/webhooks", c.listWebhooks),
		auth("POST", ws+"/webhooks", c.createWebhook),
		auth("GET", ws+"/webhooks/{id}", c.showWebhook),
		auth("POST", ws+"/webhooks/{id}/test", c.testWebhook),

		auth("GET", ws+"/api-keys", c.listAPIKeys),
		auth("POST", ws+"/api-keys", c.createAPIKey),
		auth("POST", ws+"/api-keys/{id}/revoke", c.revokeAPIKey),

		auth("GET", ws+"/keyring", c.keyring),
	}
}

// Fallback answers a request under /console/ that no route takes: an HTML 405 (with Allow)
// when allow names the methods the path has, else an HTML 404, with the console's headers.
func (c *Console) Fallback(allow []string) http.Handler {
	return c.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := c.localizer(w, r)
		if len(allow) > 0 {
			for _, m := range allow {
				w.Header().Add("Allow", m)
			}
			c.errorPage(w, r, l, nil, http.StatusMethodNotAllowed, l.T("error.method_not_allowed"))
			return
		}
		c.errorPage(w, r, l, nil, http.StatusNotFound, l.T("error.not_found"))
	}))
}

// securityHeaders are sent with every console response.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"X-Content-Type-Options":       "nosniff",
	"Cache-Control":                "no-store",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
}

// Secure wraps next so that its responses carry the console's security headers (CSP with
// frame-ancestors 'none', X-Frame-Options DENY, ...), set before next writes anything. Every
// console route has it; the server also puts it in front of its mux for paths under /console,
// so the redirects the mux answers itself carry them too.
func (c *Console) Secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range securityHeaders {
			h.Set(k, v)
		}
		next.ServeHTTP(w, r)
	})
}
