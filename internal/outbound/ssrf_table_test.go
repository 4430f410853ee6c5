package outbound_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/oauth"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

// Only loopback is ever dialled here: every other forbidden address is judged by calling the
// guard's Control function directly, which is what a dialer calls before connect(2), so a
// broken guard could not send a packet anywhere (trust.md row 21).

// forbiddenDestinations are addresses no user-supplied URL may reach, by family.
var forbiddenDestinations = []struct{ family, addr string }{
	{"private", "10.0.0.1"}, {"private", "10.255.255.255"},
	{"private", "172.16.0.1"}, {"private", "172.31.255.254"},
	{"private", "192.168.0.1"}, {"private", "192.168.255.255"},
	{"loopback", "127.0.0.1"}, {"loopback", "127.0.0.2"}, {"loopback", "127.255.255.254"}, {"loopback", "::1"},
	{"link-local", "169.254.0.1"}, {"link-local", "169.254.255.254"}, {"link-local", "fe80::1"}, {"link-local", "febf::ffff"},
	{"cgnat", "100.64.0.1"}, {"cgnat", "100.127.255.254"},
	{"metadata", "169.254.169.254"}, {"metadata", "fd00:ec2::254"}, {"metadata", "169.254.170.2"},
	{"ipv4-mapped", "::ffff:127.0.0.1"}, {"ipv4-mapped", "::ffff:10.0.0.1"}, {"ipv4-mapped", "::ffff:169.254.169.254"},
	{"ipv4-compatible", "::127.0.0.1"}, {"ipv4-compatible", "::a9fe:a9fe"},
	{"nat64", "64:ff9b::7f00:1"}, {"nat64", "64:ff9b::a9fe:a9fe"}, {"nat64", "64:ff9b::808:808"}, {"nat64", "64:ff9b:1::a00:1"},
	{"6to4", "2002:7f00:1::1"}, {"6to4", "2002:a9fe:a9fe::1"},
	{"unspecified", "0.0.0.0"}, {"unspecified", "0.1.2.3"}, {"unspecified", "::"},
	{"multicast", "224.0.0.1"}, {"multicast", "239.255.255.250"}, {"multicast", "ff02::1"}, {"multicast", "ff05::1:3"},
	{"broadcast", "255.255.255.255"}, {"reserved", "240.0.0.1"},
	{"benchmark", "198.18.0.1"}, {"ietf", "192.0.0.8"},
	{"unique-local", "fc00::1"}, {"unique-local", "fdff:ffff::1"},
	{"documentation", "2001:db8::1"},
}

// publicDestinations must stay reachable: the guard is not a deny-all.
var publicDestinations = []string{"8.8.8.8", "93.184.216.34", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1"}

func TestSSRFControlTable(t *testing.T) {
	t.Parallel()
	g := outbound.NewGuard(outbound.Config{})
	refused := 0
	for _, tc := range forbiddenDestinations {
		a := netip.MustParseAddr(tc.addr)
		for _, port := range []uint16{80, 443, 8080} {
			dst := netip.AddrPortFrom(a, port).String()
			for _, network := range []string{"tcp", "tcp4", "tcp6"} {
				err := g.Control(network, dst, nil)
				if outbound.Classify(err) != outbound.KindRefused {
					t.Errorf("%s %s (%s): Control = %v, want refused", network, dst, tc.family, err)
					continue
				}
				refused++
			}
		}
		if outbound.Forbidden(a) == false || g.Allowed(a) {
			t.Errorf("%s (%s): Forbidden = false or Allowed = true", tc.addr, tc.family)
		}
	}
	for _, p := range publicDestinations {
		dst := netip.AddrPortFrom(netip.MustParseAddr(p), 443).String()
		if err := g.Control("tcp", dst, nil); err != nil {
			t.Errorf("public %s: Control = %v, want allowed", dst, err)
		}
	}
	// Not TCP, or not an address: refused whatever the destination.
	for _, c := range [][2]string{{"udp", "8.8.8.8:53"}, {"udp6", "[2606:4700::1111]:53"}, {"ip4:icmp", "8.8.8.8"}, {"unix", "/run/x.sock"}, {"tcp", "example.com:80"}, {"tcp", "[fe80::1%eth0]:80"}} {
		if outbound.Classify(g.Control(c[0], c[1], nil)) != outbound.KindRefused {
			t.Errorf("Control(%s, %s) allowed", c[0], c[1])
		}
	}
	t.Logf("FIGURE ssrf_control_refused=%d/%d", refused, len(forbiddenDestinations)*9)
}

// countingListener is a loopback TCP listener that counts the connections it accepts.
func countingListener(t *testing.T, ip string) (port string, accepts *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("listen on %s: %v", ip, err)
	}
	accepts = &atomic.Int64{}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"x","token_type":"bearer","expires_in":3600}`))
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				accepts.Add(1)
			}
		},
		ReadHeaderTimeout: time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, accepts
}

// TestSSRFControlBeforeConnect proves the refusal comes before connect(2): a dialer with the
// guard's Control aimed at a live loopback listener records the attempt and is refused, and
// the listener accepts nothing.
func TestSSRFControlBeforeConnect(t *testing.T) {
	t.Parallel()
	port, accepts := countingListener(t, "127.0.0.1")
	g := outbound.NewGuard(outbound.Config{})
	var mu sync.Mutex
	var seen []string
	d := net.Dialer{Timeout: 2 * time.Second, Control: func(network, address string, c syscall.RawConn) error {
		mu.Lock()
		seen = append(seen, address)
		mu.Unlock()
		return g.Control(network, address, c)
	}}
	for _, target := range []string{"127.0.0.1:" + port, "[::ffff:127.0.0.1]:" + port} {
		c, err := d.DialContext(t.Context(), "tcp", target)
		if err == nil {
			c.Close()
			t.Errorf("dial %s: connected", target)
		} else if outbound.Classify(err) != outbound.KindRefused {
			t.Errorf("dial %s: %v, want refused by Control", target, err)
		}
	}
	if len(seen) != 2 {
		t.Errorf("Control saw %v, want both attempts", seen)
	}
	// The same listener is reachable without the guard: the zero above means something.
	if c, err := net.Dial("tcp", "127.0.0.1:"+port); err != nil {
		t.Fatalf("positive control: %v", err)
	} else {
		c.Close()
	}
	waitFor(t, func() bool { return accepts.Load() == 1 })
	t.Logf("FIGURE ssrf_control_connects=%d", accepts.Load()-1)
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 200 && !ok(); i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSSRFRebinding: a resolver that answers an allowed address first and a forbidden one
// next (DNS rebinding) is asked at every dial, and the dial goes to the address it checked.
// 127.0.0.2 stands in for the public address (allowed by the guard's allow-list), so nothing
// leaves loopback.
func TestSSRFRebinding(t *testing.T) {
	t.Parallel()
	goodPort, good := countingListener(t, "127.0.0.2")
	badPort, bad := countingListener(t, "127.0.0.1")
	if goodPort == "" || badPort == "" {
		t.Skip("no listener")
	}
	var calls atomic.Int64
	g := outbound.NewGuard(outbound.Config{
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			if calls.Add(1)%2 == 1 {
				return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
	})
	// One port for both: the rebinding target listens on the port the "public" one does.
	_ = badPort
	cl := g.Client()
	cl.Transport.(*http.Transport).DisableKeepAlives = true
	okCount, refusedCount := 0, 0
	for i := 0; i < 6; i++ {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://rebind.test:"+goodPort+"/", nil)
		_, err := g.Do(cl, req)
		switch {
		case err == nil:
			okCount++
		case outbound.Classify(err) == outbound.KindRefused:
			refusedCount++
		default:
			t.Errorf("request %d: %v", i, err)
		}
	}
	// The forbidden answer on the same port: the TCP check path.
	for i := 0; i < 2; i++ {
		c, err := g.DialContext(t.Context(), "tcp", "rebind.test:"+badPort)
		if err == nil {
			c.Close()
		}
	}
	if okCount != 3 || refusedCount != 3 || calls.Load() != 8 {
		t.Errorf("allowed %d, refused %d, resolutions %d; want 3, 3, 8 (one resolution per dial)", okCount, refusedCount, calls.Load())
	}
	if good.Load() == 0 {
		t.Errorf("the allowed listener saw nothing: the test proves nothing")
	}
	if n := bad.Load(); n != 0 {
		t.Errorf("the rebinding target was reached %d times", n)
	}
	t.Logf("FIGURE ssrf_rebinding_reaches=%d", bad.Load())
}

// TestSSRFEndToEnd points the real outbound callers (health checks, webhook delivery, OAuth
// token calls) with the production policy (no allow-list) at a loopback listener, by IP
// literal, mapped IPv6, localhost, a name resolving to loopback, and a redirect from an
// allowed host: the listener is reached 0 times.
func TestSSRFEndToEnd(t *testing.T) {
	t.Parallel()
	port, forbidden := countingListener(t, "127.0.0.1")
	// An allowed "partner" (127.0.0.2, opened by the allow-list) that redirects to loopback.
	hopLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("listen on 127.0.0.2: %v", err)
	}
	var hops atomic.Int64
	hop := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		http.Redirect(w, r, "http://127.0.0.1:"+port+"/token", http.StatusTemporaryRedirect)
	}), ReadHeaderTimeout: time.Second}
	go hop.Serve(hopLn)
	t.Cleanup(func() { _ = hop.Close() })
	hopURL := "http://" + hopLn.Addr().String()

	cfg := outbound.Config{
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Resolve: resolver(map[string][]string{
			"localhost": {"127.0.0.1", "::1"}, "app.localhost": {"127.0.0.1"},
			"nip.test": {"127.0.0.1"}, "mapped.test": {"::ffff:127.0.0.1"}, "twofaced.test": {"127.0.0.2", "127.0.0.1"},
		}),
		DialTimeout: 2 * time.Second, Timeout: 5 * time.Second,
	}
	targets := []string{
		"http://127.0.0.1:" + port, "http://[::ffff:127.0.0.1]:" + port, "http://localhost:" + port,
		"http://app.localhost:" + port, "http://nip.test:" + port, "http://mapped.test:" + port,
		"http://twofaced.test:" + port, "http://user:pw@127.0.0.1:" + port, "https://127.0.0.1:" + port,
	}
	attempts := 0

	// Health checks: http and tcp.
	checker := health.New(cfg)
	for _, u := range targets {
		hc, _ := json.Marshal(map[string]any{"type": "http", "method": "GET", "url": u + "/health", "expect_status": []int{200}})
		res := checker.Check(t.Context(), &switchboard.ConnectorVersion{HealthCheck: hc}, &switchboard.Connection{})
		attempts++
		if res.Healthy || res.NotConfigured || !strings.Contains(res.Error, "refused") {
			t.Errorf("health check %s: %+v, want refused", u, res)
		}
	}
	for _, addr := range []string{"127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "twofaced.test"} {
		hc, _ := json.Marshal(map[string]any{"type": "tcp", "address": addr, "port": port})
		res := checker.Check(t.Context(), &switchboard.ConnectorVersion{HealthCheck: hc}, &switchboard.Connection{})
		attempts++
		if res.Healthy || !strings.Contains(res.Error, "refused") {
			t.Errorf("tcp health check %s: %+v, want refused", addr, res)
		}
	}
	hc, _ := json.Marshal(map[string]any{"type": "http", "method": "GET", "url": hopURL + "/health", "expect_status": []int{200}})
	if res := checker.Check(t.Context(), &switchboard.ConnectorVersion{HealthCheck: hc}, &switchboard.Connection{}); res.Healthy {
		t.Errorf("health check through a redirect to loopback passed")
	}
	attempts++

	// Webhook delivery.
	doer := webhook.NewGuardDoer(outbound.NewGuard(cfg))
	for _, u := range append(targets, hopURL) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", u+"/hook", strings.NewReader(`{"type":"connection.created"}`))
		attempts++
		if _, err := doer.Do(req); err == nil {
			t.Errorf("webhook to %s delivered", u)
		}
	}

	// OAuth token endpoint calls: refresh, client credentials and code exchange.
	flow := oauth.New(outbound.NewGuard(cfg).Client())
	for _, u := range append(targets, hopURL) {
		oc := switchboard.OAuthConfig{ClientID: "c", ClientSecret: switchboard.NewSecret("s"), TokenURL: u + "/token", AuthorizeURL: u + "/authorize"}
		if _, err := flow.Refresh(t.Context(), oc, "refresh-token"); err == nil {
			t.Errorf("refresh at %s succeeded", u)
		}
		if _, err := flow.ClientCredentials(t.Context(), oc); err == nil {
			t.Errorf("client credentials at %s succeeded", u)
		}
		if _, err := flow.Exchange(t.Context(), oc, "code", ""); err == nil {
			t.Errorf("exchange at %s succeeded", u)
		}
		attempts += 3
	}

	if hops.Load() == 0 {
		t.Errorf("the allowed redirecting host was never reached: the redirect cases prove nothing")
	}
	if n := forbidden.Load(); n != 0 {
		t.Errorf("the forbidden loopback listener was reached %d times", n)
	}
	t.Logf("FIGURE ssrf_forbidden_reaches=%d (attempts=%d, redirect hops=%d)", forbidden.Load(), attempts, hops.Load())
}
