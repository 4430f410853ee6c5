package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

const (
	// jwksTimeout bounds one fetch of the key set, and the time a request with an unknown kid
	// may wait for the refresh it triggers.
	jwksTimeout = 10 * time.Second
	// jwksRefresh is how often the key set is fetched in the background.
	jwksRefresh = 15 * time.Minute
	// jwksUnknownKID is the least time between two fetches caused by tokens with a kid not in
	// the set (a key rotation; or an attacker, who must not turn us into a load generator).
	jwksUnknownKID = 5 * time.Minute
	// maxJWKSBytes caps a key set response; real ones are a few KiB.
	maxJWKSBytes = 1 << 20
)

// newJWKS returns a keyfunc over the key set at rawURL, refreshed until ctx is done.
func newJWKS(ctx context.Context, rawURL string, client *http.Client) (keyfunc.Keyfunc, error) {
	if err := checkJWKSURL(rawURL); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: jwksTimeout}
	}
	limited := *client
	limited.Transport = limitTransport{base: client.Transport, max: maxJWKSBytes}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{rawURL}, keyfunc.Override{
		Client:            &limited,
		HTTPTimeout:       jwksTimeout,
		RefreshInterval:   jwksRefresh,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(jwksUnknownKID), 1),
		RateLimitWaitMax:  jwksTimeout,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				slog.Default().WarnContext(ctx, "auth: JWKS refresh failed", "url", u, "error", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	return kf, nil
}

// checkJWKSURL accepts https URLs, and http only on a loopback address (tests, a sidecar):
// keys fetched in clear from elsewhere could be swapped on the way.
func checkJWKSURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("auth: JWKS URL: %w", err)
	}
	switch {
	case u.Host == "":
		return errors.New("auth: JWKS URL has no host")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("auth: JWKS URL must be https (http only on loopback), got scheme %q", u.Scheme)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limitTransport caps response bodies, so a hostile or broken JWKS endpoint cannot make the
// decoder buffer without end.
type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// limitedBody fails, rather than truncates, once more than its limit has been read.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Exactly at the limit is fine; one byte more is not.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errors.New("auth: JWKS response over the size limit")
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
