package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/switchboardhq/switchboard/internal/postgres"
)

// composeFile is the part of a compose file the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Command     []string       `yaml:"command"`
	Environment map[string]any `yaml:"environment"`
	Secrets     []string       `yaml:"secrets"`
	Ports       []string       `yaml:"ports"`
	Volumes     []string       `yaml:"volumes"`
	DependsOn   yaml.Node      `yaml:"depends_on"`
	Healthcheck map[string]any `yaml:"healthcheck"`
}

func (s composeService) env(k string) string {
	v, ok := s.Environment[k]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// replica is a switchboard serve service of the compose file.
type replica struct {
	name string
	svc  composeService
	port string
}

// readCompose parses deploy/compose/compose.yaml and returns it with its serve replicas.
func readCompose(t *testing.T) (*composeFile, []replica) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/compose/compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	var replicas []replica
	for name, s := range c.Services {
		if len(s.Command) == 0 || s.Command[0] != "serve" {
			continue
		}
		root := newRoot(&options{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)})
		sub, rest, err := root.Find(s.Command)
		if err != nil || sub.Name() != "serve" {
			t.Fatalf("service %s: command %v is not serve (%v)", name, s.Command, err)
		}
		if err := sub.ParseFlags(rest); err != nil {
			t.Fatalf("service %s: the binary refuses its command %v: %v", name, s.Command, err)
		}
		host, port, err := net.SplitHostPort(sub.Flags().Lookup("addr").Value.String())
		if err != nil || host != "0.0.0.0" {
			t.Errorf("service %s: --addr %s:%s, want 0.0.0.0:PORT so the proxy reaches it (%v)", name, host, port, err)
		}
		replicas = append(replicas, replica{name: name, svc: s, port: port})
	}
	return &c, replicas
}

// The compose file runs two or more replicas that share the image, the database and the
// keyring, on a PostgreSQL with a health check, behind a proxy that names every replica and
// balances on readiness; every variable set exists in the binary.
func TestComposeFile(t *testing.T) {
	c, replicas := readCompose(t)
	if len(replicas) < 2 {
		t.Fatalf("%d serve replicas in compose.yaml, want 2 or more", len(replicas))
	}
	known := referenceVariables(t)
	first := replicas[0].svc
	dsn := first.env("SWITCHBOARD_DATABASE_URL")
	ring := first.env("SWITCHBOARD_KEYRING")
	for _, r := range replicas {
		for k := range r.svc.Environment {
			if strings.HasPrefix(k, "SWITCHBOARD_") && !known[k] {
				t.Errorf("service %s sets %s: the binary reads no such variable", r.name, k)
			}
		}
		for _, k := range []string{"SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_KEYRING", "SWITCHBOARD_PUBLIC_URL"} {
			if r.svc.env(k) != first.env(k) {
				t.Errorf("service %s: %s differs from %s's: replicas must share it", r.name, k, replicas[0].name)
			}
		}
		if r.svc.Image != first.Image || strings.Join(r.svc.Secrets, ",") != strings.Join(first.Secrets, ",") {
			t.Errorf("service %s: image or secrets differ from %s's", r.name, replicas[0].name)
		}
		var deps map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := r.svc.DependsOn.Decode(&deps); err != nil {
			t.Errorf("service %s: depends_on: %v", r.name, err)
		}
		if deps["postgres"].Condition != "service_healthy" {
			t.Errorf("service %s: want depends_on postgres with condition service_healthy", r.name)
		}
	}

	// The database: a PostgreSQL service with a health check, named by the DSN.
	// Interpolations (${POSTGRES_PASSWORD:?...}) stand for a value here.
	u, err := url.Parse(regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString(dsn, "x"))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("SWITCHBOARD_DATABASE_URL %q: want a postgres:// URL (%v)", dsn, err)
	}
	pg, ok := c.Services[u.Hostname()]
	if !ok || !strings.HasPrefix(pg.Image, "postgres") {
		t.Errorf("the DSN's host %q is not a postgres service of the file", u.Hostname())
	}
	if pg.Healthcheck == nil {
		t.Errorf("service %s has no healthcheck: the replicas' depends_on condition would never hold", u.Hostname())
	}

	// The keyring: one secret file, mounted where SWITCHBOARD_KEYRING says.
	secret, ok := strings.CutPrefix(ring, "/run/secrets/")
	if !ok || len(first.Secrets) == 0 || first.Secrets[0] != secret || c.Secrets[secret].File == "" {
		t.Errorf("SWITCHBOARD_KEYRING=%q: want /run/secrets/NAME of a file secret every replica lists", ring)
	}

	// The proxy names every replica and checks their readiness.
	var proxy *composeService
	for name, s := range c.Services {
		if strings.HasPrefix(s.Image, "caddy") {
			s := s
			proxy = &s
			t.Logf("proxy: service %s", name)
		}
	}
	if proxy == nil {
		t.Fatal("no caddy service in compose.yaml")
	}
	caddyfile := ""
	for _, v := range proxy.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.HasSuffix(dst, "/Caddyfile") || strings.HasPrefix(dst, "/etc/caddy/Caddyfile") {
			caddyfile = filepath.Join(repoRoot, "deploy/compose", src)
		}
	}
	if caddyfile == "" {
		t.Fatal("the proxy mounts no Caddyfile")
	}
	site, upstreams, directives := readCaddyfile(t, caddyfile)
	for _, r := range replicas {
		if !upstreams[r.name+":"+r.port] {
			t.Errorf("the Caddyfile's reverse_proxy does not name replica %s:%s (it names %v)", r.name, r.port, upstreams)
		}
	}
	if len(upstreams) != len(replicas) {
		t.Errorf("the Caddyfile names %d upstreams for %d replicas", len(upstreams), len(replicas))
	}
	if directives["health_uri"] != "/readyz" {
		t.Errorf("health_uri %q: want /readyz, so a replica that cannot reach the database gets no traffic", directives["health_uri"])
	}
	published := false
	for _, p := range proxy.Ports {
		published = published || strings.HasSuffix(p, ":"+strings.TrimPrefix(site, ":"))
	}
	if !published {
		t.Errorf("the proxy publishes %v, not its site port %s", proxy.Ports, site)
	}
	if caddy, err := exec.LookPath("caddy"); err == nil {
		out, err := exec.Command(caddy, "validate", "--adapter", "caddyfile", "--config", caddyfile).CombinedOutput()
		if err != nil {
			t.Errorf("caddy validate: %v\n%s", err, out)
		}
	} else {
		t.Log("caddy not installed: the Caddyfile is not validated by caddy itself")
	}
}

// readCaddyfile returns the site address, the reverse_proxy upstreams and the other
// directives (name -> first argument) of the simple one-site Caddyfile used here.
func readCaddyfile(t *testing.T, path string) (site string, upstreams map[string]bool, directives map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	upstreams, directives = map[string]bool{}, map[string]string{}
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case site == "" && f[len(f)-1] == "{":
			site = f[0]
		case f[0] == "reverse_proxy":
			for _, u := range f[1:] {
				if u != "{" {
					upstreams[u] = true
				}
			}
		case len(f) > 1:
			directives[f[0]] = f[1]
		}
	}
	return site, upstreams, directives
}

// testPostgresBase returns the DSN of the test PostgreSQL server (SWITCHBOARD_TEST_POSTGRES_URL,
// or "" for the PG* variables), skipping the test when there is none (failing it in CI).
func testPostgresBase(t *testing.T) string {
	t.Helper()
	base := os.Getenv(postgres.TestDSNEnv)
	if base == "" && os.Getenv("PGHOST") == "" {
		const how = "the two-replica test needs PostgreSQL: " + postgres.TestDSNEnv + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable, or the PG* variables"
		if os.Getenv("CI") == "true" {
			t.Fatal(how)
		}
		t.Skip(how)
	}
	return base
}

// throwawayDatabase creates a database on the test server, dropped when the test ends, and
// returns its DSN: the replicas use its default schema, as a real deployment does.
func throwawayDatabase(t *testing.T) string {
	t.Helper()
	base := testPostgresBase(t)
	var b [6]byte
	rand.Read(b[:])
	name := fmt.Sprintf("sbdeploy_%d_%x", time.Now().Unix(), b)
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	// serve takes URLs only: rebuild one for the new database from whatever names the server
	// (a URL, key=value settings, or the PG* variables pg_virtualenv exports).
	cfg, err := pgconn.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "postgres", Path: "/" + name}
	q := url.Values{}
	if strings.HasPrefix(cfg.Host, "/") { // a unix socket directory
		q.Set("host", cfg.Host)
		q.Set("port", fmt.Sprint(cfg.Port))
	} else {
		u.Host = net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	if cfg.TLSConfig == nil {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// The scale-out path of compose.yaml, without Docker: two serve processes started together on
// one fresh PostgreSQL database with one shared keyring (and the compose file's other
// settings) serve the same data. A connection created through A, its credentials included,
// is read through B; a change through B is seen by A; an API key revoked through A is refused
// by B within the cache's TTL; both publish the same SecureChannel key; a third replica with
// another keyring refuses to start. When caddy is installed, the compose Caddyfile (its
// upstreams pointed at the two processes) balances between them and keeps answering while
// one is stopped.
func TestTwoReplicasOnePostgres(t *testing.T) {
	dsn := throwawayDatabase(t)
	_, replicas := readCompose(t)
	tmp := t.TempDir()
	ring := filepath.Join(tmp, "keyring")
	if err := os.WriteFile(ring, []byte(keyringLine("k1")), 0o600); err != nil {
		t.Fatal(err)
	}
	// The replicas' environment is the compose file's, with this test's database and keyring.
	var env []string
	for k := range replicas[0].svc.Environment {
		switch k {
		case "SWITCHBOARD_DATABASE_URL":
			env = append(env, k+"="+dsn)
		case "SWITCHBOARD_KEYRING":
			env = append(env, k+"="+ring)
		case "SWITCHBOARD_PUBLIC_URL":
		default:
			env = append(env, k+"="+replicas[0].svc.env(k))
		}
	}

	began := time.Now()
	var procs [2]*proc
	for i := range procs {
		procs[i] = start(t, "", env, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(tmp, fmt.Sprintf("data-%d", i)))
	}
	for _, p := range procs {
		p.waitListening()
	}
	a, b := procs[0], procs[1]
	t.Logf("two replicas started together on one empty database in %v", time.Since(began).Round(time.Millisecond))
	var owner string
	banners := 0
	for _, p := range procs {
		if ownerKeyLine.MatchString(p.stderr.String()) {
			owner = parseBootstrap(t, p.stderr.String()).key
			banners++
		}
	}
	if banners != 1 {
		t.Fatalf("%d replicas printed a first-start owner key, want exactly 1", banners)
	}

	secret := randomSecret(t)
	id := a.createConnection(owner, "default", "shared", secret)
	got := b.do("GET", "/v1/workspaces/default/connections/"+id, owner, nil).expect(t, http.StatusOK, "get through B")
	if strings.Contains(string(got.body), secret) {
		t.Errorf("B's answer shows the secret in clear")
	}
	if s := b.secretOf(owner, "default", id); s != secret {
		t.Errorf("credentials read through B differ from those written through A")
	}
	b.do("PATCH", "/v1/workspaces/default/connections/"+id, owner, map[string]any{"description": "patched through B"}).
		expect(t, http.StatusOK, "patch through B")
	if d, _ := a.do("GET", "/v1/workspaces/default/connections/"+id, owner, nil).expect(t, http.StatusOK, "get through A").m(t)["description"].(string); d != "patched through B" {
		t.Errorf("A reads description %q after B's change", d)
	}
	jwksA := a.do("GET", "/.well-known/switchboard/secure-channel.json", "", nil).expect(t, http.StatusOK, "jwks A")
	jwksB := b.do("GET", "/.well-known/switchboard/secure-channel.json", "", nil).expect(t, http.StatusOK, "jwks B")
	if string(jwksA.body) != string(jwksB.body) {
		t.Errorf("the replicas publish different SecureChannel keys")
	}

	// An API key revoked through A stops working on B within the key cache's TTL.
	k := a.do("POST", "/v1/workspaces/default/api-keys", owner, map[string]any{"role": "viewer", "name": "short-lived"}).
		expect(t, http.StatusCreated, "create key").m(t)
	key, keyID := k["key"].(string), k["id"].(string)
	b.do("GET", "/v1/workspaces/default/connections", key, nil).expect(t, http.StatusOK, "new key on B")
	a.do("DELETE", "/v1/workspaces/default/api-keys/"+keyID, owner, nil).expect(t, http.StatusNoContent, "revoke on A")
	revoked := time.Now()
	for {
		r := b.do("GET", "/v1/workspaces/default/connections", key, nil)
		if r.status == http.StatusUnauthorized {
			t.Logf("B refused the key revoked through A after %v", time.Since(revoked).Round(time.Millisecond))
			break
		}
		if time.Since(revoked) > 5*time.Second {
			t.Fatalf("B still accepts a key revoked through A %v later (status %d)", time.Since(revoked), r.status)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// config check agrees with the shared configuration; a replica with another keyring
	// is refused by both config check and serve.
	checkArgs := []string{"config", "check", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(tmp, "data-check")}
	if r := run(t, env, checkArgs...); r.code != 0 || !checkLine(r.stdout, "ok", "keyring", "matches the database") {
		t.Errorf("config check of the replicas' configuration: exit %d\n%s", r.code, redact(r.stdout))
	}
	other := filepath.Join(tmp, "other-keyring")
	os.WriteFile(other, []byte(keyringLine("k2")), 0o600)
	otherEnv := append(env[:len(env):len(env)], "SWITCHBOARD_KEYRING="+other)
	if r := run(t, otherEnv, checkArgs...); r.code != 1 || !checkLine(r.stdout, "problem", "keyring", "does not match") {
		t.Errorf("config check with another keyring: exit %d\n%s", r.code, redact(r.stdout))
	}
	if stderr := refusedStart(t, otherEnv, "--data-dir", filepath.Join(tmp, "data-other")); !strings.Contains(stderr, "does not match") {
		t.Errorf("a replica with another keyring: %s", redact(stderr))
	}

	rotateUnderReplicas(t, env, a, b, owner)
	caddyInFront(t, replicas, procs, owner, id, secret)
}

// rotateUnderReplicas rotates the shared keyring (a new key, every data key re-wrapped) while
// both replicas run on the old one: B, which never cached the new workspace's data key, must
// read its credentials by reading the keyring file again, not answer 5xx until a restart.
func rotateUnderReplicas(t *testing.T, env []string, a, b *proc, owner string) {
	t.Helper()
	a.do("POST", "/v1/workspaces", owner, map[string]any{"id": "rotated", "name": "rotated"}).
		expect(t, http.StatusCreated, "workspace through A")
	secret := randomSecret(t)
	id := a.createConnection(owner, "rotated", "before-rotation", secret)
	if r := run(t, env, "keys", "rotate"); r.code != 0 {
		t.Fatalf("keys rotate beside the replicas: exit %d\n%s", r.code, redact(r.stderr))
	}
	if got := b.secretOf(owner, "rotated", id); got != secret {
		t.Errorf("B after a rotation elsewhere: credentials differ from those written")
	}
}

// caddyInFront runs the compose Caddyfile, its upstreams pointed at the two processes, and
// checks it balances requests over both and keeps answering while one is stopped.
func caddyInFront(t *testing.T, replicas []replica, procs [2]*proc, owner, id, secret string) {
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		t.Log("caddy not installed: the Caddyfile is not run in front of the replicas")
		return
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/compose/Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	site, _, _ := readCaddyfile(t, filepath.Join(repoRoot, "deploy/compose/Caddyfile"))
	front := freePort(t)
	_, frontPort, _ := net.SplitHostPort(front)
	conf := strings.Replace(string(raw), site+" {", "http://127.0.0.1:"+frontPort+" {", 1)
	for i, r := range replicas[:2] {
		conf = regexp.MustCompile(`\b`+regexp.QuoteMeta(r.name+":"+r.port)+`\b`).ReplaceAllString(conf, procs[i].addr)
	}
	// No admin endpoint (it would take a fixed port) and no state outside the test.
	conf = "{\n\tadmin off\n}\n" + conf
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	os.WriteFile(path, []byte(conf), 0o600)
	cmd := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", path)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	base := "http://" + front
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not answer on %s: %v\n%s", base, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Balanced: both replicas answer requests sent to the proxy.
	count := func(p *proc) int {
		return strings.Count(p.stderr.String(), `route="GET /v1/workspaces/{workspace_id}/connections/{connection_id}/credentials"`)
	}
	before := [2]int{count(procs[0]), count(procs[1])}
	const n = 20
	for range n {
		r := doURL(t, "GET", base+"/v1/workspaces/default/connections/"+id+"/credentials", owner, nil).expect(t, http.StatusOK, "credentials through the proxy")
		if !strings.Contains(string(r.body), secret) {
			t.Fatalf("credentials through the proxy: wrong secret")
		}
	}
	// A request's access log line is written after its answer: wait for the last ones.
	var served [2]int
	for wait := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		served = [2]int{count(procs[0]) - before[0], count(procs[1]) - before[1]}
		if served[0]+served[1] >= n || time.Now().After(wait) {
			break
		}
	}
	t.Logf("through caddy: %d credential reads, replica A served %d, B %d", n, served[0], served[1])
	if served[0] == 0 || served[1] == 0 || served[0]+served[1] != n {
		t.Errorf("the proxy did not balance over both replicas: %v of %d (is the access log format the same?)", served, n)
	}
	if resp, err := client.Get(base + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("/metrics through the proxy: %d, want 404 (scrape each replica)", resp.StatusCode)
		}
	}

	// One replica stopped (a rolling restart): the proxy keeps answering from the other.
	procs[0].stop()
	failed := 0
	for range n {
		r := doURL(t, "GET", base+"/v1/workspaces/default/connections/"+id, owner, nil)
		if r.status != http.StatusOK {
			failed++
		}
	}
	t.Logf("with replica A stopped: %d of %d requests through caddy failed", failed, n)
	if failed > 0 {
		t.Errorf("%d of %d requests failed through the proxy while one replica was stopped", failed, n)
	}
}
