package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The JWT abuse vectors of issue 7 against the real server (its own listener, http.Server
// limits and all), configured as production would be: an HS256 secret AND a JWKS (RS256) on
// a loopback key server. Every forged token must get 401 with code 4010 in the API's shape.

const (
	abuseIssuer   = "https://idp.example.test"
	abuseAudience = "switchboard-abuse-test"
	abuseHS       = "jwt-abuse-hs256-secret-0123456789abcdef"
)

// counter is a loopback listener that counts every request it gets.
type counter struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newCounter(t testing.TB, body func(w http.ResponseWriter)) *counter {
	t.Helper()
	c := &counter{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		body(w)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// jwtEnv is a server with HS256 and a JWKS configured.
type jwtEnv struct {
	*testenv.Env
	url      string
	rsa      *rsa.PrivateKey
	jwks     *counter // the configured key server
	attacker *counter // where jku/x5u/jwk point
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newJWTEnv(t testing.TB) *jwtEnv {
	t.Helper()
	e := testenv.New(t, "sqlite")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	je := &jwtEnv{Env: e, rsa: key}
	jwks := map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}}
	raw, _ := json.Marshal(jwks)
	je.jwks = newCounter(t, func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/json"); _, _ = w.Write(raw) })
	je.attacker = newCounter(t, func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/json"); _, _ = w.Write(raw) })

	authn, err := auth.New(t.Context(), e.Store, auth.Config{
		HS256Secret: []byte(abuseHS), JWKSURL: je.jwks.srv.URL + "/jwks.json",
		Issuer: abuseIssuer, Audience: abuseAudience, AccessKeys: e.Service,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { authn.Close() })
	s := server.New(server.Config{Service: e.Service, Auth: authn, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	je.url = "http://" + ln.Addr().String()
	return je
}

// claims returns valid claims for the bootstrap tenant, with edits applied.
func abuseClaims(edits map[string]any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"sub": "abuser", "tenant_id": "default", "role": "owner", "workspaces": []string{"*"},
		"iss": abuseIssuer, "aud": []string{abuseAudience},
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// rawJWT builds header.payload.signature with sign computing the signature over the first
// two parts (nil = no signature at all).
func rawJWT(t testing.TB, header map[string]any, claims jwt.MapClaims, sign func(signingInput string) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := b64(h) + "." + b64(c)
	var sig []byte
	if sign != nil {
		sig = sign(in)
	}
	return in + "." + b64(sig)
}

func hs256(secret []byte) func(string) []byte {
	return func(in string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return m.Sum(nil)
	}
}

func (je *jwtEnv) rs256(t testing.TB) func(string) []byte {
	return func(in string) []byte {
		s, err := jwt.SigningMethodRS256.Sign(in, je.rsa)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// get sends GET /v1/workspaces with an Authorization header value.
func (je *jwtEnv) get(t testing.TB, authz string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", je.url+"/v1/workspaces", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authz)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body
}

// TestJWTAbuse sends every forged or invalid token of issue 7 and counts the ones let in.
func TestJWTAbuse(t *testing.T) {
	je := newJWTEnv(t)
	rs := je.rs256(t)
	hsGood := hs256([]byte(abuseHS))
	pubDER, err := x509.MarshalPKIXPublicKey(&je.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * time.Hour).Unix()
	att := je.attacker.srv.URL

	// The controls: the same server accepts a good token of either kind, so a 401 below is
	// the vector's doing.
	for name, tok := range map[string]string{
		"HS256": rawJWT(t, map[string]any{"alg": "HS256", "typ": "JWT"}, abuseClaims(nil), hsGood),
		"RS256": rawJWT(t, map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"}, abuseClaims(nil), rs),
	} {
		if st, _, body := je.get(t, "Bearer "+tok); st != http.StatusOK {
			t.Fatalf("control %s: %d %s", name, st, body)
		}
	}

	type vector struct{ name, token string }
	var vs []vector
	add := func(name, tok string) { vs = append(vs, vector{name, tok}) }
	for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
		add("alg "+alg+" unsigned", rawJWT(t, map[string]any{"alg": alg, "typ": "JWT"}, abuseClaims(nil), nil))
		add("alg "+alg+" with an HS256 signature", rawJWT(t, map[string]any{"alg": alg}, abuseClaims(nil), hsGood))
	}
	add("HS256 signed with the RS public key (PEM)", rawJWT(t, map[string]any{"alg": "HS256", "kid": "k1"}, abuseClaims(nil), hs256(pubPEM)))
	add("HS256 signed with the RS public key (DER)", rawJWT(t, map[string]any{"alg": "HS256", "kid": "k1"}, abuseClaims(nil), hs256(pubDER)))
	add("HS256 signed with the RS modulus", rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(nil), hs256(je.rsa.N.Bytes())))
	for _, alg := range []string{"HS384", "HS512", "RS512", "PS256", "ES384", "EdDSA", "XYZ", ""} {
		add("unknown alg "+alg, rawJWT(t, map[string]any{"alg": alg, "kid": "k1"}, abuseClaims(nil), hsGood))
	}
	add("HS256 empty signature", rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(nil), nil))
	add("RS256 empty signature", rawJWT(t, map[string]any{"alg": "RS256", "kid": "k1"}, abuseClaims(nil), nil))
	add("HS256 wrong secret", rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(nil), hs256([]byte("another-secret-0123456789abcdef-xyz"))))
	add("RS256 wrong key", rawJWT(t, map[string]any{"alg": "RS256", "kid": "k1"}, abuseClaims(nil), func(in string) []byte {
		s, _ := jwt.SigningMethodRS256.Sign(in, other)
		return s
	}))
	good := rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(nil), hsGood)
	add("HS256 signature of another payload", good[:strings.LastIndexByte(good, '.')]+"."+b64(hsGood("x.y")))
	for _, sign := range []struct {
		name string
		f    func(string) []byte
		hdr  map[string]any
	}{{"HS256", hsGood, map[string]any{"alg": "HS256"}}, {"RS256", rs, map[string]any{"alg": "RS256", "kid": "k1"}}} {
		add(sign.name+" expired", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"exp": past}), sign.f))
		add(sign.name+" expired + bad signature", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"exp": past}), hs256([]byte("nope-nope-nope-nope-nope-nope-nope"))))
		add(sign.name+" nbf in the future", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}), sign.f))
		add(sign.name+" no exp", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"exp": nil}), sign.f))
		add(sign.name+" wrong aud", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"aud": []string{"another-app"}}), sign.f))
		add(sign.name+" no aud", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"aud": nil}), sign.f))
		add(sign.name+" wrong iss", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"iss": "https://evil.example"}), sign.f))
		add(sign.name+" no iss", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"iss": nil}), sign.f))
		add(sign.name+" iat in the future", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"iat": time.Now().Add(24 * time.Hour).Unix()}), sign.f))
		add(sign.name+" exp as a string", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"exp": "9999999999"}), sign.f))
		add(sign.name+" nbf as a string", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"nbf": "0"}), sign.f))
		add(sign.name+" iat null", rawJWT(t, sign.hdr, abuseClaims(map[string]any{"iat": json.RawMessage("null")}), sign.f))
		add(sign.name+" crit header", rawJWT(t, map[string]any{"alg": sign.hdr["alg"], "kid": "k1", "crit": []string{"exp"}}, abuseClaims(nil), sign.f))
	}
	// kid injection: with an HS256 or RS256 alg and a signature by a key we do not hold, or
	// by the real key, where the kid names nothing in the set.
	for _, kid := range []string{
		"../../../../dev/null", "../../etc/passwd", "' OR 1=1--", "k1' UNION SELECT 'secret", "k1\x00", "\x00",
		att + "/key", "file:///dev/null", strings.Repeat("k", 64<<10/2),
	} {
		add(fmt.Sprintf("kid %.24q HS256 signed with empty key", kid), rawJWT(t, map[string]any{"alg": "HS256", "kid": kid}, abuseClaims(nil), hs256(nil)))
		add(fmt.Sprintf("kid %.24q RS256 by another key", kid), rawJWT(t, map[string]any{"alg": "RS256", "kid": kid}, abuseClaims(nil), func(in string) []byte {
			s, _ := jwt.SigningMethodRS256.Sign(in, other)
			return s
		}))
	}
	// Keys the token brings itself: a jku/x5u to the attacker's listener (which serves the
	// real key set, so only fetching is wrong) and an embedded jwk of the attacker's key.
	otherJWK := map[string]any{"kty": "RSA", "kid": "evil", "n": b64(other.N.Bytes()), "e": b64(big.NewInt(int64(other.E)).Bytes())}
	signOther := func(in string) []byte {
		s, _ := jwt.SigningMethodRS256.Sign(in, other)
		return s
	}
	for name, hdr := range map[string]map[string]any{
		"jku":           {"alg": "RS256", "kid": "evil", "jku": att + "/jwks.json"},
		"x5u":           {"alg": "RS256", "kid": "evil", "x5u": att + "/cert.pem"},
		"jwk":           {"alg": "RS256", "kid": "evil", "jwk": otherJWK},
		"jku no kid":    {"alg": "RS256", "jku": att + "/jwks.json"},
		"jwk + x5u+jku": {"alg": "RS256", "jwk": otherJWK, "x5u": att + "/x", "jku": att + "/y"},
	} {
		add("header "+name, rawJWT(t, hdr, abuseClaims(nil), signOther))
	}
	// Claims the service itself requires.
	add("HS256 role god", rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(map[string]any{"role": "god"}), hsGood))
	add("HS256 no tenant", rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(map[string]any{"tenant_id": nil}), hsGood))
	add("HS256 no sub", rawJWT(t, map[string]any{"alg": "HS256"}, abuseClaims(map[string]any{"sub": nil}), hsGood))
	// Shapes.
	add("two parts", strings.Join(strings.Split(good, ".")[:2], "."))
	add("four parts", good+".x")
	add("dots", strings.Repeat(".", 8<<10))
	add("padding variant", good+"=")

	accepted := 0
	for _, v := range vs {
		st, www, body := je.get(t, "Bearer "+v.token)
		if st != http.StatusUnauthorized || errCode(&testenv.Response{Body: body}) != "4010" || www == "" {
			if st < 300 {
				accepted++
			}
			t.Errorf("%s: %d %s (WWW-Authenticate %q), want 401 4010", v.name, st, body, www)
		}
	}
	fetches := je.attacker.hits.Load()
	if fetches != 0 {
		t.Errorf("the token-named URLs were fetched %d times", fetches)
	}
	// The configured key server: once at start and at most once more for the unknown kids
	// (rate-limited to one refresh per 5 minutes), whatever the number of vectors.
	if n := je.jwks.hits.Load(); n > 2 {
		t.Errorf("the configured JWKS was fetched %d times for %d tokens, want <= 2", n, len(vs))
	}
	t.Logf("FIGURE jwt_vectors=%d", len(vs))
	t.Logf("FIGURE forged_tokens_accepted=%d", accepted)
	t.Logf("FIGURE jwt_outbound_fetches=%d", fetches)
	t.Logf("FIGURE jwks_fetches=%d", je.jwks.hits.Load())
}

// TestJWTHugeBearer: a 1 MiB bearer of dots is cut by the header limit (431) before any
// handler runs; one just under the token cap is refused 401 without decoding, and refusing
// it allocates a bounded, size-independent amount.
func TestJWTHugeBearer(t *testing.T) {
	je := newJWTEnv(t)
	st, _, body := je.get(t, "Bearer "+strings.Repeat(".", 1<<20))
	if st != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("1 MiB of dots: %d %s, want 431", st, body)
	}
	// Under the header limit, over the token cap; and just under the token cap.
	for _, n := range []int{auth.MaxTokenLen + 1, auth.MaxTokenLen - 8} {
		st, _, body := je.get(t, "Bearer "+strings.Repeat(".", n))
		if st != http.StatusUnauthorized || errCode(&testenv.Response{Body: body}) != "4010" {
			t.Errorf("%d dots: %d %s, want 401 4010", n, st, body)
		}
	}

	// Allocation of the authenticator itself (CVE-2025-30204 was a 16x amplification on
	// dots): bytes allocated per refused token, for 1 MiB and for just under the cap.
	authn, err := auth.New(t.Context(), je.Store, auth.Config{HS256Secret: []byte(abuseHS), Audience: abuseAudience})
	if err != nil {
		t.Fatal(err)
	}
	defer authn.Close()
	perCall := func(tok string) (allocs float64, bytes uint64) {
		ctx := context.Background()
		allocs = testing.AllocsPerRun(20, func() { _, _ = authn.Authenticate(ctx, tok) })
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		const n = 20
		for range n {
			if _, err := authn.Authenticate(ctx, tok); switchboard.ErrorCode(err) != switchboard.CodeUnauthenticated {
				t.Fatalf("token of %d bytes: %v", len(tok), err)
			}
		}
		runtime.ReadMemStats(&b)
		return allocs, (b.TotalAlloc - a.TotalAlloc) / n
	}
	bigAllocs, bigBytes := perCall(strings.Repeat(".", 1<<20))
	capAllocs, capBytes := perCall(strings.Repeat(".", auth.MaxTokenLen))
	t.Logf("1 MiB of dots: %.0f allocs, %d B per call; %d dots: %.0f allocs, %d B per call",
		bigAllocs, bigBytes, auth.MaxTokenLen, capAllocs, capBytes)
	// The bound: a refused token may cost a few times its own size, never 16x, and the
	// 1 MiB one (refused by length) next to nothing.
	if bigBytes > 4<<10 {
		t.Errorf("1 MiB bearer allocates %d B per call, want <= 4 KiB (refused by length)", bigBytes)
	}
	if capBytes > 4*uint64(auth.MaxTokenLen) {
		t.Errorf("%d-byte bearer allocates %d B per call, want <= %d", auth.MaxTokenLen, capBytes, 4*auth.MaxTokenLen)
	}
	t.Logf("FIGURE jwt_huge_bearer_bytes_per_call=%d", bigBytes)
	t.Logf("FIGURE jwt_cap_bearer_bytes_per_call=%d", capBytes)
}
