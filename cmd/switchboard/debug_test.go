package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// --debug-addr serves Go's profiles on a listener of its own; the API never does.
func TestServeDebugAddr(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	debug := freePort(t)
	p := startServe(t, nil, append(b.flags(), "--health-interval", "0", "--debug-addr", debug)...)
	boot := parseBootstrap(t, p.stderr.String())
	resp, err := client.Get("http://" + debug + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "serve") {
		t.Fatalf("debug listener: %d %q", resp.StatusCode, body)
	}
	if r := p.do("GET", "/debug/pprof/cmdline", boot.key, nil); r.status == http.StatusOK {
		t.Fatalf("the API port serves pprof: %d", r.status)
	}
	p.stop()
}

// --log-level warn drops the access log line of every request; info (the default) keeps it.
func TestServeLogLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level       string
		wantRequest bool
	}{{"info", true}, {"warn", false}} {
		t.Run(tc.level, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, "sqlite")
			// Bootstrap at info level (the listening line tells the test where serve is).
			p := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
			boot := parseBootstrap(t, p.stderr.String())
			p.stop()
			env := []string{"SWITCHBOARD_LOG_LEVEL=" + tc.level}
			addr := freePort(t)
			p = start(t, "", env, append([]string{"serve", "--addr", addr, "--health-interval", "0"}, b.flags()...)...)
			p.addr, p.base = addr, "http://"+addr
			deadline := time.Now().Add(30 * time.Second)
			for {
				resp, err := client.Get(p.base + "/healthz")
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("serve did not answer: %v\n%s", err, redact(p.stderr.String()))
				}
				time.Sleep(20 * time.Millisecond)
			}
			p.do("GET", "/v1/workspaces/default/connections", boot.key, nil).expect(t, http.StatusOK, "list")
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(10 * time.Second); code != 0 {
				t.Fatalf("exit %d after SIGTERM", code)
			}
			if got := strings.Contains(p.stderr.String(), "msg=request"); got != tc.wantRequest {
				t.Errorf("level %s: access log line present = %v, want %v\n%s", tc.level, got, tc.wantRequest, redact(p.stderr.String()))
			}
		})
	}
}

// serve's default buffered read audit writes every credential read's event by the time a
// SIGTERM'd serve has exited.
func TestServeReadAuditSurvivesShutdown(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	p := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
	boot := parseBootstrap(t, p.stderr.String())
	id := p.createConnection(boot.key, "default", "audited", randomSecret(t))
	const reads = 25
	for range reads {
		p.do("GET", "/v1/workspaces/default/connections/"+id+"/credentials", boot.key, nil).expect(t, http.StatusOK, "credentials")
	}
	p.stop()
	p = startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
	r := p.do("GET", "/v1/workspaces/default/audit?action=connection.credentials.read&object_id="+id+"&page_size=100", boot.key, nil).
		expect(t, http.StatusOK, "audit")
	items, _ := r.m(t)["items"].([]any)
	if len(items) != reads {
		t.Fatalf("%d credential-read events after a restart, want %d", len(items), reads)
	}
	p.stop()
}

// /metrics shows the group commit counters on both drivers: writes never fewer than batches.
func TestServeWriteMetrics(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, d)
			p := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
			boot := parseBootstrap(t, p.stderr.String())
			p.createConnection(boot.key, "default", "counted", randomSecret(t))
			body := string(p.do("GET", "/metrics", boot.key, nil).expect(t, http.StatusOK, "metrics").body)
			var batches, writes float64
			for _, line := range strings.Split(body, "\n") {
				if v, ok := strings.CutPrefix(line, "switchboard_store_write_batches_total "); ok {
					batches, _ = strconv.ParseFloat(v, 64)
				}
				if v, ok := strings.CutPrefix(line, "switchboard_store_writes_total "); ok {
					writes, _ = strconv.ParseFloat(v, 64)
				}
			}
			if batches < 1 || writes < batches {
				t.Fatalf("batches %v, writes %v: want 1 <= batches <= writes\n%s", batches, writes, body)
			}
			p.stop()
		})
	}
}

// A second serve on the same SQLite database refuses to start (before listening) and names
// the first; once the first has stopped, a new one starts.
func TestServeOnePerSQLiteDatabase(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	first := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
	addr := freePort(t)
	r := run(t, nil, append([]string{"serve", "--addr", addr, "--health-interval", "0"}, b.flags()...)...)
	if r.code == 0 || !strings.Contains(r.stderr, "another switchboard serve is using") {
		t.Fatalf("second serve: exit %d\n%s", r.code, redact(r.stderr))
	}
	if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("the refused serve listened")
	}
	first.stop()
	again := startServe(t, nil, append(b.flags(), "--health-interval", "0")...)
	again.stop()
}
