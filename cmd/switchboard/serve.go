package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/oauth"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/storecache"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

type serveOptions struct {
	addr        string
	hs256Secret string
	jwksURL     string
	issuer      string
	audience    string
	bodyLimit   int64
	grace       time.Duration

	healthInterval time.Duration
	outboundAllow  []string

	publicURL       string
	refreshInterval time.Duration
	refreshMargin   time.Duration

	// webhookWorkers is how many webhook deliveries this replica sends at once (0: none).
	webhookWorkers int

	logLevel  string
	debugAddr string
	readAudit string

	console                bool
	consoleInsecureCookies bool
	consoleSessionTTL      time.Duration

	rateLimit, failedAuthLimit float64
	rateBurst, failedAuthBurst int
	trustedProxies             []string
}

// consoleSessionLabel is the HKDF label of the console's session secret, derived from the
// keyring like the SecureChannel key, so every replica reads every replica's sessions.
const consoleSessionLabel = "switchboard/console/session/v1"

func serveCmd(o *options) *cobra.Command {
	so := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API (embedded SQLite by default, PostgreSQL with --database-url)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd, o, so)
		},
	}
	f := cmd.Flags()
	f.StringVar(&so.addr, "addr", env("SWITCHBOARD_ADDR", "127.0.0.1:8080"), "listen address (env SWITCHBOARD_ADDR)")
	f.StringVar(&so.hs256Secret, "jwt-hs256-secret", env("SWITCHBOARD_JWT_HS256_SECRET", ""), "accept HS256 JWTs signed with this secret (env SWITCHBOARD_JWT_HS256_SECRET)")
	f.StringVar(&so.jwksURL, "jwks-url", env("SWITCHBOARD_JWKS_URL", ""), "accept RS256/ES256 JWTs signed by keys of this JWKS (env SWITCHBOARD_JWKS_URL)")
	f.StringVar(&so.issuer, "jwt-issuer", env("SWITCHBOARD_JWT_ISSUER", ""), "required JWT iss (env SWITCHBOARD_JWT_ISSUER)")
	f.StringVar(&so.audience, "jwt-audience", env("SWITCHBOARD_JWT_AUDIENCE", ""), "required JWT aud (env SWITCHBOARD_JWT_AUDIENCE)")
	f.Int64Var(&so.bodyLimit, "body-limit", 1<<20, "largest request body in bytes")
	f.StringVar(&so.logLevel, "log-level", env("SWITCHBOARD_LOG_LEVEL", "info"), "debug, info (logs every request), warn or error (env SWITCHBOARD_LOG_LEVEL)")
	f.StringVar(&so.readAudit, "read-audit", env("SWITCHBOARD_READ_AUDIT", "buffered"), "how credential reads are audited: buffered (events written in bulk every 10ms; a crash loses at most the last 10ms of read events) or sync (each read's event is written before it is answered) (env SWITCHBOARD_READ_AUDIT)")
	f.StringVar(&so.debugAddr, "debug-addr", env("SWITCHBOARD_DEBUG_ADDR", ""), "serve Go's pprof profiles at this address under /debug/pprof/ (off by default; keep it on loopback; env SWITCHBOARD_DEBUG_ADDR)")
	f.DurationVar(&so.grace, "shutdown-grace", 20*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	f.DurationVar(&so.healthInterval, "health-interval", 5*time.Minute, "how often each connection's health check runs (0 disables the scheduler; POST .../test still works)")
	f.StringSliceVar(&so.outboundAllow, "outbound-allow", nil, "CIDRs outbound requests (health checks, webhooks) may reach although private, loopback or link-local (e.g. 10.0.0.0/8)")
	f.StringVar(&so.publicURL, "public-url", env("SWITCHBOARD_PUBLIC_URL", ""), "URL users reach this server at, for OAuth2 connect links and the redirect URI {public-url}/connect/callback (default: the listen address; env SWITCHBOARD_PUBLIC_URL)")
	f.DurationVar(&so.refreshInterval, "refresh-interval", time.Minute, "how often idle connections' OAuth2 tokens expiring within the margin are refreshed (0 disables; reads still refresh)")
	f.DurationVar(&so.refreshMargin, "refresh-margin", 15*time.Minute, "an OAuth2 token expiring within this is refreshed before it is handed out")
	f.BoolVar(&so.console, "console", envBool("SWITCHBOARD_CONSOLE", true), "serve the web console at /console (env SWITCHBOARD_CONSOLE)")
	f.BoolVar(&so.consoleInsecureCookies, "console-insecure-cookies", envBool("SWITCHBOARD_CONSOLE_INSECURE_COOKIES", false), "DEVELOPMENT ONLY: console cookies without the Secure attribute, for plain http on a host other than localhost/127.0.0.1 (env SWITCHBOARD_CONSOLE_INSECURE_COOKIES)")
	f.DurationVar(&so.consoleSessionTTL, "console-session-ttl", 8*time.Hour, "lifetime of a console session after sign-in")
	f.Float64Var(&so.rateLimit, "rate-limit", server.DefaultPrincipalLimit.Rate, "requests per second one principal (API key, JWT subject, access key) may send to the API, sustained; over it 429 with Retry-After (0: no limit)")
	f.IntVar(&so.rateBurst, "rate-limit-burst", server.DefaultPrincipalLimit.Burst, "requests one principal may send at once above --rate-limit (0: one second's worth)")
	f.Float64Var(&so.failedAuthLimit, "failed-auth-limit", server.DefaultFailedAuthLimit.Rate, "refused credentials per second one client IP may send, sustained, before its requests get 429 with Retry-After unchecked (0: no limit; behind a proxy all clients share the proxy's IP)")
	f.IntVar(&so.failedAuthBurst, "failed-auth-burst", server.DefaultFailedAuthLimit.Burst, "refused credentials one client IP may send at once above --failed-auth-limit")
	f.StringSliceVar(&so.trustedProxies, "trusted-proxies", nil, "CIDRs of reverse proxies in front of serve (e.g. 10.0.0.5/32): for their requests --failed-auth-limit counts the client X-Forwarded-For names, not the proxy (unset: forwarding headers are ignored and all clients behind a proxy share its limit)")
	webhookWorkers, err := strconv.Atoi(env("SWITCHBOARD_WEBHOOK_WORKERS", "1"))
	if err != nil {
		webhookWorkers = -1 // refused by serve, naming the variable
	}
	f.IntVar(&so.webhookWorkers, "webhook-workers", webhookWorkers, "webhook deliveries sent at once by this replica; 0 disables delivery (env SWITCHBOARD_WEBHOOK_WORKERS)")
	return cmd
}

func serve(cmd *cobra.Command, o *options, so *serveOptions) error {
	ctx := cmd.Context()
	var level slog.Level
	if err := level.UnmarshalText([]byte(so.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level (or SWITCHBOARD_LOG_LEVEL) %q: want debug, info, warn or error", so.logLevel)}
	}
	if so.readAudit != "buffered" && so.readAudit != "sync" {
		return usageError{fmt.Errorf("--read-audit (or SWITCHBOARD_READ_AUDIT) %q: want buffered or sync", so.readAudit)}
	}
	o.log = slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: level}))
	// Packages that log through the default logger (auth, httpx) log like the rest of serve.
	slog.SetDefault(o.log)
	if so.rateLimit < 0 || so.rateBurst < 0 || so.failedAuthLimit < 0 || so.failedAuthBurst < 0 {
		return usageError{errors.New("--rate-limit, --rate-limit-burst, --failed-auth-limit and --failed-auth-burst must be >= 0")}
	}
	if so.webhookWorkers < 0 {
		return errors.New("--webhook-workers (or SWITCHBOARD_WEBHOOK_WORKERS) must be a number >= 0")
	}
	if o.databaseURL == "" {
		unlock, err := lockDataDir(o.dataDir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	// Refused before the store is opened: opening it applies pending migrations.
	if err := o.refuseKeyringBeforeOpen(ctx, true); err != nil {
		return err
	}
	store, err := o.openStore(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			o.log.Error("closing the database", "err", err)
		}
	}()
	ring, env, err := o.openKeyring(ctx, store, true)
	if err != nil {
		return err
	}
	// Every replica sharing the keyring publishes the same SecureChannel key.
	scKey, err := ring.DeriveP256(secureChannelLabel)
	if err != nil {
		return err
	}
	// The service and the authenticator share one cache of workspaces and API keys, so a
	// key revoked through the service is refused by the authenticator at once.
	cached := storecache.Wrap(store)
	svc, err := newService(cached, env)
	if err != nil {
		return err
	}
	svc.SetKeyring(ring) // GET /v1/keyring and the console's keyring page report it
	if so.readAudit == "buffered" {
		// Deferred after the store's Close, so it runs before it: the last events are written.
		stopReadAudit := svc.BufferReadAudit(func(err error) {
			o.log.Error("writing credential-read audit events (kept, tried again)", "err", err)
		})
		defer stopReadAudit()
	}
	allow, err := parsePrefixes("outbound-allow", so.outboundAllow)
	if err != nil {
		return err
	}
	proxies, err := parsePrefixes("trusted-proxies", so.trustedProxies)
	if err != nil {
		return usageError{err}
	}
	svc.SetHealthChecker(health.New(outbound.Config{Allow: allow}))
	authn, err := auth.New(ctx, cached, auth.Config{
		HS256Secret: []byte(so.hs256Secret), JWKSURL: so.jwksURL, Issuer: so.issuer, Audience: so.audience,
		AccessKeys: svc,
	})
	if err != nil {
		return err
	}
	defer authn.Close()
	ln, err := net.Listen("tcp", so.addr)
	if err != nil {
		return err
	}
	if so.debugAddr != "" {
		stop, err := serveDebug(so.debugAddr, o.log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	// Bootstrap only once nothing can fail before the banner: the owner key is shown on the
	// first start only, and a start that failed after creating it (port taken, bad JWT
	// settings) would leave nobody knowing it.
	key, created, err := svc.Bootstrap(ctx)
	if err != nil {
		ln.Close()
		return fmt.Errorf("bootstrap: %w", err)
	}
	base := "http://" + ln.Addr().String()
	publicURL := so.publicURL
	if publicURL == "" {
		publicURL = base
	}
	// Token endpoints are reached through the same SSRF guard as health checks.
	svc.SetOAuth(switchboard.OAuthOptions{
		Flow:          oauth.New(outbound.NewGuard(outbound.Config{Allow: allow}).Client()),
		PublicURL:     publicURL,
		RefreshMargin: so.refreshMargin,
	})
	if created {
		// Shown once, on the terminal of whoever started the first run; never logged again.
		announceOwnerKey(o.stderr, key)
		fmt.Fprintf(o.stderr, "Workspace id: default\n")
		fmt.Fprintf(o.stderr, "Try: curl -H 'Authorization: Bearer %s' %s/v1/workspaces/default/connections\n\n", key, base)
	}
	reg := prometheus.NewRegistry()
	registerStoreMetrics(reg, store)
	// The console's session secret comes from the keyring too: HKDF output (the scalar of a
	// key derived under its own label), the same on every replica, unrelated to other keys.
	consoleKey, err := ring.DeriveP256(consoleSessionLabel)
	if err != nil {
		return err
	}
	consoleSecret, err := consoleKey.Bytes()
	if err != nil {
		return err
	}
	if so.consoleInsecureCookies {
		o.log.Warn("console cookies are sent without Secure (--console-insecure-cookies): for development only")
	}
	srv := server.New(server.Config{Service: svc, Auth: authn, Logger: o.log, BodyLimit: so.bodyLimit, SecureChannelKey: scKey, Registry: reg,
		ConsoleOff: !so.console, ConsoleSecret: consoleSecret, ConsoleInsecureCookies: so.consoleInsecureCookies,
		ConsoleSessionTTL: so.consoleSessionTTL,
		PrincipalLimit:    server.RateLimit{Rate: so.rateLimit, Burst: so.rateBurst},
		FailedAuthLimit:   server.RateLimit{Rate: so.failedAuthLimit, Burst: so.failedAuthBurst},
		TrustedProxies:    proxies})
	clear(consoleSecret)
	if so.webhookWorkers > 0 {
		// The outbox is claimed through the database, so every replica can run workers.
		w := webhook.Start(webhook.Config{
			Service: svc, Doer: webhook.NewGuardDoer(outbound.NewGuard(outbound.Config{Allow: allow})),
			Logger: o.log, Workers: so.webhookWorkers,
		})
		defer w.Stop()
	}
	o.log.Info("listening", "addr", ln.Addr().String(), "url", base, "storage", o.storageName())
	stopHealth := startHealth(ctx, svc, so.healthInterval, o.log)
	stopRefresher := startRefresher(ctx, svc, so.refreshInterval, o.log)
	err = srv.Serve(ctx, ln, so.grace)
	stopRefresher()
	stopHealth()
	if err != nil {
		return err
	}
	o.log.Info("stopped")
	return nil
}

func (o *options) storageName() string {
	if o.databaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// serveDebug serves the pprof handlers on their own listener, apart from the API (which
// never exposes them), and returns the function that stops it.
func serveDebug(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("debug listener (pprof)", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// registerStoreMetrics exports the group commit counters of stores that keep them: writes per
// batch (writes / batches) is how many writes share each sync to disk.
func registerStoreMetrics(reg *prometheus.Registry, store switchboard.Store) {
	ws, ok := store.(interface {
		WriteStats() (batches, writes uint64)
	})
	if !ok {
		return
	}
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_store_write_batches_total",
			Help: "Transactions the store's writer committed (or tried to), each holding one or more writes.",
		}, func() float64 { b, _ := ws.WriteStats(); return float64(b) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_store_writes_total",
			Help: "Writes the store's writer ran; divided by the batches, the writes that shared each commit.",
		}, func() float64 { _, w := ws.WriteStats(); return float64(w) }),
	)
}

// envBool reads a boolean environment variable; unset or unparsable gives def.
func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(env(name, "")); err == nil {
		return v
	}
	return def
}
