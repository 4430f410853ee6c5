package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documented defaults: the embedded SQLite in ./switchboard-data, 127.0.0.1:8080.
func TestServeHelpShowsDefaults(t *testing.T) {
	r := mustRun(t, nil, "serve", "--help")
	out := r.stdout + r.stderr
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`--addr string\s.*\(default "127\.0\.0\.1:8080"\)`),
		regexp.MustCompile(`--data-dir string\s.*\(default "\./switchboard-data"\)`),
		regexp.MustCompile(`--database-url string`),
		regexp.MustCompile(`--keyring string`),
		regexp.MustCompile(`--jwt-hs256-secret string`),
	} {
		if !want.MatchString(out) {
			t.Errorf("serve --help does not match %s:\n%s", want, out)
		}
	}
}

// The flag defaults themselves, and that SWITCHBOARD_* variables become them.
func TestServeFlagDefaults(t *testing.T) {
	for _, k := range []string{"SWITCHBOARD_ADDR", "SWITCHBOARD_DATA_DIR", "SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_KEYRING"} {
		t.Setenv(k, "")
	}
	o := &options{}
	cmd := serveCmd(o)
	if got := cmd.Flags().Lookup("addr").DefValue; got != "127.0.0.1:8080" {
		t.Errorf("--addr default = %q, want 127.0.0.1:8080", got)
	}
	var out strings.Builder
	// The root command defines --data-dir; run "serve --help" through Run to see it.
	if code := Run(t.Context(), []string{"serve", "--help"}, &out, &out); code != 0 {
		t.Fatalf("serve --help: exit %d", code)
	}
	if !strings.Contains(out.String(), `(default "./switchboard-data")`) {
		t.Errorf("--data-dir default is not ./switchboard-data:\n%s", out.String())
	}

	t.Setenv("SWITCHBOARD_ADDR", "127.0.0.1:9999")
	if got := serveCmd(&options{}).Flags().Lookup("addr").DefValue; got != "127.0.0.1:9999" {
		t.Errorf("--addr with SWITCHBOARD_ADDR = %q, want 127.0.0.1:9999", got)
	}
}

// With no --data-dir, serve keeps the SQLite file and keyring in ./switchboard-data.
func TestServeDefaultDataDir(t *testing.T) {
	cwd := t.TempDir()
	p := serveIn(t, cwd, nil)
	if !strings.Contains(p.stderr.String(), "storage=sqlite") {
		t.Errorf("default storage is not sqlite:\n%s", redact(p.stderr.String()))
	}
	b := parseBootstrap(t, p.stderr.String())
	p.do("GET", "/v1/workspaces/default/connections", b.key, nil).expect(t, http.StatusOK, "list connections")
	p.stop()
	for _, f := range []string{"switchboard.db", "keyring"} {
		if _, err := os.Stat(filepath.Join(cwd, "switchboard-data", f)); err != nil {
			t.Errorf("./switchboard-data/%s: %v", f, err)
		}
	}
}

// The first start on an empty database bootstraps tenant and workspace "default" and prints
// an owner key once, on stderr; the key and the curl line work; a second start prints no key.
func TestServeFirstStart(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			// PostgreSQL is selected by the environment (SWITCHBOARD_DATABASE_URL), SQLite by flags.
			var env, args []string
			if d == "postgres" {
				env = b.env()
			} else {
				args = b.flags()
			}
			p := startServe(t, env, args...)
			stderr := p.stderr.String()
			if !strings.Contains(stderr, "storage="+d) {
				t.Errorf("listening line does not say storage=%s:\n%s", d, redact(stderr))
			}
			boot := parseBootstrap(t, stderr)
			if strings.Contains(p.stdout.String(), boot.key) || strings.Contains(p.stdout.String(), "sbk_") {
				t.Errorf("the owner key went to stdout, want stderr only")
			}
			if n := strings.Count(stderr, "Owner API key"); n != 1 {
				t.Errorf("owner key banner printed %d times, want 1", n)
			}
			if !regexp.MustCompile(`(?m)^Workspace id: default$`).MatchString(stderr) {
				t.Errorf("first start does not print the workspace id:\n%s", redact(stderr))
			}
			if !regexp.MustCompile(`(?i)tenant "default"`).MatchString(stderr) {
				t.Errorf("first start does not name tenant default:\n%s", redact(stderr))
			}
			if !strings.Contains(stderr, "level=WARN") || !strings.Contains(stderr, "generated a new keyring") {
				t.Errorf("first start did not warn about the generated keyring:\n%s", redact(stderr))
			}
			// The key is never in a log record.
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "time=") && strings.Contains(l, boot.key) {
					t.Errorf("a log line holds the owner key: %s", redact(l))
				}
			}
			fi, err := os.Stat(b.keyringPath())
			if err != nil {
				t.Fatalf("keyring not generated in the data dir: %v", err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("keyring mode %v, want 0600", fi.Mode().Perm())
			}

			// The curl line calls this server, with this key.
			if want := p.base + "/v1/workspaces/default/connections"; boot.curlURL != want {
				t.Errorf("curl URL = %q, want %q", boot.curlURL, want)
			}
			if boot.curlKey != boot.key {
				t.Errorf("the curl line's key is not the printed owner key")
			}
			doURL(t, "GET", boot.curlURL, boot.curlKey, nil).expect(t, http.StatusOK, "the curl line")
			p.do("GET", "/v1/workspaces/default/connections", "", nil).expect(t, http.StatusUnauthorized, "no key")

			// Owner, with credentials:read.
			secret := randomSecret(t)
			id := p.createConnection(boot.key, "default", "first", secret)
			if got := p.secretOf(boot.key, "default", id); got != secret {
				t.Errorf("credentials: token differs from the one stored")
			}
			p.do("GET", "/v1/workspaces/default", boot.key, nil).expect(t, http.StatusOK, "get workspace default")
			p.stop()

			// Second start: no key, no keyring warning, same data.
			p2 := startServe(t, env, args...)
			s2 := p2.stderr.String()
			if keyPattern.MatchString(s2) || strings.Contains(s2, "Owner API key") || strings.Contains(s2, "curl") {
				t.Errorf("second start printed a key or banner:\n%s", redact(s2))
			}
			if strings.Contains(s2, "generated a new keyring") {
				t.Errorf("second start generated a keyring:\n%s", redact(s2))
			}
			if got := p2.secretOf(boot.key, "default", id); got != secret {
				t.Errorf("after restart: token differs from the one stored")
			}
			p2.stop()
		})
	}
}

// A first start that fails after opening the database (the port is taken, the JWT settings
// are wrong) must not use up the one chance to show the owner key: the next start shows it.
func TestServeFirstStartFailureKeepsBootstrap(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			b := newBackend(t, d)
			for _, bad := range [][]string{
				{"--addr", taken.Addr().String()},
				{"--addr", "127.0.0.1:0", "--jwks-url", "http://127.0.0.1:1/jwks"}, // no audience
			} {
				r := run(t, nil, append(append([]string{"serve"}, b.flags()...), bad...)...)
				if r.code == 0 {
					t.Fatalf("serve %v exited 0", bad)
				}
				if keyPattern.MatchString(r.stderr) {
					// Printed although the start failed: acceptable only if it is shown again.
					t.Logf("serve %v printed a key before failing", bad)
				}
			}
			p := startServe(t, nil, b.flags()...)
			boot := parseBootstrap(t, p.stderr.String())
			p.do("GET", "/v1/workspaces/default/connections", boot.key, nil).expect(t, http.StatusOK, "list")
			p.stop()
		})
	}
}

// Everything serve logs goes through its one logger: slog text records, none in the standard
// log format of the default logger (here a JWKS refresh warning, logged by internal/auth).
func TestServeLogsInOneFormat(t *testing.T) {
	b := newBackend(t, "sqlite")
	p := startServe(t, nil, append(b.flags(), "--jwks-url", "http://127.0.0.1:1/jwks", "--jwt-audience", "switchboard")...)
	p.stop()
	bannerLine := regexp.MustCompile(`^(Switchboard first start: |Owner API key |  sbk_\S+$|Workspace id: |Try: curl )`)
	for _, l := range strings.Split(p.stderr.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "time=") && !bannerLine.MatchString(l) {
			t.Errorf("stderr line not in slog text format: %s", redact(l))
		}
	}
	if !strings.Contains(p.stderr.String(), "JWKS refresh failed") {
		t.Errorf("the JWKS warning is missing:\n%s", redact(p.stderr.String()))
	}
}
