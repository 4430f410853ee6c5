package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchSeed seeds a fresh database with the server stopped, then starts serve on it: the
// connections are there, and the owner key was shown once, by seed.
func TestBenchSeed(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			r := mustRun(t, nil, append([]string{"bench", "seed", "--count", "200", "--progress", "50ms"}, b.flags()...)...)
			m := ownerKeyLine.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("seed on an empty database printed no owner key\nstderr:\n%s", redact(r.stderr))
			}
			key := m[1]
			if !strings.Contains(r.stdout, "seeded 200 kafka connections") || strings.Contains(r.stdout, "sbk_") {
				t.Errorf("stdout: %s", redact(r.stdout))
			}
			p := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
			if strings.Contains(p.stderr.String(), "Owner API key") {
				t.Errorf("serve after seed printed a second owner key")
			}
			var page struct {
				Items []struct {
					ConnectorID string `json:"connector_id"`
				} `json:"items"`
				Next string `json:"next_page_token"`
			}
			resp := p.do("GET", "/v1/workspaces/default/connections?page_size=1000", key, nil).expect(t, http.StatusOK, "list")
			if err := json.Unmarshal(resp.body, &page); err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 200 || page.Next != "" {
				t.Errorf("listed %d connections (next page %q), want 200", len(page.Items), page.Next)
			}
			p.stop()
		})
	}
}

// TestBenchRun measures a served process from the CLI, with the floor, and writes JSON; the
// token comes from the environment and appears in no output.
func TestBenchRun(t *testing.T) {
	b := newBackend(t, "sqlite")
	p := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
	key := parseBootstrap(t, p.stderr.String()).key
	out := filepath.Join(t.TempDir(), "bench.json")
	r := mustRun(t, []string{"SWITCHBOARD_TOKEN=" + key, "SWITCHBOARD_URL=" + p.base},
		"bench", "run", "--scenarios", "create,get", "--concurrency", "2", "--duration", "300ms", "--warmup", "0s",
		"--seed", "5", "--floor", "--json", out)
	for _, want := range []string{"floor req/s", "ratio", "create", "get"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, key) {
		t.Error("the token appears in bench run's output")
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Scenario string `json:"scenario"`
			Server   struct {
				Requests   int `json:"requests"`
				ErrorCount int `json:"error_count"`
			} `json:"server"`
			Floor *struct {
				Requests int `json:"requests"`
			} `json:"floor"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, raw)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("%d results, want 2:\n%s", len(rep.Results), raw)
	}
	for _, res := range rep.Results {
		if res.Server.Requests == 0 || res.Server.ErrorCount != 0 || res.Floor == nil || res.Floor.Requests == 0 {
			t.Errorf("%s: %s", res.Scenario, raw)
		}
	}
	p.stop()
}

// TestBenchUsageErrors: a mistyped bench command line exits 2 before sending anything.
func TestBenchUsageErrors(t *testing.T) {
	t.Setenv("SWITCHBOARD_TOKEN", "")
	// Nothing listens at this URL: a command line that got past parsing would fail with 1.
	url := "http://" + freePort(t)
	for _, args := range [][]string{
		{"bench", "run", "--token", "x", "--url", url, "--concurrency", "x"},
		{"bench", "run", "--token", "x", "--url", url, "--concurrency", "32,0"},
		{"bench", "run", "--token", "x", "--url", url, "--concurrency", ""},
		{"bench", "run", "--token", "x", "--url", url, "--scenarios", "create,nope"},
		{"bench", "run", "--token", "x", "--url", url, "--duration", "soon"},
		{"bench", "run", "--token", "x", "--url", url, "--duration", "0s"},
		{"bench", "run", "--url", url}, // no token
		{"bench", "seed", "--count", "0", "--data-dir", t.TempDir()},
		{"bench", "seed", "--count", "5", "--connector", "github", "--data-dir", t.TempDir()},
	} {
		if got := Run(t.Context(), args, io.Discard, io.Discard); got != 2 {
			t.Errorf("switchboard %v: exit %d, want 2", args, got)
		}
	}
	if got := Run(t.Context(), []string{"bench", "run", "--token", "x", "--url", url, "--scenarios", "create", "--duration", "50ms"}, io.Discard, io.Discard); got != 1 {
		t.Errorf("bench run against nothing: exit %d, want 1", got)
	}
}
