package main

// These tests build the switchboard binary once and run it as a subprocess, each with its own
// working directory, data dir and loopback port, against both storage drivers.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/switchboardhq/switchboard/internal/postgres"
)

// binPath is the switchboard binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "switchboard-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "switchboard")
	if runtime.GOOS == "windows" {
		binPath += ".exe"
	}
	args := []string{"build", "-o", binPath}
	if raceEnabled {
		args = append(args, "-race") // the server under test runs with the race detector too
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		return 1
	}
	return m.Run()
}

// keyPattern matches an API key as the product prints it.
var keyPattern = regexp.MustCompile(`sbk_[A-Za-z0-9_-]+`)

// redact hides API keys and JWTs in text that goes into test output.
func redact(s string) string {
	s = keyPattern.ReplaceAllString(s, "sbk_<redacted>")
	return regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`).ReplaceAllString(s, "<jwt>")
}

// syncBuffer is a bytes.Buffer safe for a subprocess to write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// baseEnv is the test's environment without any SWITCHBOARD_* variable, so that only what a
// test sets reaches the binary.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			out = append(out, kv)
		}
	}
	return out
}

// backend is where a test's database lives: a data dir (always: it holds the default
// keyring) and, for PostgreSQL, a DSN of a fresh schema.
type backend struct {
	driver  string
	dataDir string
	dsn     string // postgres only
}

var drivers = []string{"sqlite", "postgres"}

func newBackend(t *testing.T, driver string) *backend {
	t.Helper()
	b := &backend{driver: driver, dataDir: filepath.Join(t.TempDir(), "data")}
	if driver == "postgres" {
		b.dsn = postgres.TestDSN(t)
	}
	return b
}

// flags selects the backend by command-line flags.
func (b *backend) flags() []string {
	f := []string{"--data-dir", b.dataDir}
	if b.dsn != "" {
		f = append(f, "--database-url", b.dsn)
	}
	return f
}

// env selects the backend by SWITCHBOARD_* variables.
func (b *backend) env() []string {
	e := []string{"SWITCHBOARD_DATA_DIR=" + b.dataDir}
	if b.dsn != "" {
		e = append(e, "SWITCHBOARD_DATABASE_URL="+b.dsn)
	}
	return e
}

func (b *backend) keyringPath() string { return filepath.Join(b.dataDir, "keyring") }

// result is a finished command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary to completion (at most 60s) in a fresh working directory.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runIn(t, t.TempDir(), env, args...)
}

func runIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("switchboard %s: timed out\nstderr:\n%s", args[0], redact(r.stderr))
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("switchboard %s: %v", args[0], err)
	}
	return r
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := run(t, env, args...)
	if r.code != 0 {
		t.Fatalf("switchboard %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, redact(r.stdout), redact(r.stderr))
	}
	return r
}

// proc is a running switchboard subprocess.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // of Wait, valid after done
	addr   string        // host:port it listens on, once listening
	base   string        // http://addr
}

// start starts the binary without waiting for anything. It is killed when the test ends.
func start(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := &proc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(baseEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start switchboard: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Errorf("switchboard pid %d did not exit after SIGKILL", p.cmd.Process.Pid)
			}
		}
	})
	return p
}

var listeningAddr = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serve starts "switchboard serve" on 127.0.0.1 with an OS-chosen port (unless args set
// --addr or env sets SWITCHBOARD_ADDR) and waits until it listens.
func startServe(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return serveIn(t, "", env, args...)
}

func serveIn(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	full := []string{"serve"}
	hasAddr := false
	for _, a := range args {
		if a == "--addr" || strings.HasPrefix(a, "--addr=") {
			hasAddr = true
		}
	}
	for _, e := range env {
		if strings.HasPrefix(e, "SWITCHBOARD_ADDR=") {
			hasAddr = true
		}
	}
	if !hasAddr {
		full = append(full, "--addr", "127.0.0.1:0")
	}
	p := start(t, dir, env, append(full, args...)...)
	p.waitListening()
	return p
}

func (p *proc) waitListening() {
	p.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if m := listeningAddr.FindStringSubmatch(p.stderr.String()); m != nil {
			p.addr = m[1]
			p.base = "http://" + p.addr
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("switchboard serve exited before listening (%v)\nstderr:\n%s", p.err, redact(p.stderr.String()))
		case <-deadline:
			// A goroutine dump tells where it hangs.
			_ = p.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
			}
			p.t.Fatalf("switchboard serve did not listen within 60s\nstderr:\n%s", redact(p.stderr.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits at most d for the process to exit and returns its exit code.
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("switchboard did not exit within %v\nstderr:\n%s", d, redact(p.stderr.String()))
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatalf("switchboard: %v", p.err)
	}
	return 0
}

// stop sends SIGTERM and expects a clean exit (0, "stopped" logged) within 10s.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		p.t.Fatalf("switchboard serve exited %d after SIGTERM\nstderr:\n%s", code, redact(p.stderr.String()))
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		p.t.Fatalf("switchboard serve did not log stopped\nstderr:\n%s", redact(p.stderr.String()))
	}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) m(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

var client = &http.Client{Timeout: 30 * time.Second}

// do sends a request to the process with token as bearer ("" = none); body is JSON-encoded.
func (p *proc) do(method, path, token string, body any) *response {
	p.t.Helper()
	return doURL(p.t, method, p.base+path, token, body)
}

func doURL(t *testing.T, method, url, token string, body any) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// expect fails the test unless r has the status.
func (r *response) expect(t *testing.T, status int, what string) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, redact(string(r.body)))
	}
	return r
}

// bootstrap holds what a first start printed.
type bootstrap struct {
	key     string // the owner API key
	curlURL string // the URL of the curl line
	curlKey string // the key of the curl line
}

var (
	ownerKeyLine = regexp.MustCompile(`(?m)^Owner API key[^\n]*\n\s+(sbk_\S+)\s*$`)
	curlLine     = regexp.MustCompile(`(?m)^.*curl -H 'Authorization: Bearer (\S+)' (\S+)\s*$`)
)

// parseBootstrap extracts the first-start banner from stderr, or fails.
func parseBootstrap(t *testing.T, stderr string) bootstrap {
	t.Helper()
	m := ownerKeyLine.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("first start printed no owner API key\nstderr:\n%s", redact(stderr))
	}
	c := curlLine.FindStringSubmatch(stderr)
	if c == nil {
		t.Fatalf("first start printed no curl line\nstderr:\n%s", redact(stderr))
	}
	return bootstrap{key: m[1], curlKey: c[1], curlURL: c[2]}
}

// createConnection creates an http-bearer connection with a secret token in workspace ws and
// returns its id.
func (p *proc) createConnection(key, ws, name, token string) string {
	p.t.Helper()
	r := p.do("POST", "/v1/workspaces/"+ws+"/connections", key, map[string]any{
		"connector_id": "http-bearer", "connection_name": name,
		"config": map[string]any{"base_url": "https://api.example.com", "token": token},
	}).expect(p.t, http.StatusCreated, "create connection")
	id, _ := r.m(p.t)["id"].(string)
	if id == "" {
		p.t.Fatalf("create connection: no id in %s", r.body)
	}
	return id
}

// secretOf reads the connection's token through the credentials endpoint.
func (p *proc) secretOf(key, ws, id string) string {
	p.t.Helper()
	r := p.do("GET", "/v1/workspaces/"+ws+"/connections/"+id+"/credentials", key, nil).
		expect(p.t, http.StatusOK, "read credentials")
	cfg, _ := r.m(p.t)["config"].(map[string]any)
	tok, _ := cfg["token"].(string)
	return tok
}

// freePort returns a loopback address no one listens on (right now).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// randomSecret returns a random printable secret value.
func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 18)
	rand.Read(b)
	return "s3cr3t-" + base64.RawURLEncoding.EncodeToString(b)
}

// keyringLine returns a keyring file line with a random 32-byte key.
func keyringLine(id string) string {
	k := make([]byte, 32)
	rand.Read(k)
	return id + ":" + base64.StdEncoding.EncodeToString(k) + "\n"
}

// hashDir returns the SHA-256 of every file under dir by relative path.
func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatalf("hash %s: %v", dir, err)
	}
	return out
}

// snapshot is the state of a backend: the hash of every file of its data dir and, for
// PostgreSQL, a digest of every row of every table of its schema.
type snapshot struct {
	files  map[string]string
	tables map[string]string
}

func (b *backend) snapshot(t *testing.T) snapshot {
	t.Helper()
	s := snapshot{files: hashDir(t, b.dataDir)}
	if b.dsn != "" {
		s.tables = pgTables(t, b.dsn)
	}
	return s
}

// pgTables returns, per table of the DSN's schema, its row count and an md5 of all its rows.
func pgTables(t *testing.T, dsn string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if len(names) == 0 {
		t.Fatal("no tables in the test schema")
	}
	out := map[string]string{}
	for _, n := range names {
		id := pgx.Identifier{n}.Sanitize()
		var count int64
		var digest *string
		err := conn.QueryRow(ctx, `SELECT count(*), md5(string_agg(x::text, E'\n' ORDER BY x::text)) FROM `+id+` x`).Scan(&count, &digest)
		if err != nil {
			t.Fatalf("digest %s: %v", n, err)
		}
		d := "-"
		if digest != nil {
			d = *digest
		}
		out[n] = fmt.Sprintf("%d rows %s", count, d)
	}
	return out
}

// diffMaps describes how two maps differ ("" when equal).
func diffMaps(before, after map[string]string) string {
	var b strings.Builder
	for k, v := range before {
		if w, ok := after[k]; !ok {
			fmt.Fprintf(&b, "  %s: removed\n", k)
		} else if v != w {
			fmt.Fprintf(&b, "  %s: changed (%s -> %s)\n", k, v, w)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			fmt.Fprintf(&b, "  %s: added\n", k)
		}
	}
	return b.String()
}

func (s snapshot) diff(after snapshot) string {
	d := diffMaps(s.files, after.files)
	if s.tables != nil {
		d += diffMaps(s.tables, after.tables)
	}
	return d
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	last := ""
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}
