package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// checkLine reports whether config check printed a line of kind ("ok", "warning", "problem")
// in area that contains every one of want.
func checkLine(out, kind, area string, want ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != kind || f[1] != area+":" {
			continue
		}
		all := true
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			return true
		}
	}
	return false
}

// expectCheck runs config check and fails unless it exits code and printed the line.
func expectCheck(t *testing.T, env []string, code int, kind, area string, want []string, args ...string) result {
	t.Helper()
	r := run(t, env, append([]string{"config", "check"}, args...)...)
	if r.code != code || !checkLine(r.stdout, kind, area, want...) {
		t.Errorf("config check %s: exit %d (want %d), want a %q line in %s saying %q\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), r.code, code, kind, area, want, redact(r.stdout), redact(r.stderr))
	}
	if code == 0 && strings.Contains(r.stdout, "\nproblem") {
		t.Errorf("exit 0 with a problem line:\n%s", r.stdout)
	}
	return r
}

// A first start's configuration is fine: the data dir and keyring are made by serve.
func TestConfigCheckFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := expectCheck(t, nil, 0, "warning", "keyring", []string{"does not exist yet", "generates"}, "--data-dir", dir, "--addr", "127.0.0.1:0")
	for _, area := range []string{"listen", "jwt", "database"} {
		if !checkLine(r.stdout, "ok", area) {
			t.Errorf("no ok line for %s:\n%s", area, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "configuration ok") {
		t.Errorf("no summary line:\n%s", r.stdout)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("config check created the data dir")
	}
}

// Each kind of bad setting is one problem line naming the setting, and exit code 1.
func TestConfigCheckProblems(t *testing.T) {
	tmp := t.TempDir()
	aFile := filepath.Join(tmp, "file")
	os.WriteFile(aFile, []byte("x"), 0o600)
	badRing := filepath.Join(tmp, "bad-keyring")
	os.WriteFile(badRing, []byte("# comment\nk1:"+base64.StdEncoding.EncodeToString(make([]byte, 31))+"\n"), 0o600)
	closed := freePort(t) // nothing listens there
	cases := []struct {
		name       string
		env        []string
		args       []string
		area       string
		want       []string
		otherLines int // problems besides the one wanted (a file as data dir also breaks the keyring path)
	}{
		{"addr without port", nil, []string{"--addr", "localhost"}, "listen", []string{"--addr", "HOST:PORT"}, 0},
		{"addr bad port", []string{"SWITCHBOARD_ADDR=127.0.0.1:99999"}, nil, "listen", []string{"SWITCHBOARD_ADDR", "99999", "0 to 65535"}, 0},
		{"addr not local", nil, []string{"--addr", "192.0.2.1:8080"}, "listen", []string{"cannot listen"}, 0},
		{"debug addr", nil, []string{"--debug-addr", "nope"}, "debug", []string{"--debug-addr"}, 0},
		{"log level", nil, []string{"--log-level", "loud"}, "log", []string{"loud", "debug, info, warn or error"}, 0},
		{"read audit", []string{"SWITCHBOARD_READ_AUDIT=never"}, nil, "audit", []string{"never", "buffered or sync"}, 0},
		{"webhook workers", []string{"SWITCHBOARD_WEBHOOK_WORKERS=many"}, nil, "webhooks", []string{"SWITCHBOARD_WEBHOOK_WORKERS", ">= 0"}, 0},
		{"rate limit", nil, []string{"--failed-auth-burst", "-1"}, "rate-limit", []string{"--failed-auth-burst", ">= 0"}, 0},
		{"trusted proxies", nil, []string{"--trusted-proxies", "10.0.0.5/32,proxy"}, "trusted-proxies", []string{`--trusted-proxies "proxy"`, "CIDR"}, 0},
		{"outbound cidr", nil, []string{"--outbound-allow", "10.0.0.0/8,10.300.0.0/16"}, "outbound", []string{"10.300.0.0/16", "CIDR"}, 0},
		{"public url", nil, []string{"--public-url", "switchboard.example.com"}, "public-url", []string{"absolute http(s) URL"}, 0},
		{"hs256 short", nil, []string{"--jwt-hs256-secret", "0123456789"}, "jwt", []string{"10 bytes", "32"}, 0},
		{"jwks no audience", nil, []string{"--jwks-url", "https://idp.example.com/jwks"}, "jwt", []string{"--jwks-url", "needs --jwt-audience"}, 0},
		{"jwks http", nil, []string{"--jwks-url", "http://idp.example.com/jwks", "--jwt-audience", "sb"}, "jwt", []string{"must be https"}, 0},
		{"jwks unreachable", nil, []string{"--jwks-url", "http://" + closed + "/jwks", "--jwt-audience", "sb"}, "jwt", []string{"fetch", "refused"}, 0},
		{"database url scheme", nil, []string{"--database-url", "mysql://db/switchboard"}, "database", []string{"postgres://"}, 0},
		{"data dir is a file", nil, []string{"--data-dir", aFile}, "database", []string{"not a directory"}, 1},
		{"keyring missing", nil, []string{"--keyring", filepath.Join(tmp, "none")}, "keyring", []string{"--keyring", "does not exist"}, 0},
		{"keyring malformed", []string{"SWITCHBOARD_KEYRING=" + badRing}, nil, "keyring", []string{"line 2", "31 bytes, want 32"}, 0},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			args := []string{"--data-dir", filepath.Join(t.TempDir(), "data")}
			if len(c.env) == 0 || !strings.HasPrefix(c.env[0], "SWITCHBOARD_ADDR=") {
				args = append(args, "--addr", "127.0.0.1:0")
			}
			args = append(args, c.args...)
			r := expectCheck(t, c.env, 1, "problem", c.area, c.want, args...)
			if n := strings.Count(r.stdout, "\nproblem") + boolInt(strings.HasPrefix(r.stdout, "problem")); n != 1+c.otherLines {
				t.Errorf("%d problem lines, want %d:\n%s", n, 1+c.otherLines, r.stdout)
			}
			if !strings.Contains(r.stderr, "problem(s)") {
				t.Errorf("stderr does not sum up: %q", r.stderr)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// An address in use (a running serve, most likely) is a warning, not a problem.
func TestConfigCheckAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	expectCheck(t, nil, 0, "warning", "listen", []string{"in use"},
		"--data-dir", filepath.Join(t.TempDir(), "d"), "--addr", ln.Addr().String())
}

// The JWKS is fetched: one with signing keys is fine, one without is a problem.
func TestConfigCheckJWKS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes() // 0x04 | X | Y
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	sets := map[string]any{
		"/good":  map[string]any{"keys": []any{map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:]), "use": "sig", "alg": "ES256", "kid": "k1"}}},
		"/empty": map[string]any{"keys": []any{}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set, ok := sets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	base := []string{"--data-dir", filepath.Join(t.TempDir(), "d"), "--addr", "127.0.0.1:0", "--jwt-audience", "switchboard", "--jwt-issuer", "https://idp.example.com/"}
	expectCheck(t, nil, 0, "ok", "jwt", []string{"1 signing key"}, append(base, "--jwks-url", srv.URL+"/good")...)
	expectCheck(t, nil, 1, "problem", "jwt", []string{"no RSA or EC signing key"}, append(base, "--jwks-url", srv.URL+"/empty")...)
	expectCheck(t, nil, 1, "problem", "jwt", []string{"HTTP 404"}, append(base, "--jwks-url", srv.URL+"/missing")...)
}

// Against an existing database: the right keyring matches; a wrong, missing or incomplete
// one, or a schema a newer binary migrated, is a problem; pending migrations are a warning.
// The check changes nothing.
func TestConfigCheckDatabase(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key
			p.createConnection(owner, "default", "c1", randomSecret(t))
			p.stop()
			good, err := os.ReadFile(b.keyringPath())
			if err != nil {
				t.Fatal(err)
			}
			restore := func() {
				if err := os.WriteFile(b.keyringPath(), good, 0o600); err != nil {
					t.Fatal(err)
				}
			}

			before := b.snapshot(t)
			r := expectCheck(t, b.env(), 0, "ok", "keyring", []string{"matches the database"}, "--addr", "127.0.0.1:0")
			if !checkLine(r.stdout, "ok", "migrations", "schema current") || !checkLine(r.stdout, "ok", "database") {
				t.Errorf("no ok lines for the database:\n%s", r.stdout)
			}
			if diff := before.diff(b.snapshot(t)); diff != "" {
				t.Errorf("config check changed the data:\n%s", diff)
			}

			t.Run("other_keyring", func(t *testing.T) {
				defer restore()
				os.WriteFile(b.keyringPath(), []byte(keyringLine("k-other")), 0o600)
				before := b.snapshot(t)
				expectCheck(t, nil, 1, "problem", "keyring", []string{"does not match"}, append(b.flags(), "--addr", "127.0.0.1:0")...)
				if diff := before.diff(b.snapshot(t)); diff != "" {
					t.Errorf("config check changed the data:\n%s", diff)
				}
			})
			t.Run("missing_keyring", func(t *testing.T) {
				defer restore()
				os.Remove(b.keyringPath())
				expectCheck(t, nil, 1, "problem", "keyring", []string{"holds data", "does not exist"}, append(b.flags(), "--addr", "127.0.0.1:0")...)
				if _, err := os.Stat(b.keyringPath()); err == nil {
					t.Errorf("config check generated a keyring")
				}
			})
			t.Run("keyring_lacks_rotated_key", func(t *testing.T) {
				defer restore()
				mustRun(t, nil, append([]string{"keys", "rotate"}, b.flags()...)...)
				rotated, err := os.ReadFile(b.keyringPath())
				if err != nil {
					t.Fatal(err)
				}
				// The old keyring: the data keys are now wrapped by a key it lacks.
				restore()
				expectCheck(t, nil, 1, "problem", "keyring", []string{"lacks key(s)"}, append(b.flags(), "--addr", "127.0.0.1:0")...)
				good = rotated // from now on the right keyring
			})
			t.Run("world_readable_keyring", func(t *testing.T) {
				defer restore()
				os.Chmod(b.keyringPath(), 0o644)
				expectCheck(t, nil, 0, "warning", "keyring", []string{"readable by every user", "0644"}, append(b.flags(), "--addr", "127.0.0.1:0")...)
			})
			t.Run("migrations", func(t *testing.T) {
				table := "goose_db_version"
				if d == "postgres" {
					table = "switchboard_schema_version"
				}
				// exec runs a statement and returns the first column of its first row, if any.
				exec := func(q string) (v int64) {
					t.Helper()
					if d == "postgres" {
						conn, err := pgx.Connect(t.Context(), b.dsn)
						if err != nil {
							t.Fatal(err)
						}
						defer conn.Close(t.Context())
						rows, err := conn.Query(t.Context(), q)
						if err != nil {
							t.Fatal(err)
						}
						defer rows.Close()
						if rows.Next() && len(rows.FieldDescriptions()) > 0 {
							rows.Scan(&v)
						}
						if err := rows.Err(); err != nil {
							t.Fatal(err)
						}
						return v
					}
					db, err := sql.Open("sqlite", filepath.Join(b.dataDir, "switchboard.db"))
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					if err := db.QueryRow(q).Scan(&v); err != nil && err != sql.ErrNoRows {
						t.Fatal(err)
					}
					return v
				}
				exec(fmt.Sprintf(`INSERT INTO %s (version_id, is_applied) VALUES (99999, true) RETURNING version_id`, table))
				expectCheck(t, nil, 1, "problem", "migrations", []string{"99999", "does not know"}, append(b.flags(), "--addr", "127.0.0.1:0")...)
				exec(fmt.Sprintf(`DELETE FROM %s WHERE version_id = 99999 RETURNING version_id`, table))
				// The record of the newest migration gone: to this binary, it is pending.
				last := exec(fmt.Sprintf(`DELETE FROM %s WHERE version_id = (SELECT max(version_id) FROM %s) RETURNING version_id`, table, table))
				r := expectCheck(t, nil, 0, "warning", "migrations", []string{"1 migration(s) pending", fmt.Sprint(last)}, append(b.flags(), "--addr", "127.0.0.1:0")...)
				if !checkLine(r.stdout, "warning", "keyring", "not compared") {
					t.Errorf("keyring compared with a schema that is not current:\n%s", r.stdout)
				}
				exec(fmt.Sprintf(`INSERT INTO %s (version_id, is_applied) VALUES (%d, true) RETURNING version_id`, table, last))
				expectCheck(t, nil, 0, "ok", "migrations", []string{"schema current"}, append(b.flags(), "--addr", "127.0.0.1:0")...)
			})
		})
	}
}

// An unreachable PostgreSQL is a problem that names where it was looked for, never the
// password.
func TestConfigCheckPostgresUnreachable(t *testing.T) {
	const password = "pa55-w0rd-that-must-not-show"
	dsn := "postgres://switchboard:" + password + "@127.0.0.1:1/switchboard?sslmode=disable&connect_timeout=2"
	r := expectCheck(t, nil, 1, "problem", "database", []string{"switchboard@127.0.0.1:1/switchboard"},
		"--database-url", dsn, "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Errorf("the password was printed")
	}
}

// No secret of the configuration reaches the output, whether it is fine or wrong, given by
// flag, environment or env file.
func TestConfigCheckNeverPrintsSecrets(t *testing.T) {
	hs := "hs256-" + strings.Repeat("s", 40)
	short := "hs256-shortsecret"
	pw := "pg-" + base64.RawURLEncoding.EncodeToString([]byte("a password of some length"))
	keyB64 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("K", 32)))
	badKeyB64 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("B", 30)))
	tmp := t.TempDir()
	good := filepath.Join(tmp, "good-keyring")
	os.WriteFile(good, []byte("k1:"+keyB64+"\n"), 0o600)
	bad := filepath.Join(tmp, "bad-keyring")
	os.WriteFile(bad, []byte("k1:"+keyB64+"\nk2:"+badKeyB64+"\n"+keyB64+"\n"), 0o600)
	envFile := filepath.Join(tmp, "env")
	os.WriteFile(envFile, []byte("SWITCHBOARD_JWT_HS256_SECRET="+hs+"\nthis line holds "+pw+" and no equals sign\n"), 0o600)
	dsn := "postgres://sb:" + pw + "@127.0.0.1:1/sb?sslmode=disable&connect_timeout=2"
	runs := []struct {
		env  []string
		args []string
	}{
		{nil, []string{"--jwt-hs256-secret", hs, "--keyring", good}},
		{[]string{"SWITCHBOARD_JWT_HS256_SECRET=" + short}, []string{"--keyring", bad}},
		{[]string{"SWITCHBOARD_DATABASE_URL=" + dsn, "PGPASSWORD=" + pw}, []string{"--keyring", good, "--jwt-hs256-secret", short}},
		{[]string{"SWITCHBOARD_DATABASE_URL=postgres://sb@127.0.0.1:1/sb?sslmode=disable&connect_timeout=2", "PGPASSWORD=" + pw}, nil},
		{nil, []string{"--env-file", envFile}},
	}
	for i, c := range runs {
		args := append([]string{"config", "check", "--data-dir", filepath.Join(t.TempDir(), "d"), "--addr", "127.0.0.1:0"}, c.args...)
		r := run(t, c.env, args...)
		out := r.stdout + r.stderr
		for _, s := range []string{hs, short, pw, keyB64, badKeyB64} {
			if strings.Contains(out, s) {
				t.Errorf("run %d printed a secret (%d bytes)", i, len(s))
			}
		}
		if r.code == 0 && i != 0 {
			t.Errorf("run %d: exit 0 with a bad configuration:\n%s", i, r.stdout)
		}
	}
}

// --env-file reads KEY=VALUE lines as systemd and docker do; the file wins over the
// environment, flags win over the file, and a bad line is named by number.
func TestConfigCheckEnvFile(t *testing.T) {
	tmp := t.TempDir()
	envFile := filepath.Join(tmp, "env")
	os.WriteFile(envFile, []byte("# switchboard\n\nexport SWITCHBOARD_LOG_LEVEL=\"loud\"\nSWITCHBOARD_ADDR='127.0.0.1:0'\nSWITCHBOARD_DATA_DIR="+filepath.Join(tmp, "d")+"\n"), 0o600)
	expectCheck(t, []string{"SWITCHBOARD_LOG_LEVEL=info", "SWITCHBOARD_ADDR=bad"}, 1, "problem", "log", []string{"SWITCHBOARD_LOG_LEVEL", `"loud"`}, "--env-file", envFile)
	r := expectCheck(t, nil, 0, "ok", "listen", []string{"127.0.0.1:0"}, "--env-file", envFile, "--log-level", "warn")
	if !checkLine(r.stdout, "ok", "database", filepath.Join(tmp, "d")) {
		t.Errorf("SWITCHBOARD_DATA_DIR of the env file not used:\n%s", r.stdout)
	}
	os.WriteFile(envFile, []byte("SWITCHBOARD_ADDR=127.0.0.1:0\n\nnot a variable\n"), 0o600)
	r = run(t, nil, "config", "check", "--env-file", envFile)
	if r.code != 1 || !strings.Contains(r.stderr, "line 3") {
		t.Errorf("bad env file: exit %d, stderr %q", r.code, r.stderr)
	}
}
