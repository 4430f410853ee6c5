package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is one `switchboard serve` process this test started.
type server struct {
	URL string // http://127.0.0.1:PORT
	Key string // the owner API key of the first-start banner: never logged
}

// apiKeyPattern finds API keys, so the server's stderr can be shown without them.
var apiKeyPattern = regexp.MustCompile(`sbk_[A-Za-z0-9_.-]+`)

// buildBinary builds ./cmd/switchboard into a temp dir: the test drives the binary users run.
func buildBinary(ctx context.Context, t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "switchboard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/switchboard")
	cmd.Dir = ".." // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/switchboard: %v\n%s", err, out)
	}
	return bin
}

// startServer starts `bin serve` on a free loopback port with a fresh data dir, waits for
// it to listen, reads the owner key from its first-start banner and stops it (SIGTERM to
// its PID, then SIGKILL) when the test ends, failed or not. Health checks may reach
// loopback targets (127.0.0.0/8); the scheduler is off, so only "test now" runs checks.
func startServer(ctx context.Context, t testing.TB, bin string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve",
		"--addr", "127.0.0.1:0",
		"--data-dir", t.TempDir(),
		"--outbound-allow", "127.0.0.0/8",
		"--health-interval", "0",
		"--refresh-interval", "0",
		"--webhook-workers", "0",
		"--shutdown-grace", "2s",
	)
	// Only what the test sets: no SWITCHBOARD_* settings of the shell leak in.
	cmd.Env = cleanEnv()
	lines := &banner{ready: make(chan struct{})}
	cmd.Stdout = lines
	cmd.Stderr = lines
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting switchboard serve: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Stop the process this test started, by its PID.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("switchboard serve (pid %d) did not stop within 10s of SIGTERM; killing it", cmd.Process.Pid)
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("switchboard serve output (API keys redacted):\n%s", lines.redacted())
		}
	})
	select {
	case <-lines.ready:
	case err := <-exited:
		t.Fatalf("switchboard serve exited before listening (%v):\n%s", err, lines.redacted())
	case <-time.After(30 * time.Second):
		t.Fatalf("switchboard serve did not listen within 30s:\n%s", lines.redacted())
	case <-ctx.Done():
		t.Fatalf("switchboard serve did not listen before the test's deadline:\n%s", lines.redacted())
	}
	url, key := lines.result()
	if !strings.HasPrefix(key, "sbk_") {
		t.Fatalf("no owner API key in the first-start banner:\n%s", lines.redacted())
	}
	return &server{URL: url, Key: key}
}

// cleanEnv is the test's environment without SWITCHBOARD_* variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			env = append(env, kv)
		}
	}
	return env
}

// banner reads serve's output line by line: the owner key is the line after "Owner API
// key ...", the URL is the url= of the "listening" log line.
type banner struct {
	mu      sync.Mutex
	partial []byte
	out     bytes.Buffer // what serve printed, keys redacted
	keyNext bool
	key     string
	url     string
	ready   chan struct{} // closed once both the key and the URL are known
	closed  bool
}

func (b *banner) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.line(string(b.partial[:i]))
		b.partial = b.partial[i+1:]
	}
	return len(p), nil
}

func (b *banner) line(s string) {
	switch {
	case b.keyNext:
		b.key, b.keyNext = strings.TrimSpace(s), false
	case strings.HasPrefix(s, "Owner API key"):
		b.keyNext = true
	case b.url == "" && strings.Contains(s, "msg=listening"):
		for _, f := range strings.Fields(s) {
			if u, ok := strings.CutPrefix(f, "url="); ok {
				b.url = u
			}
		}
	}
	b.out.WriteString(apiKeyPattern.ReplaceAllString(s, "sbk_<redacted>"))
	b.out.WriteByte('\n')
	if b.url != "" && b.key != "" && !b.closed {
		close(b.ready)
		b.closed = true
	}
}

func (b *banner) result() (url, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.url, b.key
}

func (b *banner) redacted() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String() + apiKeyPattern.ReplaceAllString(string(b.partial), "sbk_<redacted>")
}
