package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// LimitBody wraps a response body so that reading past max bytes fails with a KindTooLarge
// *Error instead of returning more data.
func LimitBody(rc io.ReadCloser, max int64) io.ReadCloser {
	return &limitedBody{rc: rc, left: max}
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &Error{Kind: KindTooLarge, Detail: "response body too large"}
	}
	// Read one byte more than allowed to tell "exactly max" from "more than max".
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), &Error{Kind: KindTooLarge, Detail: "response body too large"}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Response is a completed request: its status, headers and body (at most MaxBodyBytes).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends req with a client of g and reads the whole response within the size cap. Its
// errors are *Error, with text that names the host only.
func (g *Guard) Do(client *http.Client, req *http.Request) (*Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, safeError(req.Context(), req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(LimitBody(resp.Body, g.cfg.MaxBodyBytes))
	if err != nil {
		return nil, safeError(req.Context(), req.URL, err)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// safeError turns a client error into an *Error whose text names at most the host of u: a
// *url.Error would print the whole URL, query secrets and userinfo included.
func safeError(ctx context.Context, u *url.URL, err error) error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	host := u.Hostname()
	if Classify(err) == KindTimeout || ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Detail: fmt.Sprintf("request to %s timed out", host)}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindNetwork, Detail: fmt.Sprintf("request to %s canceled", host)}
	}
	return &Error{Kind: KindNetwork, Detail: fmt.Sprintf("request to %s failed", host)}
}

// Redact returns u as text without userinfo, query or fragment, for logs and errors.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}
