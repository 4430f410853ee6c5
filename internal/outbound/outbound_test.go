package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/outbound"
)

func TestForbidden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr      string
		forbidden bool
	}{
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.1.2.3", true},
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"192.168.1.1", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"100.128.0.1", false},
		{"169.254.169.254", true},
		{"169.254.1.1", true},
		{"fd00:ec2::254", true},
		{"fc00::1", true},
		{"fe80::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"255.255.255.255", true},
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"2606:4700::1111", false},
		{"::ffff:8.8.8.8", false},
	} {
		if got := outbound.Forbidden(netip.MustParseAddr(tc.addr)); got != tc.forbidden {
			t.Errorf("Forbidden(%s) = %v, want %v", tc.addr, got, tc.forbidden)
		}
	}
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	g := outbound.NewGuard(outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::ffff:127.0.0.1": true, "127.0.0.2": false, "10.0.0.1": false, "8.8.8.8": true,
	} {
		if got := g.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
}

// resolver answers from a fixed table, like a DNS server the test controls.
func resolver(table map[string][]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range table[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if out == nil {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

func server(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return srv, port
}

func TestDialRefusals(t *testing.T) {
	t.Parallel()
	_, port := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	res := resolver(map[string][]string{
		"local.test":   {"127.0.0.1"},
		"mapped.test":  {"::ffff:127.0.0.1"},
		"private.test": {"10.1.2.3"},
		"mixed.test":   {"8.8.8.8", "192.168.0.1"},
		"meta.test":    {"169.254.169.254"},
	})
	open := outbound.NewGuard(outbound.Config{Resolve: res, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	strict := outbound.NewGuard(outbound.Config{Resolve: res})
	for _, tc := range []struct {
		guard *outbound.Guard
		host  string
		want  outbound.Kind // "" = reaches the server
	}{
		{strict, "127.0.0.1", outbound.KindRefused},
		{strict, "[::ffff:127.0.0.1]", outbound.KindRefused},
		{strict, "local.test", outbound.KindRefused},
		{strict, "mapped.test", outbound.KindRefused},
		{strict, "private.test", outbound.KindRefused},
		{strict, "mixed.test", outbound.KindRefused},
		{strict, "meta.test", outbound.KindRefused},
		{strict, "[fd00:ec2::254]", outbound.KindRefused},
		{strict, "nowhere.test", outbound.KindNetwork},
		{open, "127.0.0.1", ""},
		{open, "local.test", ""},
		{open, "mapped.test", ""},
		{open, "private.test", outbound.KindRefused},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://user:pw@"+tc.host+":"+port+"/p?token=s3cret", nil)
		resp, err := tc.guard.Do(tc.guard.Client(), req)
		if tc.want == "" {
			if err != nil || resp.StatusCode != 204 {
				t.Errorf("%s: %v, %v; want 204", tc.host, resp, err)
			}
			continue
		}
		if got := outbound.Classify(err); got != tc.want {
			t.Errorf("%s: error %v (kind %s), want kind %s", tc.host, err, got, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw")) {
			t.Errorf("%s: error text %q holds a secret", tc.host, err)
		}
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	var srvURL string
	srv, port := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/other":
			http.Redirect(w, r, "http://other.test:"+strings.TrimPrefix(srvURL, "http://127.0.0.1:")+"/final?k=s3cret", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			w.WriteHeader(200)
		}
	}))
	srvURL = srv.URL
	g := outbound.NewGuard(outbound.Config{
		Resolve: resolver(map[string][]string{"other.test": {"127.0.0.1"}}),
		Allow:   []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	do := func(path string) (*outbound.Response, error) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:"+port+path, nil)
		return g.Do(g.Client(), req)
	}
	if resp, err := do("/same"); err != nil || resp.StatusCode != 200 {
		t.Errorf("same-host redirect: %v, %v; want 200", resp, err)
	}
	_, err := do("/other")
	if outbound.Classify(err) != outbound.KindRedirect || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("cross-host redirect: %v; want a refused redirect without the query", err)
	}
	if _, err := do("/loop"); outbound.Classify(err) != outbound.KindRedirect {
		t.Errorf("redirect loop: %v; want too many redirects", err)
	}
}

func TestSizeCapAndTimeout(t *testing.T) {
	t.Parallel()
	_, port := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/exact":
			w.Write([]byte(strings.Repeat("x", 1024)))
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	}))
	g := outbound.NewGuard(outbound.Config{
		Allow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		MaxBodyBytes:  1024,
		HeaderTimeout: 200 * time.Millisecond,
	})
	do := func(path string) (*outbound.Response, error) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:"+port+path, nil)
		return g.Do(g.Client(), req)
	}
	if resp, err := do("/exact"); err != nil || len(resp.Body) != 1024 {
		t.Errorf("body at the cap: %v; want it whole", err)
	}
	_, err := do("/big")
	var oe *outbound.Error
	if !errors.As(err, &oe) || oe.Kind != outbound.KindTooLarge {
		t.Errorf("body over the cap: %v; want too large", err)
	}
	start := time.Now()
	if _, err := do("/slow?secret=s3cret"); outbound.Classify(err) != outbound.KindTimeout || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("slow server: %v; want a timeout without the query", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
}
