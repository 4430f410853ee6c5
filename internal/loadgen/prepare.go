package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// auth0MaxRate is the rate (req/s) the auth0 scenario's supply of fresh (organization,
// connection) pairs is sized for; beyond it pairs repeat and are answered 409.
const auth0MaxRate = 5000

// setupWorkers is how many requests setup (seeding, organizations) sends at once.
const setupWorkers = 16

// bench is the state of a Run shared by its scenarios.
type bench struct {
	cfg    Config
	base   string // the server's URL without a trailing slash
	wsEsc  string // the workspace, escaped for a path
	wsPath string // /v1/workspaces/{ws}
	client *http.Client
	runID  string // makes this run's names unique on a server that keeps earlier runs' data

	seq      atomic.Int64 // unique names
	ids      []string     // seeded connections
	tenant   string       // the workspace's tenant (SecMaster's project_id)
	orgs     []string     // auth0 organizations
	auth0Seq atomic.Int64 // next (organization, connection) pair
}

func newBench(c Config) (*bench, error) {
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	return &bench{
		cfg:    c,
		base:   strings.TrimRight(c.URL, "/"),
		wsEsc:  url.PathEscape(c.Workspace),
		wsPath: "/v1/workspaces/" + url.PathEscape(c.Workspace),
		client: newClient(slices.Max(c.Concurrency)),
		runID:  hex.EncodeToString(rnd[:]),
	}, nil
}

func (b *bench) progress(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, format+"\n", args...)
	}
}

// call sends one setup request with the scenario-independent bearer headers and returns the
// status and body.
func (b *bench) call(ctx context.Context, method, path string, body []byte, header func(http.Header, string, string)) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if header == nil {
		header = bearer
	}
	header(req.Header, b.cfg.Token, b.cfg.Workspace)
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// unexpected is the error of a setup request answered otherwise than wanted. Setup answers
// are error bodies or objects with masked secrets, never clear secrets.
func unexpected(what string, status int, body []byte) error {
	const max = 300
	if len(body) > max {
		body = append(body[:max:max], "..."...)
	}
	return fmt.Errorf("%s: status %d: %s", what, status, bytes.TrimSpace(body))
}

// prepare does what the scenarios need before any run: seeded connections, the workspace's
// tenant, the Versori connector, the Auth0 organizations.
func (b *bench) prepare(ctx context.Context, scs []*scenario) error {
	need := func(f func(*scenario) bool) bool { return slices.ContainsFunc(scs, f) }
	seed := 0
	if need(func(s *scenario) bool { return s.needsIDs }) {
		seed = b.cfg.Seed
	}
	if need(func(s *scenario) bool { return s.needsList }) {
		seed = max(seed, 100)
	}
	if seed > 0 {
		if err := b.seed(ctx, seed); err != nil {
			return err
		}
	}
	if need(func(s *scenario) bool { return s.name == "secmaster" }) {
		status, body, err := b.call(ctx, "GET", b.wsPath, nil, nil)
		if err != nil {
			return err
		}
		var ws struct {
			TenantID string `json:"tenant_id"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &ws) != nil || ws.TenantID == "" {
			return unexpected("get workspace "+b.cfg.Workspace, status, body)
		}
		b.tenant = url.PathEscape(ws.TenantID)
	}
	if need(func(s *scenario) bool { return s.name == "versori" }) {
		body := []byte(`{"key":"` + versoriConnector + `","name":"Bench API","version":"1","schema":{"type":"object"}}`)
		status, raw, err := b.call(ctx, "POST", b.wsPath+"/connectors", body, nil)
		if err != nil {
			return err
		}
		if status != http.StatusCreated && status != http.StatusConflict { // 409: an earlier run made it
			return unexpected("create connector "+versoriConnector, status, raw)
		}
	}
	if need(func(s *scenario) bool { return s.name == "auth0" }) {
		if err := b.auth0Orgs(ctx); err != nil {
			return err
		}
	}
	return nil
}

// seed makes b.ids n kafka connections of the workspace: existing ones first (listed), the
// rest created through the API.
func (b *bench) seed(ctx context.Context, n int) error {
	token := ""
	for len(b.ids) < n {
		path := b.wsPath + "/connections?connector_id=kafka&page_size=1000"
		if token != "" {
			path += "&page_token=" + url.QueryEscape(token)
		}
		status, body, err := b.call(ctx, "GET", path, nil, nil)
		if err != nil {
			return err
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next string `json:"next_page_token"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &page) != nil {
			return unexpected("list connections", status, body)
		}
		for _, it := range page.Items {
			if len(b.ids) < n {
				b.ids = append(b.ids, it.ID)
			}
		}
		if token = page.Next; token == "" {
			break
		}
	}
	reused := len(b.ids)
	if reused == n {
		b.progress("seed: reusing %d existing kafka connections", n)
		return nil
	}
	b.progress("seed: reusing %d existing kafka connections, creating %d", reused, n-reused)
	ids, err := b.parallel(ctx, n-reused, func(ctx context.Context, i int) (string, error) {
		body := fmt.Appendf(nil, "%sseed-%s-%d%s", nativePrefix, b.runID, i, nativeSuffix)
		status, raw, err := b.call(ctx, "POST", b.wsPath+"/connections", body, nil)
		if err != nil {
			return "", err
		}
		var c struct {
			ID string `json:"id"`
		}
		if status != http.StatusCreated || json.Unmarshal(raw, &c) != nil {
			return "", unexpected("seed connection", status, raw)
		}
		return c.ID, nil
	})
	b.ids = append(b.ids, ids...)
	return err
}

// auth0Orgs creates enough organizations that every auth0 request of the run, at up to
// auth0MaxRate, enables a pair (organization, seeded connection) not enabled before.
func (b *bench) auth0Orgs(ctx context.Context) error {
	perRun := auth0MaxRate * (b.cfg.Duration + b.cfg.Warmup).Seconds()
	pairs := int(perRun)*len(b.cfg.Concurrency) + 1 // +1: the probe
	n := (pairs + len(b.ids) - 1) / len(b.ids)
	b.progress("auth0: creating %d organizations (%d pairs of organization and connection)", n, n*len(b.ids))
	orgs, err := b.parallel(ctx, n, func(ctx context.Context, i int) (string, error) {
		body := fmt.Appendf(nil, `{"name":"bench-%s-%d","display_name":"Bench %d"}`, b.runID, i, i)
		status, raw, err := b.call(ctx, "POST", "/api/v2/organizations", body, func(h http.Header, token, ws string) {
			bearer(h, token, ws)
			h.Set("X-Workspace-Id", ws)
		})
		if err != nil {
			return "", err
		}
		var org struct {
			ID string `json:"id"`
		}
		if status != http.StatusCreated || json.Unmarshal(raw, &org) != nil || org.ID == "" {
			return "", unexpected("create organization", status, raw)
		}
		return url.PathEscape(org.ID), nil
	})
	b.orgs = orgs
	return err
}

// parallel runs f for 0..n-1 on setupWorkers goroutines and returns the results in no
// particular order; it stops at the first error.
func (b *bench) parallel(ctx context.Context, n int, f func(context.Context, int) (string, error)) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		out      = make([]string, 0, n)
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(setupWorkers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				s, err := f(ctx, i)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					cancel()
				} else {
					out = append(out, s)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return out, firstErr
}

// probe is what the server answered to one request of a scenario.
type probe struct {
	status int
	size   int
}

// probe sends one unmeasured request of s and keeps the answer's status and size, which the
// floor reproduces. An answer other than the success status is reported, not fatal: the runs
// then count it under errors.
func (b *bench) probe(ctx context.Context, s *scenario) (probe, error) {
	w := &worker{rng: newRand()}
	path, body := s.next(b, w)
	status, raw, err := b.call(ctx, s.method, path, body, s.header)
	if err != nil {
		return probe{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if status != s.want {
		b.progress("warning: %v", unexpected(fmt.Sprintf("%s: first request (want %d)", s.name, s.want), status, raw))
	}
	return probe{status: status, size: len(raw)}, nil
}
