// Package client is a Go client for Switchboard's native REST API (/v1): workspaces,
// connectors, connections and their credentials, usages, webhook endpoints, API keys and the
// audit trail.
//
// Create a client with the server's base URL and an API key (or a JWT) and call it with a
// context:
//
//	c, err := client.New("http://127.0.0.1:8080", os.Getenv("SWITCHBOARD_TOKEN"))
//	conn, err := c.GetConnection(ctx, "default", "conn_...")
//
// Any answer of the API other than a success is returned as a *Error carrying the HTTP
// status, the API's stable code ("4040"), its message, the fields at fault and the request id;
// use errors.As (or errors.AsType) to read it. A failure to reach the server is returned as
// the net/http error it is. Neither ever holds the token or a secret value: the API never
// puts one in an error body, and the client never puts a request or response body in an
// error.
//
// Lists are paged: ListConnections and its siblings return one Page with the token of the
// next, and AllConnections and its siblings iterate over every item of every page.
//
// The types mirror the API's JSON (snake_case, RFC 3339 times) field for field, so a value
// marshaled back to JSON is the object the API sent.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxResponse bounds a response body read into memory (a list page of 1000 connections is
// a few megabytes).
const maxResponse = 64 << 20

// Client calls one Switchboard server. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	userAgent string
	language  string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends the requests through hc instead of http.DefaultClient (for timeouts,
// proxies or a custom transport).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithAcceptLanguage asks for error messages in a language (an Accept-Language value such
// as "ja" or "zh-TW"); English by default.
func WithAcceptLanguage(lang string) Option { return func(c *Client) { c.language = lang } }

// New returns a client of the server at baseURL (scheme and host, optionally a path prefix
// the server is mounted under) that authenticates with token as a bearer credential. An
// empty token sends no Authorization header.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("switchboard: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("switchboard: base URL %q: scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("switchboard: base URL %q has no host", baseURL)
	}
	c := &Client{base: u, token: token, http: http.DefaultClient, userAgent: "switchboard-go-client"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the server's base URL the client was made with.
func (c *Client) BaseURL() string { return c.base.String() }

// ListOptions pages a list: PageSize items at most (the server's default when 0, at most
// 1000) after the page PageToken names ("" for the first page).
type ListOptions struct {
	PageSize  int
	PageToken string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	if o.PageToken != "" {
		q.Set("page_token", o.PageToken)
	}
	return q
}

// Page is one page of a list and the token of the next page ("" on the last one).
type Page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// all iterates over every item of every page fetch returns, starting at opts.PageToken. It
// stops at the first error, which it yields with a zero T.
func all[T any](ctx context.Context, opts ListOptions, fetch func(context.Context, ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			p, err := fetch(ctx, opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if p.NextPageToken == "" {
				return
			}
			opts.PageToken = p.NextPageToken
		}
	}
}

// request is one API call.
type request struct {
	method  string
	path    []string // segments after the base URL, escaped one by one
	query   url.Values
	body    any // marshaled as JSON when not nil
	ctype   string
	headers http.Header
}

// do sends r and decodes a successful JSON answer into out (when not nil). It returns the
// response (body consumed) so callers can read headers such as ETag.
func (c *Client) do(ctx context.Context, r request, out any) (*http.Response, error) {
	u := *c.base
	segs := make([]string, len(r.path))
	for i, s := range r.path {
		segs[i] = url.PathEscape(s)
	}
	u.Path = c.base.Path + "/" + strings.Join(r.path, "/")
	u.RawPath = c.base.EscapedPath() + "/" + strings.Join(segs, "/")
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("switchboard: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("switchboard: %w", err)
	}
	for k, v := range r.headers {
		req.Header[k] = v
	}
	if r.body != nil {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.language != "" {
		req.Header.Set("Accept-Language", c.language)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err // *url.Error: method and URL, never a header or a body
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return resp, fmt.Errorf("switchboard: %s %s: read response: %w", r.method, u.Path, err)
	}
	if resp.StatusCode >= 300 {
		return resp, decodeError(resp, data)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			// The error of encoding/json names types and offsets, not the values: a
			// credentials answer that fails to decode does not leak its secrets here.
			var se *json.SyntaxError
			if errors.As(err, &se) {
				err = fmt.Errorf("invalid JSON at offset %d", se.Offset)
			}
			return resp, fmt.Errorf("switchboard: %s %s: decode response: %w", r.method, u.Path, err)
		}
	}
	return resp, nil
}

func ifMatch(rev int64) http.Header {
	if rev <= 0 {
		return nil
	}
	return http.Header{"If-Match": {`"` + strconv.FormatInt(rev, 10) + `"`}}
}
