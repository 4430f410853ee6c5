// Package loadgen drives a running Switchboard over loopback with keep-alive connections and
// measures it: requests per second, latency percentiles and errors by status, per scenario and
// concurrency. With Floor set it also starts a bare net/http server in the same process that
// answers the same routes with a fixed JSON body of the size and status the real server gave,
// and measures it back to back with the real one, so every figure can be read as a ratio to
// what this machine's loopback and HTTP stack allow, measured in the same run.
//
// The client is kept lean because it shares the CPUs with the server: bodies are pre-encoded,
// responses are discarded unread (never decoded), and each worker records its latencies in a
// slice of its own that is merged and sorted once the run is over.
//
// It is served by the CLI:
//
//	switchboard serve --data-dir /tmp/benchdata --health-interval 0 &
//	export SWITCHBOARD_TOKEN=sbk_...   # the owner key serve printed on first start
//	switchboard bench run --floor --scenarios create,credentials,get,list --concurrency 32,128 \
//	    --duration 10s --warmup 1s --seed 1000 --json bench.json
//	switchboard bench run --floor --scenarios slash,secmaster,versori,unified,auth0 --concurrency 32
//
// and, for scale runs, the store is filled beforehand with the server stopped:
//
//	switchboard bench seed --data-dir /tmp/benchdata --count 1000000
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config says what to measure.
type Config struct {
	URL       string // base URL of the running server, e.g. http://127.0.0.1:8080
	Token     string // an API key or JWT: editor (owner for auth0's organizations) with credentials:read
	Workspace string // workspace the scenarios act in ("default" when empty)

	Scenarios   []string      // names from Scenarios
	Concurrency []int         // workers per run; each scenario runs once per value
	Duration    time.Duration // measured time of each run
	Warmup      time.Duration // unmeasured time before it, on the same connections

	// Seed is how many connections the read scenarios (credentials, get, list, auth0) pick
	// among: existing kafka connections of the workspace are reused, missing ones created
	// through the API before any run. list needs at least 100 and seeds that many anyway.
	Seed int

	// Floor also measures a bare net/http server answering the same routes, right before
	// each real run, with the same client settings.
	Floor bool

	// Progress receives a line per setup step and finished run (nil: none).
	Progress io.Writer
}

// Report is the outcome of a Run.
type Report struct {
	Machine   Machine   `json:"machine"`
	URL       string    `json:"url"`
	Workspace string    `json:"workspace"`
	Started   time.Time `json:"started"`
	Duration  float64   `json:"duration_seconds"`
	Warmup    float64   `json:"warmup_seconds"`
	Seeded    int       `json:"seeded_connections"`
	Floor     bool      `json:"floor"`
	Results   []Result  `json:"results"`
}

// Result is one scenario at one concurrency.
type Result struct {
	Scenario    string `json:"scenario"`
	Route       string `json:"route"` // method and path pattern
	Concurrency int    `json:"concurrency"`
	// Status and ResponseBytes are what the server answered to a first, unmeasured request;
	// the floor answers with both.
	Status        int     `json:"status"`
	ResponseBytes int     `json:"response_bytes"`
	Server        Stats   `json:"server"`
	Floor         *Stats  `json:"floor,omitempty"`
	Ratio         float64 `json:"ratio,omitzero"` // Server.RPS / Floor.RPS
}

// Stats are the measurements of one run against one server.
type Stats struct {
	Requests int     `json:"requests"` // completed within the measured window
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	// Errors counts answers other than the scenario's success status, by status code, and
	// requests that got no answer under "transport".
	Errors      map[string]int `json:"errors,omitempty"`
	ErrorCount  int            `json:"error_count"`
	TransportEx string         `json:"transport_error_example,omitempty"`
}

// Validate checks c before anything is sent.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("no server URL")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server URL %q: want http://host:port", c.URL)
	}
	if c.Token == "" {
		return errors.New("no token: pass an API key (e.g. the owner key serve printed on first start)")
	}
	if len(c.Scenarios) == 0 {
		return errors.New("no scenario")
	}
	for _, s := range c.Scenarios {
		if scenarioByName(s) == nil {
			return fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(Scenarios(), ", "))
		}
	}
	if len(c.Concurrency) == 0 {
		return errors.New("no concurrency")
	}
	for _, n := range c.Concurrency {
		if n < 1 || n > 100000 {
			return fmt.Errorf("concurrency %d: want 1..100000", n)
		}
	}
	if c.Duration <= 0 {
		return errors.New("duration must be > 0")
	}
	if c.Warmup < 0 {
		return errors.New("warmup must be >= 0")
	}
	if c.Seed < 1 {
		return errors.New("seed must be >= 1")
	}
	return nil
}

// Run prepares the server (seeding, prerequisites), then measures each scenario at each
// concurrency, the floor first when c.Floor is set.
func Run(ctx context.Context, c Config) (*Report, error) {
	if c.Workspace == "" {
		c.Workspace = "default"
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b, err := newBench(c)
	if err != nil {
		return nil, err
	}
	defer b.client.CloseIdleConnections()
	rep := &Report{
		Machine: Describe(), URL: c.URL, Workspace: c.Workspace, Started: time.Now().UTC(),
		Duration: c.Duration.Seconds(), Warmup: c.Warmup.Seconds(), Floor: c.Floor,
	}
	scs := make([]*scenario, len(c.Scenarios))
	for i, name := range c.Scenarios {
		scs[i] = scenarioByName(name)
	}
	if err := b.prepare(ctx, scs); err != nil {
		return nil, err
	}
	rep.Seeded = len(b.ids)
	probes := make([]probe, len(scs))
	for i, s := range scs {
		if probes[i], err = b.probe(ctx, s); err != nil {
			return nil, err
		}
	}
	var fl *floorServer
	if c.Floor {
		if fl, err = startFloor(scs, probes); err != nil {
			return nil, err
		}
		defer fl.Close()
	}
	for i, s := range scs {
		for _, n := range c.Concurrency {
			res := Result{
				Scenario: s.name, Route: s.method + " " + s.pattern, Concurrency: n,
				Status: probes[i].status, ResponseBytes: probes[i].size,
			}
			if fl != nil {
				st, err := b.measure(ctx, fl.url, s, n)
				if err != nil {
					return nil, err
				}
				res.Floor = &st
			}
			if res.Server, err = b.measure(ctx, b.base, s, n); err != nil {
				return nil, err
			}
			if res.Floor != nil && res.Floor.RPS > 0 {
				res.Ratio = res.Server.RPS / res.Floor.RPS
			}
			rep.Results = append(rep.Results, res)
			b.progress("%s", res.line())
		}
	}
	return rep, nil
}

// line is a one-line summary of r for progress output.
func (r Result) line() string {
	s := fmt.Sprintf("%s c=%d: %.0f req/s p99 %.2fms errors %d", r.Scenario, r.Concurrency, r.Server.RPS, r.Server.P99, r.Server.ErrorCount)
	if r.Floor != nil {
		s += fmt.Sprintf(" | floor %.0f req/s p99 %.2fms ratio %.2f", r.Floor.RPS, r.Floor.P99, r.Ratio)
	}
	return s
}

// newClient is the client of every run, real or floor: keep-alive, enough idle connections
// for the largest concurrency, no limit on connections per host, no compression.
func newClient(maxConc int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        0, // no limit
			MaxIdleConnsPerHost: maxConc,
			MaxConnsPerHost:     0, // no limit
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
		// The routes measured never redirect; a redirect would be an error to see, not follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
