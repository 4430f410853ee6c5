// Package testenv starts a whole Switchboard (store, keyring, service, auth, HTTP server) on
// 127.0.0.1 for tests, on either storage driver, and gives helpers to call it.
package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/oauth"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/sqlite"
	"github.com/switchboardhq/switchboard/internal/storecache"
)

// Drivers are the storage drivers every API test runs on.
var Drivers = []string{"sqlite", "postgres"}

// JWTSecret is the HS256 secret the test server accepts.
const JWTSecret = "testenv-hs256-secret-0123456789abcdef"

// Env is a running Switchboard.
type Env struct {
	Driver   string
	Store    switchboard.Store
	Envelope *seal.Envelope
	Service  *switchboard.Service
	Server   *server.Server
	HTTP     *httptest.Server
	URL      string
	DBPath   string // the SQLite file (sqlite driver only)
	OwnerKey string // owner of every workspace of tenant "default", with credentials:read

	dsn  string        // the PostgreSQL schema's DSN (postgres driver only)
	ring *seal.Keyring // shared by replicas
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Option changes how New (or Replica) starts a Switchboard.
type Option func(*options)

type options struct {
	oauth switchboard.OAuthOptions
	ring  *seal.Keyring
}

// WithKeyring makes Replica use ring instead of the keyring of the Env it replicates, as a
// serve started with another keyring file would (e.g. one with a retired key removed).
func WithKeyring(ring *seal.Keyring) Option { return func(c *options) { c.ring = ring } }

// Keyring returns the keyring the Env seals with; keys added to it are used at once.
func (e *Env) Keyring() *seal.Keyring { return e.ring }

// DSN returns the PostgreSQL DSN of the Env's schema ("" on SQLite), for tests that change
// rows behind the store's back.
func (e *Env) DSN() string { return e.dsn }

// WithOAuth sets the OAuth2 options of the service (Flow and PublicURL default to
// internal/oauth's flow and the server's own URL).
func WithOAuth(o switchboard.OAuthOptions) Option { return func(c *options) { c.oauth = o } }

// New starts a Switchboard on driver ("sqlite" or "postgres"; postgres skips when no test
// server is configured, see postgres.TestDSN) with tenant and workspace "default" bootstrapped.
func New(t testing.TB, driver string, opts ...Option) *Env {
	t.Helper()
	e := &Env{Driver: driver, logs: &syncBuffer{}}
	ctx := t.Context()
	switch driver {
	case "sqlite":
		e.DBPath = filepath.Join(t.TempDir(), "switchboard.db")
	case "postgres":
		e.dsn = postgres.TestDSN(t)
	default:
		t.Fatalf("unknown driver %q", driver)
	}
	e.open(t)
	ring, err := seal.GenerateKey(seal.NewKeyID())
	if err != nil {
		t.Fatal(err)
	}
	e.ring = ring
	e.start(t, opts)
	key, created, err := e.Service.Bootstrap(ctx)
	if err != nil || !created {
		t.Fatalf("bootstrap: created=%v err=%v", created, err)
	}
	e.OwnerKey = key
	return e
}

// Replica starts another Switchboard on the same database and keyring, as another `serve`
// replica would be: its own store pool, service and HTTP server.
func (e *Env) Replica(t testing.TB, opts ...Option) *Env {
	t.Helper()
	r := &Env{Driver: e.Driver, DBPath: e.DBPath, dsn: e.dsn, ring: e.ring, OwnerKey: e.OwnerKey, logs: &syncBuffer{}}
	r.open(t)
	r.start(t, opts)
	return r
}

// open opens the env's database.
func (e *Env) open(t testing.TB) {
	t.Helper()
	var (
		st  switchboard.Store
		err error
	)
	if e.Driver == "sqlite" {
		st, err = sqlite.Open(t.Context(), e.DBPath)
	} else {
		st, err = postgres.Open(t.Context(), e.dsn)
	}
	if err != nil {
		t.Fatalf("open %s: %v", e.Driver, err)
	}
	// Registered after TestDSN's cleanup, so it runs before it: the pool is closed before
	// its schema is dropped.
	t.Cleanup(func() { st.Close() })
	e.Store = st
}

// start builds the service and server over the env's store and serves it on 127.0.0.1.
func (e *Env) start(t testing.TB, opts []Option) {
	t.Helper()
	ctx := t.Context()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.ring != nil {
		e.ring = o.ring
	}
	e.Envelope = seal.New(e.Store, e.ring)
	if err := e.Envelope.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	defs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	// As serve does: the service and the authenticator share the workspace and API key cache.
	cached := storecache.Wrap(e.Store)
	if e.Service, err = switchboard.NewService(cached, e.Envelope, defs); err != nil {
		t.Fatal(err)
	}
	e.Service.SetKeyring(e.ring) // as serve does: GET /v1/keyring reports it
	authn, err := auth.New(ctx, cached, auth.Config{HS256Secret: []byte(JWTSecret), AccessKeys: e.Service})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { authn.Close() })
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Server = server.New(server.Config{Service: e.Service, Auth: authn, Logger: logger})
	e.HTTP = httptest.NewUnstartedServer(e.Server.Handler())
	e.URL = "http://" + e.HTTP.Listener.Addr().String()
	if o.oauth.Flow == nil {
		o.oauth.Flow = oauth.New(nil)
	}
	if o.oauth.PublicURL == "" {
		o.oauth.PublicURL = e.URL
	}
	e.Service.SetOAuth(o.oauth) // before the server takes requests
	e.HTTP.Start()
	t.Cleanup(e.HTTP.Close)
}

// Logs returns everything the server logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// Workspace creates workspace id (if it does not exist yet) as the owner.
func (e *Env) Workspace(t testing.TB, id string) {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces", e.OwnerKey, map[string]any{"id": id})
	if r.Status != http.StatusCreated && r.Status != http.StatusConflict {
		t.Fatalf("create workspace %s: %d %s", id, r.Status, r.Body)
	}
}

// Key creates an API key for workspace ws with role and scopes and returns it.
func (e *Env) Key(t testing.TB, ws string, role switchboard.Role, scopes ...string) string {
	t.Helper()
	if scopes == nil {
		scopes = []string{}
	}
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/api-keys", e.OwnerKey, map[string]any{
		"name": string(role), "role": string(role), "scopes": scopes,
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	var out struct {
		Key string `json:"key"`
	}
	r.JSON(t, &out)
	return out.Key
}

// Token mints an HS256 JWT the server accepts.
func (e *Env) Token(t testing.TB, c auth.Claims) string {
	t.Helper()
	tok, err := auth.MintHS256([]byte(JWTSecret), c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request with token as bearer ("" = none). body is JSON-encoded unless it is a
// string or []byte, sent as is. headers are name/value pairs.
func (e *Env) Do(t testing.TB, method, path, token string, body any, headers ...string) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}
