package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// quick is a short run against e: c=4 for 200ms after 50ms of warmup.
func quick(e *testenv.Env, scenarios ...string) Config {
	return Config{
		URL: e.URL, Token: e.OwnerKey, Scenarios: scenarios, Concurrency: []int{4},
		Duration: 200 * time.Millisecond, Warmup: 50 * time.Millisecond, Seed: 100,
	}
}

// TestEveryScenario runs each scenario, native and compat, against a real Switchboard with
// the floor beside it: every request must succeed, on both.
func TestEveryScenario(t *testing.T) {
	e := testenv.New(t, "sqlite")
	cfg := quick(e, Scenarios()...)
	cfg.Floor = true
	var progress bytes.Buffer
	cfg.Progress = &progress
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	if len(rep.Results) != len(scenarios) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(scenarios))
	}
	if rep.Seeded != 100 {
		t.Errorf("seeded %d connections, want 100", rep.Seeded)
	}
	for i, r := range rep.Results {
		s := scenarios[i]
		if r.Scenario != s.name || r.Status != s.want || r.ResponseBytes == 0 {
			t.Errorf("%s: first answer %d of %d bytes, want %d with a body", s.name, r.Status, r.ResponseBytes, s.want)
		}
		if r.Server.Requests == 0 || r.Server.ErrorCount != 0 {
			t.Errorf("%s: %d requests, errors %v (%s)", s.name, r.Server.Requests, r.Server.Errors, r.Server.TransportEx)
		}
		if r.Floor == nil || r.Floor.Requests == 0 || r.Floor.ErrorCount != 0 || r.Ratio <= 0 {
			t.Errorf("%s: floor %+v, ratio %v", s.name, r.Floor, r.Ratio)
		}
		if st := r.Server; !(0 < st.P50 && st.P50 <= st.P90 && st.P90 <= st.P99 && st.P99 <= st.Max) {
			t.Errorf("%s: latencies p50 %v p90 %v p99 %v max %v out of order", s.name, st.P50, st.P90, st.P99, st.Max)
		}
	}
	// The creates are real: the compat families' connections are there natively.
	for connector, scenario := range map[string]string{"slash": "slash", "hubspot": "unified", connectorID(t, e, versoriConnector): "versori"} {
		got := countConnections(t, e, connector)
		for _, r := range rep.Results {
			if r.Scenario == scenario && got < r.Server.Requests {
				t.Errorf("%s: %d %s connections stored after %d created", scenario, got, connector, r.Server.Requests)
			}
		}
	}
}

// connectorID is the id of the default workspace's connector key.
func connectorID(t *testing.T, e *testenv.Env, key string) string {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/default/connectors?page_size=1000", e.OwnerKey, nil)
	var page struct {
		Items []struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"items"`
	}
	r.JSON(t, &page)
	for _, c := range page.Items {
		if c.Key == key {
			return c.ID
		}
	}
	t.Fatalf("no connector %s: %s", key, r.Body)
	return ""
}

// countConnections counts the default workspace's connections of connector.
func countConnections(t *testing.T, e *testenv.Env, connector string) int {
	t.Helper()
	n, token := 0, ""
	for {
		path := "/v1/workspaces/default/connections?page_size=1000&connector_id=" + connector
		if token != "" {
			path += "&page_token=" + token
		}
		r := e.Do(t, "GET", path, e.OwnerKey, nil)
		var page struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next_page_token"`
		}
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &page)
		n += len(page.Items)
		if token = page.Next; token == "" {
			return n
		}
	}
}

// TestFloorAnswersLikeServer checks that the floor answers each route with the status and the
// body size the server gave, so the two runs move the same bytes.
func TestFloorAnswersLikeServer(t *testing.T) {
	e := testenv.New(t, "sqlite")
	cfg := quick(e, Scenarios()...)
	cfg.Workspace = "default"
	b, err := newBench(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scs := scenarios
	if err := b.prepare(t.Context(), scs); err != nil {
		t.Fatal(err)
	}
	probes := make([]probe, len(scs))
	for i, s := range scs {
		if probes[i], err = b.probe(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		if probes[i].status != s.want {
			t.Fatalf("%s: server answered %d, want %d", s.name, probes[i].status, s.want)
		}
	}
	fl, err := startFloor(scs, probes)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	b.base = fl.url // from here on, b.call sends to the floor
	for i, s := range scs {
		path, body := s.next(b, &worker{rng: newRand(), floor: true})
		status, raw, err := b.call(t.Context(), s.method, path, body, s.header)
		if err != nil {
			t.Fatal(err)
		}
		if status != probes[i].status || len(raw) != probes[i].size || !json.Valid(raw) {
			t.Errorf("%s: floor answered %d with %d bytes (valid JSON %v), server %d with %d", s.name, status, len(raw), json.Valid(raw), probes[i].status, probes[i].size)
		}
	}
}

func TestFloorBody(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 9, 10, 11, 100, 65536} {
		b := floorBody(n)
		if len(b) != n || (n > 0 && !json.Valid(b)) {
			t.Errorf("floorBody(%d) = %q: %d bytes, valid JSON %v", n, b, len(b), json.Valid(b))
		}
	}
}

// TestErrorsCounted checks that failures are counted, by status and as transport errors,
// rather than stopping the run or passing for successes.
func TestErrorsCounted(t *testing.T) {
	e := testenv.New(t, "sqlite")
	cfg := quick(e, "create")
	cfg.Token = "sbk_not-a-key"
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := rep.Results[0].Server
	if rep.Results[0].Status != http.StatusUnauthorized || st.Requests == 0 || st.ErrorCount != st.Requests || st.Errors["401"] != st.Requests || len(st.Errors) != 1 {
		t.Errorf("wrong token: first answer %d, %d requests, errors %v", rep.Results[0].Status, st.Requests, st.Errors)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("401:%d", st.Requests); !strings.Contains(table.String(), want) {
		t.Errorf("table does not show %q:\n%s", want, table.String())
	}

	// Nothing listens on a port just closed: every request is a transport error. The probe
	// gets no answer at all, which stops the run before anything is measured.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.URL = "http://" + ln.Addr().String()
	ln.Close()
	if _, err := Run(t.Context(), cfg); err == nil {
		t.Error("run against a closed port: no error")
	}
	b, err := newBench(Config{URL: cfg.URL, Token: "x", Workspace: "default", Concurrency: []int{2}, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err = b.measure(t.Context(), b.base, scenarioByName("create"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests == 0 || st.Errors["transport"] != st.Requests || st.TransportEx == "" {
		t.Errorf("closed port: %d requests, errors %v, example %q", st.Requests, st.Errors, st.TransportEx)
	}
}

// TestJSONReport checks the machine description and the figures of a run in the JSON output.
func TestJSONReport(t *testing.T) {
	e := testenv.New(t, "sqlite")
	cfg := quick(e, "get")
	cfg.Seed = 3
	cfg.Floor = true
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Machine map[string]any `json:"machine"`
		Seeded  int            `json:"seeded_connections"`
		Results []struct {
			Scenario    string             `json:"scenario"`
			Concurrency int                `json:"concurrency"`
			Server      map[string]float64 `json:"server"`
			Floor       map[string]float64 `json:"floor"`
			Ratio       float64            `json:"ratio"`
		} `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	for _, k := range []string{"goos", "goarch", "go_version", "num_cpu", "gomaxprocs"} {
		if got.Machine[k] == nil || got.Machine[k] == "" || got.Machine[k] == 0.0 {
			t.Errorf("machine.%s missing: %v", k, got.Machine)
		}
	}
	if got.Seeded != 3 || len(got.Results) != 1 {
		t.Fatalf("seeded %d, %d results:\n%s", got.Seeded, len(got.Results), buf.String())
	}
	r := got.Results[0]
	if r.Scenario != "get" || r.Concurrency != 4 || r.Ratio <= 0 {
		t.Errorf("result %+v", r)
	}
	for _, k := range []string{"requests", "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms"} {
		if r.Server[k] <= 0 || r.Floor[k] <= 0 {
			t.Errorf("%s: server %v, floor %v", k, r.Server[k], r.Floor[k])
		}
	}
}

func TestValidate(t *testing.T) {
	good := Config{URL: "http://127.0.0.1:1", Token: "t", Scenarios: []string{"get"}, Concurrency: []int{1}, Duration: time.Second, Seed: 1}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, change := range map[string]func(*Config){
		"no url":           func(c *Config) { c.URL = "" },
		"not http":         func(c *Config) { c.URL = "ftp://x" },
		"no token":         func(c *Config) { c.Token = "" },
		"unknown scenario": func(c *Config) { c.Scenarios = []string{"nope"} },
		"concurrency 0":    func(c *Config) { c.Concurrency = []int{0} },
		"no duration":      func(c *Config) { c.Duration = 0 },
		"negative warmup":  func(c *Config) { c.Warmup = -time.Second },
		"seed 0":           func(c *Config) { c.Seed = 0 },
	} {
		c := good
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
