package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "switchboard"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-hs256")

// octSecret is a symmetric key the test JWKS publishes (a misconfiguration an attacker could
// exploit if symmetric JWKS keys were ever used for verification).
var octSecret = []byte("public-oct-key-material-32-bytes!!")

// testKeys are generated once: RSA generation is slow under -race.
type testKeys struct {
	rsa      *rsa.PrivateKey // published as kid rsa-1
	ec       *ecdsa.PrivateKey
	attacker *rsa.PrivateKey // never published
	ecOther  *ecdsa.PrivateKey
	weak     *rsa.PrivateKey // 1024 bits, published as kid rsa-weak
}

var keys = sync.OnceValue(func() testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	o, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	w, err := rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	return testKeys{rsa: r, ec: e, attacker: a, ecOther: o, weak: w}
})

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{
		"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()),
	}
}

func ecJWK(tb testing.TB, kid string, k *ecdsa.PublicKey) map[string]any {
	tb.Helper()
	pt, err := k.Bytes() // 0x04 || X || Y
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]any{
		"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
		"x": b64(pt[1:33]), "y": b64(pt[33:]),
	}
}

// jwksServer serves a key set on 127.0.0.1 and counts the requests it gets.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	set  []map[string]any
}

func newJWKSServer(tb testing.TB, set ...map[string]any) *jwksServer {
	tb.Helper()
	s := &jwksServer{set: set}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body, _ := json.Marshal(map[string]any{"keys": s.set})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(set ...map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set = set
}

// defaultJWKS returns a server publishing the RSA key, the EC key, a 1024-bit RSA key and a
// symmetric key.
func defaultJWKS(tb testing.TB) *jwksServer {
	tb.Helper()
	k := keys()
	return newJWKSServer(tb,
		rsaJWK("rsa-1", &k.rsa.PublicKey),
		ecJWK(tb, "ec-1", &k.ec.PublicKey),
		rsaJWK("rsa-weak", &k.weak.PublicKey),
		map[string]any{"kty": "oct", "kid": "oct-1", "k": b64(octSecret)},
	)
}

// recordingTransport remembers every host the JWKS client contacts.
type recordingTransport struct {
	mu    sync.Mutex
	hosts []string
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.hosts = append(t.hosts, r.URL.Host)
	t.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (t *recordingTransport) Hosts() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.hosts...)
}

func newAuth(tb testing.TB, ctx context.Context, keys auth.KeyLookup, cfg auth.Config) *auth.Authenticator {
	tb.Helper()
	if keys == nil {
		keys = newFakeKeys()
	}
	a, err := auth.New(ctx, keys, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// fullConfig enables HS256 and the JWKS of srv, with issuer and audience checks.
func fullConfig(srv *jwksServer) auth.Config {
	return auth.Config{
		HS256Secret: testSecret,
		JWKSURL:     srv.URL + "/.well-known/jwks.json",
		Issuer:      testIssuer,
		Audience:    testAudience,
	}
}

// fakeKeys is an in-memory KeyLookup.
type fakeKeys struct {
	mu   sync.Mutex
	keys map[string]*switchboard.APIKey
	err  error // returned by every lookup when set
}

func newFakeKeys(ks ...*switchboard.APIKey) *fakeKeys {
	f := &fakeKeys{keys: map[string]*switchboard.APIKey{}}
	for _, k := range ks {
		f.keys[string(k.Hash)] = k
	}
	return f
}

func (f *fakeKeys) GetAPIKeyByHash(_ context.Context, hash []byte) (*switchboard.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	k, ok := f.keys[string(hash)]
	if !ok {
		return nil, switchboard.NotFound("api_key")
	}
	c := *k
	return &c, nil
}

// wrongHashKeys returns its key whatever hash it is asked for (a store matching loosely).
type wrongHashKeys struct{ key *switchboard.APIKey }

func (w wrongHashKeys) GetAPIKeyByHash(context.Context, []byte) (*switchboard.APIKey, error) {
	c := *w.key
	return &c, nil
}

func newAPIKey(tb testing.TB, id string, revoked bool) (string, *switchboard.APIKey) {
	tb.Helper()
	plain, hash := switchboard.GenerateAPIKey()
	k := &switchboard.APIKey{
		ID: id, TenantID: "ten_1", WorkspaceID: "ws_1", Name: id,
		Role: switchboard.RoleEditor, Scopes: []string{"connections:write"},
		Hash: hash, Prefix: plain[:8], CreatedAt: time.Now(),
	}
	if revoked {
		at := time.Now().Add(-time.Minute)
		k.RevokedAt = &at
	}
	return plain, k
}

// assertUnauthenticated checks err is the generic 401 and does not leak token.
func assertUnauthenticated(tb testing.TB, err error, token string) {
	tb.Helper()
	if err == nil {
		tb.Fatal("accepted, want refused")
	}
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok {
		tb.Fatalf("error %T %v, want *switchboard.Error", err, err)
	}
	if e.Code != switchboard.CodeUnauthenticated || e.Message != "unauthenticated" || e.Args != nil || e.Details != nil {
		tb.Fatalf("error = %+v, want the generic unauthenticated error", e)
	}
	if e.Cause == nil {
		tb.Error("no cause for the logs")
	}
	if len(token) >= 8 && strings.Contains(err.Error(), token) {
		tb.Errorf("error text contains the token: %v", err)
	}
	// The signature part is the secret-like part of a JWT; it must not leak either.
	if i := strings.LastIndexByte(token, '.'); i >= 0 && len(token)-i > 8 && strings.Contains(err.Error(), token[i+1:]) {
		tb.Errorf("error text contains the token signature: %v", err)
	}
}

func TestAuthenticateAPIKey(t *testing.T) {
	t.Parallel()
	validPlain, valid := newAPIKey(t, "key_valid", false)
	revokedPlain, revoked := newAPIKey(t, "key_revoked", true)
	unknownPlain, _ := newAPIKey(t, "key_unknown", false)
	a := newAuth(t, t.Context(), newFakeKeys(valid, revoked), auth.Config{})

	p, err := a.Authenticate(t.Context(), validPlain)
	if err != nil {
		t.Fatalf("valid key: %v", err)
	}
	want := &switchboard.Principal{
		Subject: "key_valid", TenantID: "ten_1", Workspaces: []string{"ws_1"},
		Role: switchboard.RoleEditor, Scopes: []string{"connections:write"}, APIKeyID: "key_valid",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name, token string
	}{
		{"unknown", unknownPlain},
		{"revoked", revokedPlain},
		{"prefix only", switchboard.APIKeyPrefix},
		{"too short", validPlain[:len(validPlain)-1]},
		{"too long", validPlain + "a"},
		{"case changed", strings.ToUpper(validPlain[:4]) + validPlain[4:]}, // not an API key: a bad JWT
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.Authenticate(t.Context(), tc.token)
			assertUnauthenticated(t, err, tc.token)
		})
	}
}

func TestAuthenticateAPIKeyStoreFailure(t *testing.T) {
	t.Parallel()
	plain, k := newAPIKey(t, "key_1", false)
	store := newFakeKeys(k)
	store.err = &switchboard.Error{Code: switchboard.CodeUnavailable, Message: "unavailable"}
	a := newAuth(t, t.Context(), store, auth.Config{})
	_, err := a.Authenticate(t.Context(), plain)
	if got := switchboard.ErrorCode(err); got != switchboard.CodeUnavailable {
		t.Fatalf("code = %q (%v), want %q: a store outage is not the caller's fault", got, err, switchboard.CodeUnavailable)
	}
}

func TestAuthenticateAPIKeyHashMismatch(t *testing.T) {
	t.Parallel()
	_, stored := newAPIKey(t, "key_1", false)
	other, _ := newAPIKey(t, "key_2", false)
	a := newAuth(t, t.Context(), wrongHashKeys{stored}, auth.Config{})
	_, err := a.Authenticate(t.Context(), other)
	assertUnauthenticated(t, err, other)
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	srv := defaultJWKS(t)
	for _, tc := range []struct {
		name string
		cfg  auth.Config
	}{
		{"short secret", auth.Config{HS256Secret: []byte("short")}},
		{"jwks without audience", auth.Config{JWKSURL: srv.URL}},
		{"jwks over plain http", auth.Config{JWKSURL: "http://idp.example.com/jwks.json", Audience: "a"}},
		{"jwks other scheme", auth.Config{JWKSURL: "file:///etc/jwks.json", Audience: "a"}},
		{"jwks no host", auth.Config{JWKSURL: "https:///jwks.json", Audience: "a"}},
		{"negative leeway", auth.Config{HS256Secret: testSecret, Leeway: -time.Second}},
		{"huge leeway", auth.Config{HS256Secret: testSecret, Leeway: time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := auth.New(t.Context(), newFakeKeys(), tc.cfg)
			if err == nil {
				a.Close()
				t.Fatal("New succeeded, want an error")
			}
		})
	}
	if _, err := auth.New(t.Context(), nil, auth.Config{}); err == nil {
		t.Error("New with nil KeyLookup succeeded")
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	plain, k := newAPIKey(b, "key_1", false)
	a := newAuth(b, b.Context(), newFakeKeys(k), auth.Config{HS256Secret: testSecret, Issuer: testIssuer, Audience: testAudience})
	hs, err := auth.MintHS256(testSecret, auth.Claims{
		Subject: "user_1", TenantID: "ten_1", Workspaces: []string{"ws_1"}, Role: switchboard.RoleViewer,
		Scopes: []string{"a", "b"}, Issuer: testIssuer, Audience: testAudience,
	}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, token string }{{"apikey", plain}, {"hs256", hs}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Authenticate(b.Context(), bc.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
