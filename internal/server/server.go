// Package server assembles Switchboard's HTTP surface: the one routes file that mounts the
// native /v1 API (and, later, the vendor compatibility APIs), the middleware every request
// passes through, and a graceful Serve.
package server

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/compat/auth0"
	"github.com/switchboardhq/switchboard/internal/compat/secmaster"
	"github.com/switchboardhq/switchboard/internal/compat/slash"
	"github.com/switchboardhq/switchboard/internal/compat/unified"
	"github.com/switchboardhq/switchboard/internal/compat/versori"
	"github.com/switchboardhq/switchboard/internal/console"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

// Authenticator turns a bearer token into a principal; internal/auth implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*switchboard.Principal, error)
}

// SignatureAuthenticator is implemented by an Authenticator that also verifies requests
// signed with an access key (Huawei SDK-HMAC-SHA256); internal/auth implements it. Without
// it, signed requests are refused.
type SignatureAuthenticator interface {
	// AuthenticateHuawei verifies r, whose raw body is body, and returns its principal.
	AuthenticateHuawei(ctx context.Context, r *http.Request, body []byte) (*switchboard.Principal, error)
}

// Config is what the server needs.
type Config struct {
	Service   *switchboard.Service
	Auth      Authenticator
	Logger    *slog.Logger         // nil: slog.Default()
	BodyLimit int64                // <= 0: api.DefaultBodyLimit
	Registry  *prometheus.Registry // nil: a new registry
	// SecureChannelKey is the P-256 key encrypted request bodies are sent to, published at
	// SecureChannelPath. nil: one is generated for the process, with a warning (replicas must
	// share it: cmd/switchboard derives it from the keyring).
	SecureChannelKey *ecdsa.PrivateKey

	// ConsoleOff leaves the web console (/console) unmounted.
	ConsoleOff bool
	// ConsoleSecret is the input key material the console's session and CSRF keys are derived
	// from (at least 32 bytes); replicas must share it (cmd/switchboard derives it from the
	// keyring). nil: a random one for the process, with a warning.
	ConsoleSecret []byte
	// ConsoleInsecureCookies drops the Secure attribute of the console's cookies: only for
	// development over plain http on a host other than localhost.
	ConsoleInsecureCookies bool
	// ConsoleSessionTTL is the lifetime of a console session; <= 0: console.DefaultSessionTTL.
	ConsoleSessionTTL time.Duration

	// PrincipalLimit bounds the requests of one principal (API key, JWT subject, access key)
	// on the API routes; over it they get 429 with Retry-After. Zero: no limit.
	PrincipalLimit RateLimit
	// FailedAuthLimit bounds refused credentials per client address; over it the client's
	// requests get 429 with Retry-After before any credential is checked. Zero: no limit.
	FailedAuthLimit RateLimit
	// TrustedProxies are the addresses of reverse proxies in front of the server: for a
	// request from one, the failed-auth limit counts the client X-Forwarded-For names instead
	// of the proxy. Empty: forwarding headers are ignored.
	TrustedProxies []netip.Prefix
	// ReadHeaderTimeout is how long Serve waits for a request's headers; <= 0:
	// DefaultReadHeaderTimeout. A client dribbling headers is cut off after it.
	ReadHeaderTimeout time.Duration
}

// DefaultReadHeaderTimeout is Serve's time limit for reading a request's headers.
const DefaultReadHeaderTimeout = 5 * time.Second

// MaxHeaderBytes is the most header bytes Serve reads; more gets 431.
const MaxHeaderBytes = 64 << 10

// Server is the HTTP surface of Switchboard.
type Server struct {
	cfg      Config
	api      *api.API
	mux      *http.ServeMux
	handler  http.Handler
	metrics  *metrics
	families []family
	console  *console.Console // nil when ConsoleOff

	perPrincipal *limiter // nil: no limit
	failedAuth   *limiter // nil: no limit
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, api: api.New(cfg.Service, cfg.BodyLimit), mux: http.NewServeMux()}
	s.api.SetWebhookVerifier(webhook.VerifyRemembering)
	s.metrics = newMetrics(cfg.Registry)
	s.perPrincipal, s.failedAuth = newLimiter(cfg.PrincipalLimit), newLimiter(cfg.FailedAuthLimit)
	// The vendor compatibility APIs, one line each.
	s.families = []family{
		{name: "secmaster", routes: secmaster.New(cfg.Service).Routes()},
		{name: "versori", routes: versori.New(cfg.Service).Routes()},
		{name: "slash", routes: slash.New(cfg.Service).Routes()},
		{name: "unified", routes: unified.New(cfg.Service).Routes()},
		{name: "auth0", routes: auth0.New(cfg.Service).Routes()},
	}
	if !cfg.ConsoleOff {
		s.console = console.New(console.Config{
			Service: cfg.Service, Auth: cfg.Auth, Secret: cfg.ConsoleSecret, InsecureCookies: cfg.ConsoleInsecureCookies,
			SessionTTL: cfg.ConsoleSessionTTL, Logger: cfg.Logger,
		})
	}
	s.routes()
	s.handler = s.middleware(s.consoleHeaders(s.mux))
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until ctx is done, then stops accepting, lets in-flight requests finish
// (up to grace) and returns. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cmp.Or(max(s.cfg.ReadHeaderTimeout, 0), DefaultReadHeaderTimeout),
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
