package server

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboardhq/switchboard"
)

// RateLimit is a token bucket: Rate requests per second sustained, Burst at once. A zero Rate
// turns the limit off.
type RateLimit struct {
	Rate  float64
	Burst int
}

func (l RateLimit) on() bool { return l.Rate > 0 }

// Default limits of `switchboard serve` (a Config left zero has none, for tests and embedders).
var (
	// DefaultFailedAuthLimit bounds refused credentials per client address: a brute force of
	// keys or tokens gets 429 after the burst, a client with a typo never notices.
	DefaultFailedAuthLimit = RateLimit{Rate: 10, Burst: 100}
	// DefaultPrincipalLimit is off: one process answers some 20k req/s per principal on two
	// cores (switchboard bench), so any default low enough to matter would refuse load a
	// single integration legitimately sends. Operators set --rate-limit for their traffic.
	DefaultPrincipalLimit = RateLimit{}
)

// maxLimiterKeys is how many clients (or principals) a limiter tracks before it forgets
// those whose buckets are full again; it bounds memory against a flood of addresses.
const maxLimiterKeys = 1 << 16

// limiter is a set of token buckets, one per key.
type limiter struct {
	limit RateLimit
	mu    sync.RWMutex
	m     map[string]*rate.Limiter
}

func newLimiter(l RateLimit) *limiter {
	if !l.on() {
		return nil
	}
	if l.Burst < 1 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return &limiter{limit: l, m: map[string]*rate.Limiter{}}
}

// bucket returns key's bucket, making it when needed. A key seen before (every request of a
// known principal) costs a read lock, so requests of different principals do not queue.
func (l *limiter) bucket(key string, now time.Time) *rate.Limiter {
	l.mu.RLock()
	b, ok := l.m[key]
	l.mu.RUnlock()
	if ok {
		return b
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok = l.m[key]
	if !ok {
		if len(l.m) >= maxLimiterKeys {
			l.sweep(now)
		}
		b = rate.NewLimiter(rate.Limit(l.limit.Rate), l.limit.Burst)
		l.m[key] = b
	}
	return b
}

// sweep forgets buckets that are full again (their clients have been quiet long enough that
// forgetting them changes nothing); if every bucket is in use it forgets them all rather than
// grow without bound.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if b.TokensAt(now) >= float64(l.limit.Burst) {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxLimiterKeys {
		clear(l.m)
	}
}

// allow takes one token of key's bucket. When none is left it reports false and how long
// until one is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := time.Now()
	b := l.bucket(key, now)
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// blocked reports whether key's bucket is empty, without taking a token, and how long until
// it is not. A key with no bucket (no failure yet: nearly every request) costs a read lock.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.RLock()
	b, ok := l.m[key]
	l.mu.RUnlock()
	if !ok {
		return false, 0
	}
	if t := b.TokensAt(now); t < 1 {
		return true, time.Duration((1 - t) / l.limit.Rate * float64(time.Second))
	}
	return false, 0
}

// clientAddr is the address failed authentications are counted against: the peer's IP (as
// httpx.RequestID recorded it from RemoteAddr), or, when the peer is one of the trusted
// proxies, the last address of X-Forwarded-For that is not (each proxy appends the address it
// got the request from, so the entries right of the first untrusted one were written by our
// proxies; anything left of it, the client may have made up). Without trusted proxies
// forwarding headers are ignored: behind a proxy every client then shares the proxy's bucket.
func (s *Server) clientAddr(r *http.Request) string {
	host := switchboard.RequestInfoFrom(r.Context()).IP
	if len(s.cfg.TrustedProxies) == 0 {
		return host
	}
	if a, err := netip.ParseAddr(host); err != nil || !s.trusted(a) {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a garbled chain: count it against the proxy, which passed it on
		}
		if !s.trusted(a) {
			return a.Unmap().String()
		}
	}
	return host
}

// trusted reports whether a is in one of the trusted proxies' prefixes.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// retryAfter sets Retry-After to wait in whole seconds, at least 1.
func retryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}

// writeRateLimited answers 429 with Retry-After (whole seconds, at least 1) in the route's
// error shape.
func writeRateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration, writeError func(http.ResponseWriter, *http.Request, error)) {
	retryAfter(w, wait)
	writeError(w, r, switchboard.Errorf(switchboard.CodeRateLimited, "rate_limited"))
}

// limitSignIn puts a sign-in form (the console's POST /console/login, which takes an API key
// or a JWT) under the failed-auth limit too: otherwise it would be a way around it for anyone
// guessing keys. A 401 from h counts as a failure; a blocked client gets 429 with Retry-After
// in plain text, the form's own page being of no use to a script.
func (s *Server) limitSignIn(h http.Handler) http.Handler {
	if s.failedAuth == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := s.clientAddr(r)
		if blocked, wait := s.failedAuth.blocked(addr); blocked {
			retryAfter(w, wait)
			http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusUnauthorized {
			s.failedAuth.allow(addr)
		}
	})
}
