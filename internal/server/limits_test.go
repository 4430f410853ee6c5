package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The inbound limits of issue 7, against Serve (the real http.Server settings), not the
// httptest server testenv starts.

// serveEnv serves e's service with cfg (Service, Auth and Logger filled in) on its own
// 127.0.0.1 listener through Serve and returns the base URL.
func serveEnv(t testing.TB, e *testenv.Env, cfg server.Config) string {
	t.Helper()
	cfg.Service = e.Service
	if cfg.Auth == nil {
		cfg.Auth = testAuth(t, e)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	s := server.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// testAuth is an authenticator like testenv's: its API keys and HS256 tokens.
func testAuth(t testing.TB, e *testenv.Env) server.Authenticator {
	t.Helper()
	a, err := auth.New(t.Context(), e.Store, auth.Config{HS256Secret: []byte(testenv.JWTSecret), AccessKeys: e.Service})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

var jsonUnmarshal = json.Unmarshal

// send does one request against url with an optional bearer and headers (name, value, ...).
func send(t testing.TB, c *http.Client, method, url, token string, body []byte, headers ...string) *testenv.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// TestLimitsBodyHeaders: an oversize body is 413/4130 on the native API and in a vendor's
// shape, huge headers are 431, a page size far over the maximum never yields more than it.
func TestLimitsBodyHeaders(t *testing.T) {
	e := testenv.New(t, "sqlite")
	url := serveEnv(t, e, server.Config{BodyLimit: 64 << 10})
	c := &http.Client{}
	big := []byte(`{"connection_name":"` + strings.Repeat("a", 2<<20) + `"}`)
	for _, p := range []string{"/v1/workspaces/default/connections", "/v1/workspaces/default/credentials"} {
		r := send(t, c, "POST", url+p, e.OwnerKey, big)
		if r.Status != http.StatusRequestEntityTooLarge || errCode(r) != "4130" {
			t.Errorf("POST %s with 2 MiB: %d %.200s, want 413 4130", p, r.Status, r.Body)
		}
	}
	// Compat families answer 413 in their own shape.
	for _, p := range []struct{ method, path string }{
		{"POST", "/unified/connection"}, {"POST", "/web/v1/workspaces/default/slash/connections"},
		{"POST", "/api/v2/organizations"},
	} {
		if r := send(t, c, p.method, url+p.path, e.OwnerKey, big); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s %s with 2 MiB: %d %.200s, want 413", p.method, p.path, r.Status, r.Body)
		}
	}
	// Headers: one over MaxHeaderBytes (net/http allows 4 KiB of slack above it), and many
	// small ones adding up over it.
	r := send(t, c, "GET", url+"/v1/workspaces", e.OwnerKey, nil, "X-Filler", strings.Repeat("x", server.MaxHeaderBytes+8<<10))
	if r.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("%d B header: %d, want 431", server.MaxHeaderBytes+8<<10, r.Status)
	}
	var many []string
	for i := range 200 {
		many = append(many, fmt.Sprintf("X-F%d", i), strings.Repeat("y", 512))
	}
	if r := send(t, c, "GET", url+"/v1/workspaces", e.OwnerKey, nil, many...); r.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 headers of 512 B: %d, want 431", r.Status)
	}

	// Page sizes: the native API refuses one over its maximum (400), the vendors' APIs
	// refuse or clamp; none answers more than 1000 items.
	for _, p := range []struct {
		path string
		want int
	}{
		{"/v1/workspaces/default/connections?page_size=100000", 400},
		{"/v1/workspaces/default/audit?page_size=100000", 400},
		{"/v1/{project}/workspaces/default/soc/assetcredentials?limit=100000", 400},
		{"/api/v2/organizations/x/enabled_connections?per_page=100000", 400},
		{"/unified/connection?limit=100000", 200},
	} {
		path := strings.Replace(p.path, "{project}", "p1", 1)
		if r := send(t, c, "GET", url+path, e.OwnerKey, nil); r.Status != p.want && !(p.want == 400 && r.Status == 404) {
			t.Errorf("GET %s: %d %.300s, want %d", path, r.Status, r.Body, p.want)
		}
	}
	// Clamping proven with more rows than the maximum: 1001 connections.
	if testing.Short() {
		return
	}
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	jobs := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				body := fmt.Appendf(nil, `{"connector_id":"http-bearer","connection_name":"clamp-%d","config":{"base_url":"https://api.example.com","token":"t"}}`, i)
				if r := send(t, c, "POST", url+"/v1/workspaces/default/connections", e.OwnerKey, body); r.Status != http.StatusCreated {
					failed.Add(1)
				}
			}
		})
	}
	for i := range 1001 {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d creates failed", failed.Load())
	}
	var got struct {
		Data []any `json:"data"`
	}
	r = send(t, c, "GET", url+"/unified/connection?limit=100000", e.OwnerKey, nil)
	var items []any
	if err := jsonUnmarshal(r.Body, &items); err != nil {
		if err := jsonUnmarshal(r.Body, &got); err != nil {
			t.Fatalf("unified list: %v %.200s", err, r.Body)
		}
		items = got.Data
	}
	if len(items) != 1000 {
		t.Errorf("unified limit=100000 over 1001 connections: %d items, want 1000 (the maximum)", len(items))
	}
	t.Logf("seeded 1001 connections in %v", time.Since(start).Round(time.Millisecond))
	t.Logf("FIGURE page_size_max_served=%d", len(items))
}

// TestSlowHeaders: a client dribbling its headers a byte at a time is cut off by
// ReadHeaderTimeout, whatever it keeps sending.
func TestSlowHeaders(t *testing.T) {
	if server.DefaultReadHeaderTimeout > 5*time.Second {
		t.Errorf("DefaultReadHeaderTimeout = %v, want <= 5s", server.DefaultReadHeaderTimeout)
	}
	e := testenv.New(t, "sqlite")
	const timeout = time.Second
	url := serveEnv(t, e, server.Config{ReadHeaderTimeout: timeout})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	go func() {
		// The server's answer (a 408 or nothing) and then EOF: the connection is gone.
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout + 3*time.Second)
	for {
		select {
		case d := <-closed:
			if d < timeout-100*time.Millisecond {
				t.Errorf("closed after %v, before the %v timeout", d, timeout)
			}
			t.Logf("dribbling client closed after %v (ReadHeaderTimeout %v)", d.Round(time.Millisecond), timeout)
			t.Logf("FIGURE slow_header_cutoff_ms=%d", d.Milliseconds())
			return
		case <-tick.C:
			_, _ = conn.Write([]byte("a")) // fails once the server closed: fine
		case <-deadline:
			t.Fatalf("a client dribbling headers is still connected after %v (ReadHeaderTimeout %v)", time.Since(start), timeout)
		}
	}
}

// TestRateLimits: a principal over its rate gets 429 + Retry-After (4290, or the vendor's
// shape), another principal does not; a client sending bad credentials gets 429 after the
// failed-auth burst, checked before any credential is.
func TestRateLimits(t *testing.T) {
	e := testenv.New(t, "sqlite")
	keyA := e.Key(t, "default", switchboard.RoleOwner)
	keyB := e.Key(t, "default", switchboard.RoleViewer)
	const burst = 10
	url := serveEnv(t, e, server.Config{
		PrincipalLimit:  server.RateLimit{Rate: 2, Burst: burst},
		FailedAuthLimit: server.RateLimit{Rate: 1, Burst: 20},
	})
	c := &http.Client{}
	okBefore, limited := 0, 0
	var first *testenv.Response
	for range 3 * burst {
		r := send(t, c, "GET", url+"/v1/workspaces/default", keyA, nil)
		switch r.Status {
		case http.StatusOK:
			if limited == 0 {
				okBefore++
			}
		case http.StatusTooManyRequests:
			limited++
			if first == nil {
				first = r
			}
		default:
			t.Fatalf("GET: %d %s", r.Status, r.Body)
		}
	}
	if okBefore < burst || okBefore > burst+2 || limited == 0 {
		t.Errorf("principal limit burst %d: %d answered before the first 429, %d limited", burst, okBefore, limited)
	}
	if first != nil {
		if errCode(first) != "4290" {
			t.Errorf("429 body %s, want code 4290", first.Body)
		}
		if ra, err := strconv.Atoi(first.Header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("429 Retry-After %q, want whole seconds >= 1", first.Header.Get("Retry-After"))
		}
	}
	// The vendor APIs: same bucket, their own shape, Retry-After too.
	r := send(t, c, "GET", url+"/unified/connection", keyA, nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("unified as the limited principal: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Another principal is not limited by A's traffic.
	if r := send(t, c, "GET", url+"/v1/workspaces/default", keyB, nil); r.Status != http.StatusOK {
		t.Errorf("another principal: %d %s", r.Status, r.Body)
	}
	// A's bucket refills at its rate.
	time.Sleep(600 * time.Millisecond)
	if r := send(t, c, "GET", url+"/v1/workspaces/default", keyA, nil); r.Status != http.StatusOK {
		t.Errorf("after the wait: %d %s", r.Status, r.Body)
	}
	t.Logf("FIGURE principal_requests_before_429=%d", okBefore)

	// Failed authentication: 1,000 wrong API keys from one address.
	unauth, tooMany, other := 0, 0, 0
	var firstLimited *testenv.Response
	for i := range 1000 {
		bad := switchboard.APIKeyPrefix + fmt.Sprintf("%052d", i)
		r := send(t, c, "GET", url+"/v1/workspaces/default", bad, nil)
		switch r.Status {
		case http.StatusUnauthorized:
			if tooMany == 0 {
				unauth++
			}
		case http.StatusTooManyRequests:
			tooMany++
			if firstLimited == nil {
				firstLimited = r
			}
		default:
			other++
		}
	}
	if unauth > 25 || tooMany < 950 || other > 0 {
		t.Errorf("1000 bad keys: %d refused 401 before the first 429, %d got 429, %d other", unauth, tooMany, other)
	}
	if firstLimited != nil && (firstLimited.Header.Get("Retry-After") == "" || errCode(firstLimited) != "4290") {
		t.Errorf("failed-auth 429: %s Retry-After %q", firstLimited.Body, firstLimited.Header.Get("Retry-After"))
	}
	// While the address is blocked, even a good key from it waits: the check comes before
	// the key is looked at, or the block would not stop guessing.
	if r := send(t, c, "GET", url+"/v1/workspaces/default", keyB, nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("good key from the blocked address: %d, want 429", r.Status)
	}
	// Compat routes share the block, in their shape.
	if r := send(t, c, "GET", url+"/api/connect/v1/o/default/connectors/x/connections", "bad", nil); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("versori from the blocked address: %d %s", r.Status, r.Body)
	}
	t.Logf("FIGURE failed_auth_attempts_before_429=%d", unauth)
}

// TestOversizeRSS: 1,000 requests with bodies 4x (soak: 16x) over the limit, 8 at a time, do
// not grow the process: the server reads no more than the limit of each.
func TestOversizeRSS(t *testing.T) {
	e := testenv.New(t, "sqlite")
	const limit = 64 << 10
	url := serveEnv(t, e, server.Config{BodyLimit: limit})
	// 4x the limit in CI (1,000 requests move 256 MiB); 16x with SWITCHBOARD_SOAK=1.
	over := 4
	if os.Getenv("SWITCHBOARD_SOAK") == "1" {
		over = 16
	}
	body := append(append([]byte(`{"connection_name":"`), bytes.Repeat([]byte("a"), over*limit)...), `"}`...)
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	runtime.GC()
	base := rssBytes(t)
	var peak atomic.Uint64
	peak.Store(base)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				if v := rssBytes(t); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	var n413, other atomic.Int64
	jobs := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for range jobs {
				req, _ := http.NewRequestWithContext(t.Context(), "POST", url+"/v1/workspaces/default/connections", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := c.Do(req)
				if err != nil {
					other.Add(1) // the server may close before the client wrote everything
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusRequestEntityTooLarge {
					n413.Add(1)
				} else {
					other.Add(1)
				}
			}
		})
	}
	start := time.Now()
	for range 1000 {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	close(stop)
	<-sampled
	growth := float64(peak.Load()-base) / (1 << 20)
	t.Logf("1000 requests %dx over the limit in %v: %d answered 413, %d cut or other; RSS %.1f MiB -> peak %.1f MiB",
		over, time.Since(start).Round(time.Millisecond), n413.Load(), other.Load(), float64(base)/(1<<20), float64(peak.Load())/(1<<20))
	if n413.Load() < 900 {
		t.Errorf("only %d of 1000 oversize requests answered 413", n413.Load())
	}
	if growth > 50 {
		t.Errorf("RSS grew %.1f MiB under 1000 oversize requests, want < 50", growth)
	}
	t.Logf("FIGURE rss_growth_mib=%.1f", growth)
}

// rssBytes is this process's resident set (the server runs in it), from /proc.
func rssBytes(t testing.TB) uint64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(raw))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// TestSignInLimit: the console's sign-in form, which takes an API key, is under the same
// failed-auth limit as the API: guessing keys there gets 429 after the burst.
func TestSignInLimit(t *testing.T) {
	e := testenv.New(t, "sqlite")
	const burst = 5
	base := serveEnv(t, e, server.Config{FailedAuthLimit: server.RateLimit{Rate: 0.5, Burst: burst}})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	refused, limited := 0, 0
	for i := range 3 * burst {
		resp, err := c.PostForm(base+"/console/login", url.Values{"csrf": {string(m[1])}, "api_key": {switchboard.APIKeyPrefix + fmt.Sprintf("%052d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			if limited == 0 {
				refused++
			}
		case http.StatusTooManyRequests:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Fatalf("sign-in with a wrong key: %d", resp.StatusCode)
		}
	}
	if refused != burst || limited != 2*burst {
		t.Errorf("%d wrong keys refused 401, then %d limited; want %d then %d", refused, limited, burst, 2*burst)
	}
	t.Logf("FIGURE console_signin_attempts_before_429=%d", refused)
}

// TestFailedAuthBehindProxy: with the proxy trusted, the failed-auth limit counts the client
// X-Forwarded-For names, so one client guessing keys behind the proxy does not block the
// others; untrusted, the header is ignored (a client cannot dodge its limit by making up
// addresses).
func TestFailedAuthBehindProxy(t *testing.T) {
	e := testenv.New(t, "sqlite")
	good := e.Key(t, "default", switchboard.RoleViewer)
	const burst = 5
	for _, trusted := range []bool{true, false} {
		cfg := server.Config{FailedAuthLimit: server.RateLimit{Rate: 0.5, Burst: burst}}
		if trusted {
			cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		}
		base := serveEnv(t, e, cfg)
		c := &http.Client{}
		bad := switchboard.APIKeyPrefix + strings.Repeat("0", 52)
		// The guesser, with a made-up hop on the left that a trusted chain skips.
		for range 2 * burst {
			send(t, c, "GET", base+"/v1/workspaces/default", bad, nil, "X-Forwarded-For", "198.51.100.7, 203.0.113.1")
		}
		r := send(t, c, "GET", base+"/v1/workspaces/default", bad, nil, "X-Forwarded-For", "203.0.113.1")
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("trusted=%v: the guesser after %d failures: %d, want 429", trusted, 2*burst, r.Status)
		}
		// Another client behind the same proxy.
		r = send(t, c, "GET", base+"/v1/workspaces/default", good, nil, "X-Forwarded-For", "203.0.113.2")
		want := http.StatusOK
		if !trusted {
			want = http.StatusTooManyRequests // everyone shares the proxy's address
		}
		if r.Status != want {
			t.Errorf("trusted=%v: another client behind the proxy: %d, want %d", trusted, r.Status, want)
		}
		// A forged header cannot move the guesser to a fresh bucket when it comes from an
		// untrusted peer; with a trusted one the proxy vouches for the last hop only.
		r = send(t, c, "GET", base+"/v1/workspaces/default", bad, nil, "X-Forwarded-For", "203.0.113.1, 127.0.0.1")
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("trusted=%v: the guesser behind a trusted hop: %d, want 429", trusted, r.Status)
		}
	}
}
