package switchboard_test

import (
	"testing"

	"github.com/switchboardhq/switchboard"
)

// TestCheckOutboundURL: the spellings that parsers read differently, or that dress up a
// forbidden host, are refused when a URL is stored; plain ones pass (the dial-time guard of
// internal/outbound decides which addresses are reachable).
func TestCheckOutboundURL(t *testing.T) {
	t.Parallel()
	refused := []string{
		"http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/",
		"http://127.0.0.01/", "http://0/", "http://00000000177.0.0.1/", "http://1.2.3.4.5/",
		"http://evil@127.0.0.1/", "http://user:pw@example.com/", "http://127.0.0.1#@evil.com/", "http://example.com/#x",
		"http://127.0.0.1:80@evil.com/", "http://evil.com\\@127.0.0.1/",
		"http://[fe80::1%25eth0]/", "http://[fe80::1%eth0]/", "http://[::1%251]:80/",
		"file:///etc/passwd", "gopher://127.0.0.1:25/_HELO", "ftp://example.com/", "dict://127.0.0.1:11211/",
		"javascript:alert(1)", "data:text/plain,x", "http:example.com", "//example.com/", "/relative",
		"http://exa mple.com/", " http://example.com/", "http://example.com/\r\nX-Injected: 1", "http://example.com/\tx",
		"http://example.com%0d%0a/", "http://example.com/\x00",
		"http://localhost/", "http://LOCALHOST:8080/", "http://app.localhost/", "http://a.b.LocalHost/", "http://localhost.localdomain/",
		"http://example.com./", "http://127.0.0.1./", "http://example..com/", "http://.example.com/",
		"http://ex\u00e4mple.com/", "http://\u2460\u2461\u2462.com/", "http://example.com:0/", "http://example.com:65536/", "http://example.com:/",
		"http://example.com:080/", "http://[::ffff:127.0.0.1/", "http:///path", "",
	}
	allowed := []string{
		"https://hooks.example.com/in", "http://example.com:8080/x?y=1", "https://127.0.0.1:8443/token",
		"https://[2001:db8::1]/x", "https://xn--exmple-cua.com/", "https://API.Example.COM/v1", "https://a-b_c.example.io/p",
		"http://10.0.0.1/", // reachable or not is the dial-time guard's call (its allow-list)
	}
	accepted := 0
	for _, u := range refused {
		if err := switchboard.CheckOutboundURL(u); err == nil {
			accepted++
			t.Errorf("CheckOutboundURL(%q) accepted", u)
		}
	}
	for _, u := range allowed {
		if err := switchboard.CheckOutboundURL(u); err != nil {
			t.Errorf("CheckOutboundURL(%q) = %v, want accepted", u, err)
		}
	}
	t.Logf("FIGURE ssrf_url_tricks_accepted=%d (of %d tricks; %d plain URLs accepted)", accepted, len(refused), len(allowed))
}
