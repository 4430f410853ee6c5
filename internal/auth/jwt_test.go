package auth_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
)

// baseClaims returns valid claims; edit changes them (delete a key to drop a claim).
func baseClaims(edit ...func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"sub":        "user_1",
		"tenant_id":  "ten_1",
		"workspaces": []string{"ws_1", "ws_2"},
		"role":       "editor",
		"scope":      "credentials:read connections:write",
		"iss":        testIssuer,
		"aud":        testAudience,
		"exp":        now.Add(5 * time.Minute).Unix(),
		"nbf":        now.Add(-time.Minute).Unix(),
		"iat":        now.Unix(),
	}
	for _, e := range edit {
		e(c)
	}
	return c
}

func without(names ...string) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) {
		for _, n := range names {
			delete(c, n)
		}
	}
}

func with(name string, v any) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) { c[name] = v }
}

// sign signs claims with a real jwt method; headers are added to the JOSE header.
func sign(tb testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims, headers map[string]any) string {
	tb.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range headers {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func kid(k string) map[string]any { return map[string]any{"kid": k} }

// raw builds a token by hand: header and claims as given, signature as given.
func raw(tb testing.TB, header map[string]any, claims jwt.MapClaims, sig []byte) string {
	tb.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	return b64(h) + "." + b64(c) + "." + b64(sig)
}

// hmacRaw signs header.claims with HMAC-SHA256 under secret, whatever the header says.
func hmacRaw(tb testing.TB, header map[string]any, claims jwt.MapClaims, secret []byte) string {
	tb.Helper()
	t := raw(tb, header, claims, nil)
	signing := t[:len(t)-1] // drop the trailing "."
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + b64(mac.Sum(nil))
}

// replaceSig swaps the signature of token for sig.
func replaceSig(token string, sig []byte) string {
	return token[:strings.LastIndexByte(token, '.')+1] + b64(sig)
}

func TestAuthenticateJWT(t *testing.T) {
	t.Parallel()
	k := keys()
	srv := defaultJWKS(t)
	a := newAuth(t, t.Context(), nil, fullConfig(srv))

	want := &switchboard.Principal{
		Subject: "user_1", TenantID: "ten_1", Workspaces: []string{"ws_1", "ws_2"},
		Role: switchboard.RoleEditor, Scopes: []string{"connections:write", "credentials:read"},
	}
	hsValid, err := auth.MintHS256(testSecret, auth.Claims{
		Subject: "user_1", TenantID: "ten_1", Workspaces: []string{"ws_1", "ws_2"}, Role: switchboard.RoleEditor,
		Scopes: []string{"credentials:read", "connections:write"}, Issuer: testIssuer, Audience: testAudience,
	}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		token string
		want  *switchboard.Principal // nil: must be refused
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("rsa-1")), want},
		{"RS256 without kid", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), nil), want},
		{"ES256", sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), kid("ec-1")), want},
		{"ES256 without kid", sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), nil), want},
		{"HS256 minted", hsValid, want},
		{"HS256 audience array", sign(t, jwt.SigningMethodHS256, testSecret,
			baseClaims(with("aud", []string{"other", testAudience})), nil), want},
		{"scopes array merged with scope", sign(t, jwt.SigningMethodHS256, testSecret,
			baseClaims(with("scopes", []string{"credentials:read", "z"})), nil),
			&switchboard.Principal{
				Subject: "user_1", TenantID: "ten_1", Workspaces: []string{"ws_1", "ws_2"}, Role: switchboard.RoleEditor,
				Scopes: []string{"connections:write", "credentials:read", "z"},
			}},
		{"all workspaces, no scopes", sign(t, jwt.SigningMethodES256, k.ec,
			baseClaims(with("workspaces", []string{"*"}), with("role", "owner"), without("scope")), kid("ec-1")),
			&switchboard.Principal{Subject: "user_1", TenantID: "ten_1", Workspaces: []string{"*"}, Role: switchboard.RoleOwner}},
		{"no workspaces claim acts nowhere", sign(t, jwt.SigningMethodHS256, testSecret,
			baseClaims(without("workspaces", "scope"), with("role", "viewer")), nil),
			&switchboard.Principal{Subject: "user_1", TenantID: "ten_1", Role: switchboard.RoleViewer}},

		// alg none, in every case.
		{"alg none", raw(t, map[string]any{"alg": "none", "typ": "JWT"}, baseClaims(), nil), nil},
		{"alg None", raw(t, map[string]any{"alg": "None", "typ": "JWT"}, baseClaims(), nil), nil},
		{"alg NONE", raw(t, map[string]any{"alg": "NONE", "typ": "JWT"}, baseClaims(), nil), nil},
		{"alg nOnE with kid", raw(t, map[string]any{"alg": "nOnE", "kid": "rsa-1"}, baseClaims(), nil), nil},
		{"alg none with HS signature", hmacRaw(t, map[string]any{"alg": "none"}, baseClaims(), testSecret), nil},
		{"alg missing", raw(t, map[string]any{"typ": "JWT"}, baseClaims(), nil), nil},
		{"alg empty", raw(t, map[string]any{"alg": ""}, baseClaims(), nil), nil},
		{"alg not a string", raw(t, map[string]any{"alg": 256}, baseClaims(), nil), nil},

		// HS/RS confusion: HMAC keyed with the public key the verifier knows.
		{"HS256 keyed with RSA public PEM (PKIX)", hmacRaw(t, map[string]any{"alg": "HS256", "kid": "rsa-1"},
			baseClaims(), pkixPEM(t, &k.rsa.PublicKey)), nil},
		{"HS256 keyed with RSA public PEM, no kid", hmacRaw(t, map[string]any{"alg": "HS256"},
			baseClaims(), pkixPEM(t, &k.rsa.PublicKey)), nil},
		{"HS256 keyed with RSA public PEM (PKCS1)", hmacRaw(t, map[string]any{"alg": "HS256", "kid": "rsa-1"},
			baseClaims(), pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})), nil},
		{"HS256 keyed with RSA public DER", hmacRaw(t, map[string]any{"alg": "HS256", "kid": "rsa-1"},
			baseClaims(), pkixDER(t, &k.rsa.PublicKey)), nil},
		{"HS256 keyed with EC public DER", hmacRaw(t, map[string]any{"alg": "HS256", "kid": "ec-1"},
			baseClaims(), pkixDER(t, &k.ec.PublicKey)), nil},
		{"HS256 keyed with the JWKS oct key", hmacRaw(t, map[string]any{"alg": "HS256", "kid": "oct-1"},
			baseClaims(), octSecret), nil},
		{"RS256 pointing at the oct key", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("oct-1")), nil},
		{"ES256 pointing at the RSA key", sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), kid("rsa-1")), nil},
		{"RS256 with a 1024-bit key", sign(t, jwt.SigningMethodRS256, k.weak, baseClaims(), kid("rsa-weak")), nil},
		{"RS256 pointing at the EC key", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("ec-1")), nil},

		// Algorithms outside the allow-list, even with a key that would verify.
		{"HS384", sign(t, jwt.SigningMethodHS384, testSecret, baseClaims(), nil), nil},
		{"HS512", sign(t, jwt.SigningMethodHS512, testSecret, baseClaims(), nil), nil},
		{"RS384", sign(t, jwt.SigningMethodRS384, k.rsa, baseClaims(), kid("rsa-1")), nil},
		{"RS512", sign(t, jwt.SigningMethodRS512, k.rsa, baseClaims(), kid("rsa-1")), nil},
		{"PS256", sign(t, jwt.SigningMethodPS256, k.rsa, baseClaims(), kid("rsa-1")), nil},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, ed25519Key(t), baseClaims(), nil), nil},
		{"unknown alg", hmacRaw(t, map[string]any{"alg": "XS256"}, baseClaims(), testSecret), nil},
		{"lowercase hs256", hmacRaw(t, map[string]any{"alg": "hs256"}, baseClaims(), testSecret), nil},

		// Signatures.
		{"RS256 empty signature", replaceSig(sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("rsa-1")), nil), nil},
		{"ES256 empty signature", replaceSig(sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), kid("ec-1")), nil), nil},
		{"HS256 empty signature", replaceSig(sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), nil), nil), nil},
		{"no signature part", strings.TrimSuffix(raw(t, map[string]any{"alg": "HS256"}, baseClaims(), nil), "."), nil},
		{"RS256 wrong key", sign(t, jwt.SigningMethodRS256, k.attacker, baseClaims(), kid("rsa-1")), nil},
		{"ES256 wrong key", sign(t, jwt.SigningMethodES256, k.ecOther, baseClaims(), kid("ec-1")), nil},
		{"HS256 wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-that-is-32-bytes-long"), baseClaims(), nil), nil},
		{"RS256 flipped signature", flipSig(t, sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("rsa-1"))), nil},
		{"HS256 signature with padding bits set", paddingBits(t, sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), nil)), nil},
		{"HS256 flipped signature", flipSig(t, sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), nil)), nil},
		{"RS256 claims swapped after signing", swapClaims(t,
			sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("rsa-1")), baseClaims(with("role", "owner"))), nil},

		// Time.
		{"expired", sign(t, jwt.SigningMethodRS256, k.rsa,
			baseClaims(with("exp", time.Now().Add(-time.Minute).Unix())), kid("rsa-1")), nil},
		{"expired and bad signature", sign(t, jwt.SigningMethodRS256, k.attacker,
			baseClaims(with("exp", time.Now().Add(-time.Minute).Unix())), kid("rsa-1")), nil},
		{"nbf in the future", sign(t, jwt.SigningMethodHS256, testSecret,
			baseClaims(with("nbf", time.Now().Add(time.Hour).Unix())), nil), nil},
		{"missing exp", sign(t, jwt.SigningMethodES256, k.ec, baseClaims(without("exp")), kid("ec-1")), nil},
		{"exp not a number", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("exp", "tomorrow")), nil), nil},

		// Issuer and audience.
		{"wrong aud", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(with("aud", "other-app")), kid("rsa-1")), nil},
		{"missing aud", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(without("aud")), kid("rsa-1")), nil},
		{"wrong iss", sign(t, jwt.SigningMethodES256, k.ec, baseClaims(with("iss", "https://evil.test")), kid("ec-1")), nil},
		{"missing iss", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(without("iss")), nil), nil},

		// Key ids that are not in the set.
		{"kid path traversal", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("../../etc/passwd")), nil},
		{"kid SQL injection", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("' OR 1=1 --")), nil},
		{"kid not a string", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), map[string]any{"kid": 1}), nil},
		{"crit header", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(),
			map[string]any{"kid": "rsa-1", "crit": []string{"b64"}, "b64": false}), nil},

		// Claims the principal needs.
		{"missing sub", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(without("sub")), nil), nil},
		{"empty sub", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("sub", "")), nil), nil},
		{"missing tenant_id", sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(without("tenant_id")), kid("rsa-1")), nil},
		{"tenant_id not a string", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("tenant_id", 7)), nil), nil},
		{"missing role", sign(t, jwt.SigningMethodES256, k.ec, baseClaims(without("role")), kid("ec-1")), nil},
		{"invalid role", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("role", "root")), nil), nil},
		{"role in capitals", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("role", "Owner")), nil), nil},
		{"workspaces not an array", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("workspaces", "*")), nil), nil},
		{"empty workspace id", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("workspaces", []string{""})), nil), nil},
		{"scopes not an array", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(with("scopes", "a b")), nil), nil},

		// Shapes.
		{"garbage", "not a token", nil},
		{"three garbage parts", "a.b.c", nil},
		{"header not JSON", b64([]byte("{")) + "." + b64([]byte("{}")) + ".", nil},
		{"four parts", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), nil) + ".x", nil},
		{"over the length limit", sign(t, jwt.SigningMethodHS256, testSecret,
			baseClaims(with("pad", strings.Repeat("x", auth.MaxTokenLen))), nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := a.Authenticate(t.Context(), tc.token)
			if tc.want == nil {
				assertUnauthenticated(t, err, tc.token)
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthenticateJWTOnlyConfigured checks each alg family works only when configured.
func TestAuthenticateJWTOnlyConfigured(t *testing.T) {
	t.Parallel()
	k := keys()
	srv := defaultJWKS(t)
	hsOnly := newAuth(t, t.Context(), nil, auth.Config{HS256Secret: testSecret, Issuer: testIssuer, Audience: testAudience})
	jwksOnly := newAuth(t, t.Context(), nil, auth.Config{JWKSURL: srv.URL, Issuer: testIssuer, Audience: testAudience})
	keysOnly := newAuth(t, t.Context(), nil, auth.Config{HS256Secret: []byte{}})

	hs := sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), nil)
	rs := sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("rsa-1"))
	es := sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), kid("ec-1"))
	// With no HS256 secret, the RSA public key must not become one.
	confused := hmacRaw(t, map[string]any{"alg": "HS256", "kid": "rsa-1"}, baseClaims(), pkixPEM(t, &k.rsa.PublicKey))

	for _, tc := range []struct {
		name  string
		a     *auth.Authenticator
		token string
		ok    bool
	}{
		{"hs-only HS256", hsOnly, hs, true},
		{"hs-only RS256", hsOnly, rs, false},
		{"hs-only ES256", hsOnly, es, false},
		{"jwks-only HS256", jwksOnly, hs, false},
		{"jwks-only HS256 keyed with RSA PEM", jwksOnly, confused, false},
		{"jwks-only RS256", jwksOnly, rs, true},
		{"jwks-only ES256", jwksOnly, es, true},
		{"keys-only HS256", keysOnly, hs, false},
		{"keys-only RS256", keysOnly, rs, false},
		{"keys-only alg none", keysOnly, raw(t, map[string]any{"alg": "none"}, baseClaims(), nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.a.Authenticate(t.Context(), tc.token)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			assertUnauthenticated(t, err, tc.token)
		})
	}
}

// TestTokenHeadersFetchNothing checks that jku, x5u and jwk headers cause no request: the
// configured JWKS is not fetched again and the attacker's server is never contacted.
func TestTokenHeadersFetchNothing(t *testing.T) {
	t.Parallel()
	k := keys()
	var attackerHits atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attackerHits.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{rsaJWK("rsa-1", &k.attacker.PublicKey)}})
	}))
	t.Cleanup(attacker.Close)
	srv := defaultJWKS(t)
	rec := &recordingTransport{}
	cfg := fullConfig(srv)
	cfg.HTTPClient = &http.Client{Transport: rec, Timeout: 5 * time.Second}
	a := newAuth(t, t.Context(), nil, cfg)
	before := srv.hits.Load()
	if before != 1 {
		t.Fatalf("JWKS fetched %d times at start, want 1", before)
	}

	evil := map[string]any{
		"jku": attacker.URL + "/jwks.json",
		"x5u": attacker.URL + "/cert.pem",
		"jwk": rsaJWK("rsa-1", &k.attacker.PublicKey),
		"x5c": []string{"MIIB"},
	}
	for _, tc := range []struct {
		name    string
		headers map[string]any
	}{
		{"jku", map[string]any{"kid": "rsa-1", "jku": evil["jku"]}},
		{"x5u", map[string]any{"kid": "rsa-1", "x5u": evil["x5u"]}},
		{"jwk", map[string]any{"kid": "rsa-1", "jwk": evil["jwk"]}},
		{"all without kid", map[string]any{"jku": evil["jku"], "x5u": evil["x5u"], "jwk": evil["jwk"], "x5c": evil["x5c"]}},
		{"all with kid", map[string]any{"kid": "rsa-1", "jku": evil["jku"], "x5u": evil["x5u"], "jwk": evil["jwk"], "x5c": evil["x5c"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := sign(t, jwt.SigningMethodRS256, k.attacker, baseClaims(with("role", "owner")), tc.headers)
			_, err := a.Authenticate(t.Context(), token)
			assertUnauthenticated(t, err, token)
		})
	}
	// The real key still works with the same headers present: they are ignored, not trusted.
	good := sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), map[string]any{"kid": "rsa-1", "jku": evil["jku"]})
	if _, err := a.Authenticate(t.Context(), good); err != nil {
		t.Errorf("valid token with a jku header refused: %v", err)
	}

	if n := attackerHits.Load(); n != 0 {
		t.Errorf("attacker server got %d requests, want 0", n)
	}
	if n := srv.hits.Load(); n != before {
		t.Errorf("JWKS fetched %d times, want %d (no extra fetch)", n, before)
	}
	want := strings.TrimPrefix(srv.URL, "http://")
	for _, h := range rec.Hosts() {
		if h != want {
			t.Errorf("JWKS client contacted %q, want only %q", h, want)
		}
	}
}

func TestHugeBearerRefusedFast(t *testing.T) {
	t.Parallel()
	a := newAuth(t, t.Context(), nil, auth.Config{HS256Secret: testSecret})
	for _, tc := range []struct{ name, token string }{
		{"1 MiB of dots", strings.Repeat(".", 1<<20)},
		{"1 MiB API key", switchboard.APIKeyPrefix + strings.Repeat("a", 1<<20)},
		{"1 MiB three-part", strings.Repeat("a", 1<<19) + "." + strings.Repeat("b", 1<<19) + ".c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := a.Authenticate(t.Context(), tc.token)
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Errorf("refusal took %v", d)
			}
			assertUnauthenticated(t, err, tc.token)
		})
	}
}

func TestLeeway(t *testing.T) {
	t.Parallel()
	a := newAuth(t, t.Context(), nil, auth.Config{HS256Secret: testSecret, Leeway: time.Minute})
	for _, tc := range []struct {
		name string
		exp  time.Duration
		ok   bool
	}{
		{"expired within leeway", -30 * time.Second, true},
		{"expired beyond leeway", -2 * time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token := sign(t, jwt.SigningMethodHS256, testSecret,
				baseClaims(with("exp", time.Now().Add(tc.exp).Unix()), without("iss", "aud")), nil)
			_, err := a.Authenticate(t.Context(), token)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				assertUnauthenticated(t, err, token)
			}
		})
	}
}

// TestJWKSRotation checks a token signed with a key published after start is accepted once
// the set is fetched again for its unknown kid, and that such fetches are rate limited.
func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	k := keys()
	srv := newJWKSServer(t, rsaJWK("rsa-1", &k.rsa.PublicKey))
	a := newAuth(t, t.Context(), nil, auth.Config{JWKSURL: srv.URL, Audience: testAudience})

	srv.setKeys(rsaJWK("rsa-1", &k.rsa.PublicKey), rsaJWK("rsa-2", &k.attacker.PublicKey))
	rotated := sign(t, jwt.SigningMethodRS256, k.attacker, baseClaims(), kid("rsa-2"))
	if _, err := a.Authenticate(t.Context(), rotated); err != nil {
		t.Fatalf("token with the new key refused: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	for i := range 5 {
		token := sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(), kid("unknown-"+string(rune('a'+i))))
		_, err := a.Authenticate(t.Context(), token)
		assertUnauthenticated(t, err, token)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times after unknown kids, want still 2 (rate limited)", n)
	}
}

func TestJWKSOversizedResponse(t *testing.T) {
	t.Parallel()
	k := keys()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A valid key set padded with whitespace past the limit.
		body, _ := json.Marshal(map[string]any{"keys": []any{rsaJWK("rsa-1", &k.rsa.PublicKey)}})
		w.Write(body[:len(body)-1])
		w.Write([]byte(strings.Repeat(" ", 2<<20)))
		w.Write([]byte("}"))
	}))
	t.Cleanup(big.Close)
	a := newAuth(t, t.Context(), nil, auth.Config{JWKSURL: big.URL, Audience: testAudience})
	token := sign(t, jwt.SigningMethodRS256, k.rsa, baseClaims(without("iss")), kid("rsa-1"))
	_, err := a.Authenticate(t.Context(), token)
	assertUnauthenticated(t, err, token)
}

func TestMintHS256Errors(t *testing.T) {
	t.Parallel()
	ok := auth.Claims{Subject: "u", TenantID: "t", Role: switchboard.RoleViewer}
	for _, tc := range []struct {
		name   string
		secret []byte
		edit   func(*auth.Claims)
		ttl    time.Duration
	}{
		{"short secret", []byte("short"), nil, time.Minute},
		{"zero ttl", testSecret, nil, 0},
		{"no subject", testSecret, func(c *auth.Claims) { c.Subject = "" }, time.Minute},
		{"no tenant", testSecret, func(c *auth.Claims) { c.TenantID = "" }, time.Minute},
		{"bad role", testSecret, func(c *auth.Claims) { c.Role = "root" }, time.Minute},
		{"scope with space", testSecret, func(c *auth.Claims) { c.Scopes = []string{"a b"} }, time.Minute},
		{"empty scope", testSecret, func(c *auth.Claims) { c.Scopes = []string{""} }, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			if tc.edit != nil {
				tc.edit(&c)
			}
			if s, err := auth.MintHS256(tc.secret, c, tc.ttl); err == nil {
				t.Fatalf("minted %d bytes, want an error", len(s))
			}
		})
	}
}

func pkixDER(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func pkixPEM(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkixDER(tb, pub)})
}

func ed25519Key(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return priv
}

// flipSig flips one bit of the token's signature.
func flipSig(tb testing.TB, token string) string {
	tb.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := jwt.NewParser().DecodeSegment(token[i+1:])
	if err != nil {
		tb.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	return replaceSig(token, sig)
}

// swapClaims keeps the header and signature of token and replaces its claims.
func swapClaims(tb testing.TB, token string, claims jwt.MapClaims) string {
	tb.Helper()
	parts := strings.Split(token, ".")
	c, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Join([]string{parts[0], b64(c), parts[2]}, ".")
}

// paddingBits sets the unused low bits of the last base64 character of token, which a lax
// decoder ignores: the signature decodes to the same bytes but is spelt differently.
func paddingBits(tb testing.TB, token string) string {
	tb.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	// A 32-byte HMAC is 43 characters: the last carries 4 data bits and 2 padding bits.
	if len(token[strings.LastIndexByte(token, '.')+1:]) != 43 || last&0b11 != 0 {
		tb.Fatalf("unexpected signature shape")
	}
	return token[:len(token)-1] + string(alphabet[last|0b01])
}
