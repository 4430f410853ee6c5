package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// migrate applies the migrations and exits 0, on an empty database and again on a migrated
// one; serve then starts on it.
func TestMigrate(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			for i := range 2 {
				r := mustRun(t, nil, append([]string{"migrate"}, b.flags()...)...)
				if !strings.Contains(r.stdout, "migrations applied") {
					t.Errorf("migrate #%d stdout: %q", i+1, r.stdout)
				}
			}
			if d == "sqlite" {
				if _, err := os.Stat(filepath.Join(b.dataDir, "switchboard.db")); err != nil {
					t.Fatalf("migrate made no database: %v", err)
				}
			} else if tables := pgTables(t, b.dsn); len(tables) < 3 {
				t.Fatalf("migrate made %d tables", len(tables))
			}
			// migrate needs no keyring and makes none.
			if _, err := os.Stat(b.keyringPath()); err == nil {
				t.Errorf("migrate wrote a keyring")
			}
			// A migrated but empty database is still a first start.
			p := startServe(t, nil, b.flags()...)
			boot := parseBootstrap(t, p.stderr.String())
			p.do("GET", "/v1/workspaces/default/connections", boot.key, nil).expect(t, http.StatusOK, "list")
			p.stop()
			// by environment, too
			r := mustRun(t, b.env(), "migrate")
			if !strings.Contains(r.stdout, "migrations applied") {
				t.Errorf("migrate by env: %q", r.stdout)
			}
		})
	}
}

func TestMigrateBadDatabaseURL(t *testing.T) {
	r := run(t, nil, "migrate", "--database-url", "mysql://localhost/x")
	if r.code == 0 || !strings.Contains(r.stderr, "postgres://") {
		t.Errorf("migrate with a mysql URL: exit %d, stderr %q", r.code, r.stderr)
	}
}

// SWITCHBOARD_ADDR and SWITCHBOARD_DATA_DIR configure serve; flags override them.
func TestServeEnvAndFlags(t *testing.T) {
	envDir := filepath.Join(t.TempDir(), "env-data")
	flagDir := filepath.Join(t.TempDir(), "flag-data")
	envAddr := freePort(t)

	// Environment only.
	p := startServe(t, []string{"SWITCHBOARD_ADDR=" + envAddr, "SWITCHBOARD_DATA_DIR=" + envDir})
	if p.addr != envAddr {
		t.Errorf("SWITCHBOARD_ADDR=%s: listening on %s", envAddr, p.addr)
	}
	boot := parseBootstrap(t, p.stderr.String())
	p.do("GET", "/v1/workspaces/default/connections", boot.key, nil).expect(t, http.StatusOK, "list")
	p.stop()
	if _, err := os.Stat(filepath.Join(envDir, "switchboard.db")); err != nil {
		t.Errorf("SWITCHBOARD_DATA_DIR not used: %v", err)
	}

	// Flags win over the environment.
	p = startServe(t, []string{"SWITCHBOARD_ADDR=" + envAddr, "SWITCHBOARD_DATA_DIR=" + envDir},
		"--addr", "127.0.0.1:0", "--data-dir", flagDir)
	if p.addr == envAddr {
		t.Errorf("--addr did not override SWITCHBOARD_ADDR")
	}
	// A fresh database: the flag's data dir, not the environment's.
	parseBootstrap(t, p.stderr.String())
	p.stop()
	if _, err := os.Stat(filepath.Join(flagDir, "switchboard.db")); err != nil {
		t.Errorf("--data-dir not used: %v", err)
	}

	// --database-url wins over SWITCHBOARD_DATABASE_URL: a bad URL in the environment is ignored.
	p = startServe(t, []string{"SWITCHBOARD_DATABASE_URL=mysql://nowhere/x"}, "--data-dir", flagDir, "--database-url", "")
	if !strings.Contains(p.stderr.String(), "storage=sqlite") {
		t.Errorf("--database-url '' did not override the environment:\n%s", redact(p.stderr.String()))
	}
	p.stop()
}

// SWITCHBOARD_DATABASE_URL selects PostgreSQL and SWITCHBOARD_KEYRING a keyring file outside
// the data dir; --keyring overrides the environment.
func TestServeKeyringFromEnv(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			ringPath := filepath.Join(t.TempDir(), "prod.keyring")
			if err := os.WriteFile(ringPath, []byte("# production keyring\n"+keyringLine("prod-1")), 0o600); err != nil {
				t.Fatal(err)
			}
			env := append(b.env(), "SWITCHBOARD_KEYRING="+ringPath)
			p := startServe(t, env)
			s := p.stderr.String()
			if strings.Contains(s, "generated a new keyring") {
				t.Errorf("serve generated a keyring although SWITCHBOARD_KEYRING is set:\n%s", redact(s))
			}
			if !strings.Contains(s, "storage="+d) {
				t.Errorf("storage is not %s:\n%s", d, redact(s))
			}
			boot := parseBootstrap(t, s)
			secret := randomSecret(t)
			id := p.createConnection(boot.key, "default", "c1", secret)
			p.stop()
			if _, err := os.Stat(b.keyringPath()); err == nil {
				t.Errorf("a keyring was written to the data dir although SWITCHBOARD_KEYRING is set")
			}
			r := mustRun(t, env, "keys", "status")
			if !strings.Contains(r.stdout, "active: prod-1") || !strings.Contains(r.stdout, "key prod-1: 1 data keys") {
				t.Errorf("keys status:\n%s", r.stdout)
			}

			// --keyring overrides SWITCHBOARD_KEYRING: a wrong file in the environment is ignored.
			wrong := filepath.Join(t.TempDir(), "wrong.keyring")
			if err := os.WriteFile(wrong, []byte(keyringLine("prod-1")), 0o600); err != nil {
				t.Fatal(err)
			}
			p = startServe(t, append(b.env(), "SWITCHBOARD_KEYRING="+wrong), "--keyring", ringPath)
			if got := p.secretOf(boot.key, "default", id); got != secret {
				t.Errorf("token differs after restart with --keyring")
			}
			p.stop()

			// A configured keyring that does not exist is never generated, even on an empty
			// database.
			b2 := newBackend(t, d)
			missing := filepath.Join(t.TempDir(), "missing.keyring")
			r = run(t, append(b2.env(), "SWITCHBOARD_KEYRING="+missing), "serve", "--addr", "127.0.0.1:0")
			if r.code == 0 || !strings.Contains(r.stderr, missing) {
				t.Errorf("serve with a missing SWITCHBOARD_KEYRING: exit %d, stderr %q", r.code, redact(r.stderr))
			}
			if _, err := os.Stat(missing); err == nil {
				t.Errorf("serve generated the configured keyring %s", missing)
			}
		})
	}
}

// A token minted by "switchboard token" with the secret serve runs with is accepted, with
// its role; one minted with another secret is not.
func TestServeAcceptsMintedToken(t *testing.T) {
	const secret = "cli-test-hs256-secret-0123456789abcdef"
	b := newBackend(t, "sqlite")
	p := startServe(t, []string{"SWITCHBOARD_JWT_HS256_SECRET=" + secret}, b.flags()...)

	editor := strings.TrimSpace(mustRun(t, nil, "token", "--secret", secret, "--role", "editor").stdout)
	p.createConnection(editor, "default", "by-jwt", randomSecret(t))
	p.do("GET", "/v1/workspaces/default/connections", editor, nil).expect(t, http.StatusOK, "editor lists")

	// The token command takes the secret from the environment, too.
	viewer := strings.TrimSpace(mustRun(t, []string{"SWITCHBOARD_JWT_HS256_SECRET=" + secret}, "token", "--role", "viewer").stdout)
	p.do("GET", "/v1/workspaces/default/connections", viewer, nil).expect(t, http.StatusOK, "viewer lists")
	p.do("POST", "/v1/workspaces/default/connections", viewer, map[string]any{
		"connector_id": "http-bearer", "connection_name": "nope",
		"config": map[string]any{"base_url": "https://api.example.com", "token": "x-0123456789"},
	}).expect(t, http.StatusForbidden, "viewer token creates")

	other := strings.TrimSpace(mustRun(t, nil, "token", "--secret", "another-secret-0123456789abcdefghij", "--role", "owner").stdout)
	p.do("GET", "/v1/workspaces/default/connections", other, nil).expect(t, http.StatusUnauthorized, "token of another secret")

	r := run(t, nil, "token", "--role", "editor")
	if r.code == 0 || !strings.Contains(r.stderr, "--secret") {
		t.Errorf("token without a secret: exit %d, stderr %q", r.code, r.stderr)
	}
	p.stop()

	// --jwt-hs256-secret overrides the environment.
	p = startServe(t, []string{"SWITCHBOARD_JWT_HS256_SECRET=" + secret}, append(b.flags(), "--jwt-hs256-secret", "flag-secret-0123456789abcdefghij")...)
	p.do("GET", "/v1/workspaces/default/connections", editor, nil).expect(t, http.StatusUnauthorized, "env-secret token with the flag's secret")
	flagTok := strings.TrimSpace(mustRun(t, nil, "token", "--secret", "flag-secret-0123456789abcdefghij", "--role", "viewer").stdout)
	p.do("GET", "/v1/workspaces/default/connections", flagTok, nil).expect(t, http.StatusOK, "flag-secret token")
	p.stop()
}
