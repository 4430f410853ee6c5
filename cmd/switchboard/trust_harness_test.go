package main

// The subprocess harness the crash, outage and disk-full tests share: they run the real binary
// (built once by TestMain), kill it or take its database away, and judge only what a client
// sees over HTTP and what is on disk afterwards. Each test logs its results as
// "FIGURE name=value" lines, collected into SECURITY.md.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// soak reports whether the long forms run (SWITCHBOARD_SOAK=1).
func soak() bool { return os.Getenv("SWITCHBOARD_SOAK") == "1" }

// subprocessOnly skips a trust test in the -race run: the binary under test is then built with
// the race detector, which makes every cycle several times slower, and what these tests judge
// (acknowledged writes, status codes, the file on disk) does not change with it. The plain
// `go test ./...` run of CI runs them.
func subprocessOnly(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("subprocess trust tests run in the non-race test run (the binary would be race-built)")
	}
}

// figure logs a measured value in the form the lead collects.
func figure(t *testing.T, name string, value any) {
	t.Helper()
	t.Logf("FIGURE %s=%v", name, value)
}

// quiet are serve flags that turn off the background work (health checks, which would also
// dial the connections' example hosts; token refresh; webhook delivery): the revisions a test
// reads then change only by its own writes.
var quiet = []string{"--health-interval", "0", "--refresh-interval", "0", "--webhook-workers", "0"}

// serveQuiet starts serve on b without background work.
func serveQuiet(t *testing.T, b *backend, extra ...string) *proc {
	t.Helper()
	return startServe(t, nil, append(append(b.flags(), quiet...), extra...)...)
}

var debugAddr = regexp.MustCompile(`msg="debug listener \(pprof\)" addr=(\S+)`)

// goroutines returns how many goroutines a serve started with --debug-addr runs, from its
// pprof listener.
func (p *proc) goroutines() int {
	p.t.Helper()
	m := debugAddr.FindStringSubmatch(p.stderr.String())
	if m == nil {
		p.t.Fatal("serve was not started with --debug-addr")
	}
	r := doURL(p.t, "GET", "http://"+m[1]+"/debug/pprof/goroutine?debug=1", "", nil).expect(p.t, http.StatusOK, "goroutine profile")
	first, _, _ := strings.Cut(string(r.body), "\n")
	n, err := strconv.Atoi(strings.TrimPrefix(first, "goroutine profile: total "))
	if err != nil {
		p.t.Fatalf("goroutine profile: %q", first)
	}
	return n
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("switchboard pid %d did not exit after SIGKILL", p.cmd.Process.Pid)
	}
}

// reply is an HTTP exchange that may have failed: err is set when no response came back.
type reply struct {
	status  int
	header  http.Header
	body    []byte
	err     error
	elapsed time.Duration
}

// code is the API error code of the body ("" when none).
func (r reply) code() string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Code
}

func (r reply) json() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(r.body, &v)
	return v
}

// describe says what came back, without secrets: statuses and codes only.
func (r reply) describe() string {
	if r.err != nil {
		return "error " + r.err.Error()
	}
	return fmt.Sprintf("%d code=%q after %v", r.status, r.code(), r.elapsed.Round(time.Millisecond))
}

// httpClient is a keep-alive client for one server process, giving up after timeout.
func httpClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
	}
}

// send sends a JSON request and returns whatever happened, never failing the test: the tests
// decide what an error means at that moment (expected while the server is being killed).
func send(ctx context.Context, c *http.Client, method, url, token string, body any) reply {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return reply{err: err}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return reply{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err, elapsed: time.Since(start)}
}

// integrityCheck opens the SQLite file read-only (its server must be dead) and returns what
// PRAGMA integrity_check says ("ok" when intact).
func integrityCheck(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatalf("open %s read-only: %v", path, err)
	}
	defer db.Close()
	rows, err := db.Query(`PRAGMA integrity_check`)
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "error: " + err.Error()
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		return "error: " + err.Error()
	}
	return strings.Join(lines, "; ")
}

// percentile returns the p-th percentile (0..100) of ds (0 when empty).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// pgCluster is a PostgreSQL server of the test's own, made with initdb in a temporary
// directory, listening on a free loopback port: the outage test stops and starts it.
type pgCluster struct {
	t      *testing.T
	bin    string // directory of initdb, pg_ctl
	dir    string // holds data/, the socket and the log
	port   int
	asUser []string // prefix that runs a command as the cluster's owner
}

// newPGCluster creates and starts a cluster, stopped and removed when the test ends. It
// skips when no PostgreSQL server binaries are installed (fails in CI). initdb refuses to run
// as root, so as root the cluster belongs to the "postgres" system user (runuser).
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		const how = "the outage test needs the PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
		if os.Getenv("CI") == "true" {
			t.Fatal(how)
		}
		t.Skip(how)
	}
	// Not t.TempDir: its parents are private to the test's user, and the cluster may belong
	// to another one.
	dir, err := os.MkdirTemp("", "switchboard-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{t: t, bin: bin, dir: dir}
	t.Cleanup(func() {
		c.ctl("stop", "-m", "immediate", "-w")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("runuser"); err != nil {
			t.Skip("running as root without runuser: cannot run initdb as another user")
		}
		owner := "postgres"
		uid, gid, err := lookupUser(owner)
		if err != nil {
			t.Skipf("running as root and no %q user to own the cluster: %v", owner, err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", owner, "--"}
	}
	port, err := strconv.Atoi(strings.TrimPrefix(freePort(t), "127.0.0.1:"))
	if err != nil {
		t.Fatal(err)
	}
	c.port = port
	out, err := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8").CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// DSN is the URL of the cluster's postgres database.
func (c *pgCluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	full := append(append([]string{}, c.asUser...), append([]string{filepath.Join(c.bin, name)}, args...)...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Dir = c.dir
	return cmd
}

// ctl runs pg_ctl on the cluster and returns its error with its output.
func (c *pgCluster) ctl(args ...string) error {
	full := append([]string{"-D", c.data()}, args...)
	out, err := c.command("pg_ctl", full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// start starts the server and waits until it accepts connections.
func (c *pgCluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=50", c.port, c.dir)
	return c.ctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "log"), "-o", opts)
}

// stopImmediate stops the server the way a crash does: no checkpoint, every client cut off.
func (c *pgCluster) stopImmediate() error { return c.ctl("stop", "-m", "immediate", "-w") }

// freeze stops every process of the server (SIGSTOP) and returns the function that resumes
// them. The processes are the test's own: the postmaster of postmaster.pid and its children.
func (c *pgCluster) freeze(t *testing.T) (resume func()) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %q", first)
	}
	pids := []int{pm}
	if kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pm, pm)); err == nil {
		for _, f := range strings.Fields(string(kids)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
	}
	resumed := false
	resume = func() {
		if resumed {
			return
		}
		resumed = true
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume) // never leave the cluster stopped for its own cleanup
	return resume
}

// pgBinDir finds the directory of initdb and pg_ctl: on PATH, else the newest of Debian's
// /usr/lib/postgresql/*/bin.
func pgBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVersion := "", -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil && v > bestVersion {
			best, bestVersion = d, v
		}
	}
	return best
}

// lookupUser returns the uid and gid of a system user.
func lookupUser(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	return uid, gid, errors.Join(err1, err2)
}

// isRoot reports whether the test may mount filesystems.
func isRoot() bool { return syscall.Geteuid() == 0 }
