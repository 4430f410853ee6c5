// Package outbound makes HTTP clients and TCP dialers for requests Switchboard sends on a
// user's behalf (health checks, token endpoints, webhooks). They are guarded against
// server-side request forgery: every address a name resolves to is checked at dial time, and
// loopback, private, link-local, CGNAT, unspecified, multicast and cloud-metadata addresses are
// refused unless a configured allow-list opens them. Redirects stay on the same host, every
// phase has a timeout, response bodies are capped, and errors never carry a URL's query or
// userinfo.
package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Config tunes a client. Zero fields take the defaults.
type Config struct {
	// Allow lists address ranges that are reachable although the policy would refuse them
	// (tests allow 127.0.0.1/32 for their local servers).
	Allow []netip.Prefix
	// Resolve looks a host name up; nil = net.DefaultResolver. Tests replace it.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	DialTimeout   time.Duration // default 5s
	TLSTimeout    time.Duration // default 5s
	HeaderTimeout time.Duration // default 10s
	Timeout       time.Duration // the whole request, body included; default 30s
	MaxBodyBytes  int64         // default 1 MiB
	MaxRedirects  int           // default 3
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DialTimeout, 5*time.Second)
	def(&c.TLSTimeout, 5*time.Second)
	def(&c.HeaderTimeout, 10*time.Second)
	def(&c.Timeout, 30*time.Second)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxRedirects <= 0 {
		c.MaxRedirects = 3
	}
	if c.Resolve == nil {
		c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	return c
}

// Kind classifies an outbound failure.
type Kind string

// Kinds of failure.
const (
	KindRefused  Kind = "refused"   // the destination is not allowed by policy
	KindTimeout  Kind = "timeout"   // a dial, handshake, header or total timeout
	KindNetwork  Kind = "network"   // DNS, connection or TLS failure
	KindTooLarge Kind = "too_large" // the response body passed the cap
	KindRedirect Kind = "redirect"  // a redirect to another host, or too many
)

// Error is an outbound failure. Its text is safe to store and show: it names the host (never
// userinfo, path query or fragment) and the kind.
type Error struct {
	Kind   Kind
	Detail string // safe text
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Detail }

// Classify returns the kind of an error from a client or dialer of this package (KindNetwork
// for any other error).
func Classify(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTimeout) {
		return KindTimeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return KindTimeout
	}
	return KindNetwork
}

var errTimeout = errors.New("timeout")

// Guard checks destinations against the policy and dials them.
type Guard struct {
	cfg Config
}

// NewGuard returns a Guard for cfg.
func NewGuard(cfg Config) *Guard { return &Guard{cfg: cfg.withDefaults()} }

// Config returns the guard's configuration with defaults applied.
func (g *Guard) Config() Config { return g.cfg }

// Allowed reports whether a is a permitted destination.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range g.cfg.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return !Forbidden(a)
}

var forbiddenRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),          // unspecified, loopback and IPv4-compatible (::a.b.c.d)
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 can reach any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("2002::/16"),      // 6to4 embeds any IPv4 address
	netip.MustParsePrefix("fc00::/7"),       // unique local, incl. fd00:ec2::254 (AWS metadata)
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// Forbidden reports whether the policy refuses a (ignoring any allow-list): loopback, private,
// link-local (incl. metadata 169.254.169.254), CGNAT, unspecified, multicast and reserved
// ranges. IPv4-mapped IPv6 addresses are judged as IPv4.
func Forbidden(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.Zone() != "" {
		return true
	}
	for _, p := range forbiddenRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DialContext resolves address ("host:port"), refuses it when any resolved address is
// forbidden, and connects to the permitted addresses in turn. It dials the checked IP, never the
// name again, so a second DNS answer cannot swap in another address.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &Error{Kind: KindNetwork, Detail: "bad address"}
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, &Error{Kind: KindNetwork, Detail: "bad port"}
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.DialTimeout)
	defer cancel()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = g.cfg.Resolve(ctx, host)
		if err != nil {
			if Classify(err) == KindTimeout {
				return nil, &Error{Kind: KindTimeout, Detail: fmt.Sprintf("resolving %s timed out", host)}
			}
			return nil, &Error{Kind: KindNetwork, Detail: fmt.Sprintf("cannot resolve %s", host)}
		}
		if len(addrs) == 0 {
			return nil, &Error{Kind: KindNetwork, Detail: fmt.Sprintf("cannot resolve %s", host)}
		}
	}
	// Any forbidden answer refuses the whole name: a name that resolves to both a public and a
	// private address is a rebinding attempt, not a reason to pick the public one.
	for _, a := range addrs {
		if !g.Allowed(a) {
			return nil, &Error{Kind: KindRefused, Detail: fmt.Sprintf("destination %s is not allowed (%s)", host, a.Unmap())}
		}
	}
	// The Control hook checks the very address the socket is about to connect to, after every
	// resolution: a second line of defence should a path above ever hand over another one.
	d := net.Dialer{Control: g.Control}
	var last error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(a.Unmap(), mustPort(port)).String())
		if err == nil {
			return c, nil
		}
		last = err
	}
	if e, ok := errors.AsType[*Error](last); ok {
		return nil, e // refused by Control
	}
	if Classify(last) == KindTimeout {
		return nil, &Error{Kind: KindTimeout, Detail: fmt.Sprintf("connecting to %s timed out", host)}
	}
	return nil, &Error{Kind: KindNetwork, Detail: fmt.Sprintf("cannot connect to %s", net.JoinHostPort(host, port))}
}

// Control is a net.Dialer Control function that refuses, before the connect system call, a
// socket whose destination is not a TCP address the policy allows. Use it on any dialer that
// reaches a user-supplied destination; DialContext does.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return &Error{Kind: KindRefused, Detail: "network " + network + " is not allowed"}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Kind: KindRefused, Detail: "destination is not an IP address"}
	}
	if !g.Allowed(ap.Addr()) {
		return &Error{Kind: KindRefused, Detail: fmt.Sprintf("destination %s is not allowed", ap.Addr().Unmap())}
	}
	return nil
}

func mustPort(p string) uint16 {
	n, _ := strconv.ParseUint(p, 10, 16)
	return uint16(n)
}

// Client returns an HTTP client that dials through the guard, follows at most MaxRedirects
// redirects on the same host, and applies the timeouts. Use Do (or wrap the body with
// LimitBody) to cap response sizes and get safe errors.
func (g *Guard) Client() *http.Client {
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would dial on our behalf, around the guard
		DialContext:            g.DialContext,
		TLSHandshakeTimeout:    g.cfg.TLSTimeout,
		ResponseHeaderTimeout:  g.cfg.HeaderTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &http.Client{
		Transport: tr,
		Timeout:   g.cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > g.cfg.MaxRedirects {
				return &Error{Kind: KindRedirect, Detail: "too many redirects"}
			}
			if req.URL.Host != via[0].URL.Host {
				return &Error{Kind: KindRedirect, Detail: fmt.Sprintf("redirect from %s to another host %s refused", via[0].URL.Hostname(), req.URL.Hostname())}
			}
			if req.URL.Scheme != via[0].URL.Scheme && req.URL.Scheme != "https" {
				return &Error{Kind: KindRedirect, Detail: "redirect from https to http refused"}
			}
			return nil
		},
	}
}
