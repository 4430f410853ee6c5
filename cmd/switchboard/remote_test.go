package main

// The remote commands run in-process (Run) against a whole Switchboard on 127.0.0.1
// (internal/testenv); the ones that read stdin or stop on SIGINT run the built binary.

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
	sbclient "github.com/switchboardhq/switchboard/client"
	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/outbound"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"go.yaml.in/yaml/v3"
)

// Secret values of the connections these tests make: no output may hold one, except that of
// connections credentials, which asks for them.
const (
	cliSecret  = "tok_cli_secret_0123456789"
	cliSecret2 = "tok_cli_rotated_987654321"
)

// cliEnv is a running server and a way to run the CLI against it.
type cliEnv struct {
	t   *testing.T
	e   *testenv.Env
	c   *sbclient.Client
	url string
	// token is the owner key; a test's own secret list holds it, so no output may show it.
	token   string
	secrets []string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	e := testenv.New(t, "sqlite")
	e.Service.SetHealthChecker(health.New(outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}))
	c, err := sbclient.New(e.URL, e.OwnerKey)
	if err != nil {
		t.Fatal(err)
	}
	return &cliEnv{t: t, e: e, c: c, url: e.URL, token: e.OwnerKey, secrets: []string{cliSecret, cliSecret2, e.OwnerKey}}
}

// cliResult is a finished in-process command.
type cliResult struct {
	code           int
	stdout, stderr string
}

// run runs the CLI with --url and --token of the env and checks no secret is in its output.
func (ce *cliEnv) run(args ...string) cliResult {
	ce.t.Helper()
	return ce.runCtx(ce.t.Context(), args...)
}

func (ce *cliEnv) runCtx(ctx context.Context, args ...string) cliResult {
	ce.t.Helper()
	var out, errb syncBuffer
	code := Run(ctx, append(args, "--url", ce.url, "--token", ce.token), &out, &errb)
	r := cliResult{code, out.String(), errb.String()}
	ce.noSecrets(args, r.stdout, r.stderr)
	return r
}

func (ce *cliEnv) noSecrets(args []string, outputs ...string) {
	ce.t.Helper()
	for _, o := range outputs {
		for _, s := range ce.secrets {
			if strings.Contains(o, s) {
				ce.t.Errorf("switchboard %s: output holds a secret (%d chars)", strings.Join(args, " "), len(s))
			}
		}
	}
}

// ok runs the CLI and fails unless it exits 0.
func (ce *cliEnv) ok(args ...string) cliResult {
	ce.t.Helper()
	r := ce.run(args...)
	if r.code != 0 {
		ce.t.Fatalf("switchboard %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, redact(r.stderr))
	}
	return r
}

// exit runs the CLI and fails unless it exits with code; it returns stderr.
func (ce *cliEnv) exit(code int, args ...string) cliResult {
	ce.t.Helper()
	r := ce.run(args...)
	if r.code != code {
		ce.t.Fatalf("switchboard %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, redact(r.stderr))
	}
	return r
}

// upstream is an API that answers 200 to the bearer cliSecret (for health checks).
func upstream(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+cliSecret {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// create makes an http-bearer connection through the client and returns it.
func (ce *cliEnv) create(name string, mod func(*sbclient.ConnectionCreate)) *sbclient.Connection {
	ce.t.Helper()
	in := sbclient.ConnectionCreate{ConnectorID: "http-bearer", Name: name,
		Config: map[string]any{"base_url": "https://api.example.com", "token": cliSecret}}
	if mod != nil {
		mod(&in)
	}
	conn, err := ce.c.CreateConnection(ce.t.Context(), "default", in)
	if err != nil {
		ce.t.Fatal(err)
	}
	return conn
}

// apiJSON is what the API answers to GET path, decoded.
func (ce *cliEnv) apiJSON(path string) any {
	ce.t.Helper()
	r := ce.e.Do(ce.t, "GET", path, ce.token, nil)
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		ce.t.Fatal(err)
	}
	return v
}

// viaJSON normalizes a decoded YAML value to what the same JSON decodes to.
func viaJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRemoteConnectionsListFormats(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	a := ce.create("crm-alpha", func(in *sbclient.ConnectionCreate) { in.Environment, in.Tags = "staging", []string{"blue"} })
	b := ce.create("billing", func(in *sbclient.ConnectionCreate) { in.ExternalXref, in.Description = "user-7", "Alpha's billing" })
	pg := ce.create("db", func(in *sbclient.ConnectionCreate) {
		in.ConnectorID = "postgres"
		in.Config = map[string]any{"host": "db.internal", "database": "app", "user": "app", "password": cliSecret, "port": 5432}
	})

	// table: a header and one aligned line per connection.
	r := ce.ok("connections", "list")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("table:\n%s", r.stdout)
	}
	col := strings.Index(lines[0], "NAME")
	for i, id := range []string{a.ID, b.ID, pg.ID} {
		if !strings.HasPrefix(lines[i+1], id) || !strings.HasPrefix(lines[i+1][col:], []string{"crm-alpha ", "billing ", "db "}[i]) {
			t.Errorf("table line %d not aligned under NAME:\n%s", i+1, r.stdout)
		}
	}

	// json: exactly the API's objects.
	r = ce.ok("connections", "list", "-o", "json")
	var got any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("json output: %v\n%s", err, r.stdout)
	}
	want := ce.apiJSON("/v1/workspaces/default/connections").(map[string]any)["items"]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("json list differs from the API (-api +cli):\n%s", diff)
	}
	// yaml: the same objects, key order kept.
	r = ce.ok("connections", "list", "--output", "yaml")
	var y any
	if err := yaml.Unmarshal([]byte(r.stdout), &y); err != nil {
		t.Fatalf("yaml output: %v\n%s", err, r.stdout)
	}
	if diff := cmp.Diff(want, viaJSON(t, y)); diff != "" {
		t.Errorf("yaml list differs from the API (-api +cli):\n%s", diff)
	}
	if i, j := strings.Index(r.stdout, "- id: "), strings.Index(r.stdout, "  workspace_id: "); i < 0 || j < i {
		t.Errorf("yaml keys not in the API's order:\n%s", r.stdout[:min(len(r.stdout), 300)])
	}

	// Filters, each through the API's parameter; --search by the CLI.
	ids := func(args ...string) []string {
		t.Helper()
		r := ce.ok(append([]string{"connections", "list", "-o", "json"}, args...)...)
		var items []sbclient.Connection
		if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--connector", "postgres"}, []string{pg.ID}},
		{[]string{"--environment", "staging"}, []string{a.ID}},
		{[]string{"--external-ref", "user-7"}, []string{b.ID}},
		{[]string{"--tag", "blue"}, []string{a.ID}},
		{[]string{"--status", "pending", "--connector", "http-bearer"}, []string{a.ID, b.ID}},
		{[]string{"--search", "ALPHA"}, []string{a.ID, b.ID}},
		{[]string{"--search", "alpha", "--limit", "1"}, []string{a.ID}},
		{[]string{"--external-ref", "nobody"}, nil},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.args...)); diff != "" {
			t.Errorf("list %v (-want +got):\n%s", tc.args, diff)
		}
	}

	// Paging: one page and the token of the next on stderr; --all reads every page.
	r = ce.ok("connections", "list", "--limit", "2", "-o", "json")
	m := regexp.MustCompile(`--page-token (\S+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no next page token on stderr: %q", r.stderr)
	}
	if diff := cmp.Diff([]string{pg.ID}, ids("--limit", "2", "--page-token", m[1])); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	if got := ids("--limit", "1", "--all"); len(got) != 3 {
		t.Errorf("--all = %v", got)
	}
	r = ce.run("connections", "list")
	if r.code != 0 || strings.Contains(r.stderr, "page-token") {
		t.Errorf("a list that fits shows no next page: %q", r.stderr)
	}
	r = ce.ok("connections", "list", "--external-ref", "nobody")
	if r.stdout != "" || !strings.Contains(r.stderr, "(none)") {
		t.Errorf("empty table: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestRemoteConnectionGetTestDelete(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	up := upstream(t)
	conn := ce.create("crm", func(in *sbclient.ConnectionCreate) { in.Config["base_url"] = up })

	r := ce.ok("connections", "get", conn.ID)
	for _, want := range []string{"id:", conn.ID, "config.token:", "****6789", "config.base_url:", up, "revision:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("get table lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ce.ok("connections", "get", conn.ID, "-o", "json")
	var got any
	_ = json.Unmarshal([]byte(r.stdout), &got)
	if diff := cmp.Diff(ce.apiJSON("/v1/workspaces/default/connections/"+conn.ID), got); diff != "" {
		t.Errorf("get -o json differs from the API (-api +cli):\n%s", diff)
	}
	r = ce.ok("connections", "get", conn.ID, "-o", "yaml")
	if !strings.Contains(r.stdout, "connection_name: crm\n") || !strings.Contains(r.stdout, "token: '****6789'") {
		t.Errorf("get -o yaml:\n%s", r.stdout)
	}

	r = ce.ok("connections", "test", conn.ID)
	if !regexp.MustCompile(`healthy:\s+yes`).MatchString(r.stdout) {
		t.Errorf("test:\n%s", r.stdout)
	}
	bad := ce.create("broken", func(in *sbclient.ConnectionCreate) {
		in.Config["base_url"] = up + "/x"
		in.Config["token"] = cliSecret2
	})
	r = ce.exit(1, "connections", "test", bad.ID, "-o", "json")
	var res sbclient.ConnectionTest
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Result.Healthy || !strings.Contains(r.stderr, "health check") {
		t.Errorf("failing test: %v %+v stderr %q", err, res.Result, r.stderr)
	}

	// Delete: in use is a conflict (4) until --force.
	if _, err := ce.c.AddUsage(t.Context(), "default", conn.ID, "job:1"); err != nil {
		t.Fatal(err)
	}
	r = ce.exit(exitConflict, "connections", "delete", conn.ID)
	if !strings.Contains(r.stderr, "--force") {
		t.Errorf("in-use delete does not name --force: %q", r.stderr)
	}
	r = ce.ok("connections", "delete", conn.ID, "--force")
	if r.stdout != "deleted "+conn.ID+"\n" {
		t.Errorf("delete stdout %q", r.stdout)
	}
	ce.exit(exitNotFound, "connections", "get", conn.ID)
	ce.exit(exitNotFound, "connections", "delete", conn.ID)
	r = ce.exit(exitNotFound, "connections", "delete", bad.ID, conn.ID)
	if !strings.Contains(r.stdout, "deleted "+bad.ID) || !strings.Contains(r.stderr, conn.ID) {
		t.Errorf("delete of two, one missing: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// TestRemoteCredentials: the one command that prints secrets, because it is asked to.
func TestRemoteCredentials(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	conn := ce.create("crm", nil)
	var out, errb syncBuffer
	code := Run(t.Context(), []string{"connections", "credentials", conn.ID, "--url", ce.url, "--token", ce.token}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), cliSecret) || strings.Contains(errb.String(), cliSecret) {
		t.Fatalf("credentials: exit %d, secret on stdout %v", code, strings.Contains(out.String(), cliSecret))
	}
	viewer := ce.e.Key(t, "default", switchboard.RoleAdmin) // no credentials:read
	ce.secrets = append(ce.secrets, viewer)
	ce.token = viewer
	ce.exit(exitUnauthorized, "connections", "credentials", conn.ID)
}

func TestRemoteCreateUpdate(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	dir := t.TempDir()
	secrets := writeFile(t, dir, "secrets.json", `{"token":"`+cliSecret+`"}`, 0o600)

	r := ce.ok("connections", "create", "--connector", "http-bearer", "--name", "crm",
		"--config", "base_url=https://api.example.com", "--tag", "a,b", "--environment", "staging",
		"--secrets-file", secrets, "-o", "json")
	var conn sbclient.Connection
	if err := json.Unmarshal([]byte(r.stdout), &conn); err != nil {
		t.Fatal(err)
	}
	if conn.Config["token"] != "****6789" || conn.Environment != "staging" || !slices.Equal(conn.Tags, []string{"a", "b"}) {
		t.Fatalf("created %+v", conn)
	}
	cc, err := ce.c.GetConnectionCredentials(t.Context(), "default", conn.ID)
	if err != nil || cc.Config["token"] != cliSecret {
		t.Fatalf("the secret from the file was not stored: %v", err)
	}

	// --file with the body; flags win over it; a schema-typed --config (port is an integer).
	body := writeFile(t, dir, "pg.json", `{"connector_id":"postgres","connection_name":"from-file","config":{"host":"h","database":"d","user":"u"}}`, 0o644)
	pgSecrets := writeFile(t, dir, "pg-secrets.json", `{"password":"`+cliSecret+`"}`, 0o600)
	r = ce.ok("connections", "create", "--file", body, "--name", "db", "--config", "port=5433", "--secrets-file", pgSecrets, "-o", "json")
	var pg sbclient.Connection
	_ = json.Unmarshal([]byte(r.stdout), &pg)
	if pg.Name != "db" || pg.Config["port"] != float64(5433) || pg.Config["host"] != "h" {
		t.Errorf("from file: %+v", pg.Config)
	}
	ce.exit(2, "connections", "create", "--connector", "postgres", "--name", "x", "--config", "port=five")

	// Update: merge a field, with the current revision; a stale revision is exit 4.
	r = ce.ok("connections", "update", conn.ID, "--config", "base_url=https://api2.example.com",
		"--description", "moved", "--revision", "1", "-o", "json")
	var upd sbclient.Connection
	_ = json.Unmarshal([]byte(r.stdout), &upd)
	if upd.Config["base_url"] != "https://api2.example.com" || upd.Description != "moved" || upd.Revision != 2 || upd.Config["token"] != "****6789" {
		t.Errorf("updated %+v", upd)
	}
	r = ce.exit(exitConflict, "connections", "update", conn.ID, "--description", "lost", "--revision", "1")
	if !strings.Contains(r.stderr, "revision 1") {
		t.Errorf("stale revision: %q", r.stderr)
	}
	r = ce.ok("connections", "update", conn.ID, "--tag", "", "--disable", "--file", writeFile(t, dir, "patch.json", `{"external_xref":"u-1"}`, 0o644), "-o", "json")
	_ = json.Unmarshal([]byte(r.stdout), &upd)
	if len(upd.Tags) != 0 || upd.Enabled || upd.ExternalXref != "u-1" {
		t.Errorf("update tags/enabled/file: %+v", upd)
	}
	ce.exit(exitNotFound, "connections", "update", "conn_nope", "--description", "x")
	ce.exit(exitConflict, "connections", "create", "--connector", "http-bearer", "--name", "crm",
		"--config", "base_url=https://x.example.com", "--secrets-file", secrets)
	r = ce.exit(1, "connections", "create", "--connector", "http-bearer", "--name", "no-secret", "--config", "base_url=https://x.example.com")
	if !strings.Contains(r.stderr, "token") {
		t.Errorf("missing secret: %q", r.stderr)
	}
	ce.exit(exitNotFound, "connections", "create", "--connector", "nope", "--name", "x")
	ce.exit(2, "connections", "create", "--name", "x")
	ce.exit(2, "connections", "create", "--connector", "http-bearer", "--file", writeFile(t, dir, "bad.json", `{"connector":"x"}`, 0o644))
	r = ce.exit(2, "connections", "create", "--connector", "http-bearer", "--secrets-file", writeFile(t, dir, "bad-secrets.json", `{"token": `+cliSecret+`}`, 0o600))
	if !strings.Contains(r.stderr, "not a JSON object") {
		t.Errorf("malformed secrets file: %q", r.stderr)
	}
}

// TestRemoteRefusesSecretsInArgv: a secret on the command line is refused (exit 2) before
// anything is sent, with the reason and without echoing it.
func TestRemoteRefusesSecretsInArgv(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	conn := ce.create("crm", nil)
	for _, args := range [][]string{
		{"connections", "create", "--connector", "http-bearer", "--name", "x", "--config", "token=" + cliSecret2},
		{"connections", "create", "--connector", "http-bearer", "--name", "x", "--password", cliSecret2},
		{"connections", "create", "--connector", "http-bearer", "--name", "x", "--api-key=" + cliSecret2},
		{"connections", "create", "--connector", "slash", "--name", "x", "--config", "slashAccountId=" + cliSecret2},
		{"connections", "create", "--connector", "postgres", "--name", "x", "--config", "my_private_key=" + cliSecret2},
		{"connections", "update", conn.ID, "--config", "token=" + cliSecret2},
		{"connections", "update", conn.ID, "--secret", cliSecret2},
	} {
		r := ce.exit(2, args...)
		if !strings.Contains(r.stderr, "refusing") || !strings.Contains(r.stderr, "--secrets-from-stdin") ||
			!strings.Contains(r.stderr, "shell") {
			t.Errorf("%v: stderr does not say why: %q", args[:4], r.stderr)
		}
	}
	// Nothing was created or changed.
	p, err := ce.c.ListConnections(t.Context(), "default", sbclient.ConnectionFilter{})
	if err != nil || len(p.Items) != 1 || p.Items[0].Revision != conn.Revision {
		t.Errorf("after refusals: %d connections, %v", len(p.Items), err)
	}
}

// TestRemoteSecretsFromStdin runs the binary: secrets come on its real stdin.
func TestRemoteSecretsFromStdin(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	env := []string{"SWITCHBOARD_URL=" + ce.url, "SWITCHBOARD_TOKEN=" + ce.token}
	runStdin := func(stdin string, args ...string) result {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), binPath, args...)
		cmd.Env = append(baseEnv(), env...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{stdout: out.String(), stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		ce.noSecrets(args, r.stdout, r.stderr)
		return r
	}
	r := runStdin(`{"token":"`+cliSecret+`"}`, "connections", "create", "--connector", "http-bearer", "--name", "crm",
		"--config", "base_url=https://api.example.com", "--secrets-from-stdin", "-o", "json")
	if r.code != 0 {
		t.Fatalf("create: exit %d: %s", r.code, r.stderr)
	}
	var conn sbclient.Connection
	_ = json.Unmarshal([]byte(r.stdout), &conn)
	r = runStdin(`{"token":"`+cliSecret2+`"}`, "connections", "update", conn.ID, "--secrets-from-stdin")
	if r.code != 0 || !strings.Contains(r.stdout, "****4321") {
		t.Fatalf("update: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	cc, err := ce.c.GetConnectionCredentials(t.Context(), "default", conn.ID)
	if err != nil || cc.Config["token"] != cliSecret2 {
		t.Fatalf("stdin secret not stored: %v", err)
	}
	r = runStdin(`token=`+cliSecret, "connections", "update", conn.ID, "--secrets-from-stdin")
	if r.code != 2 || !strings.Contains(r.stderr, "not a JSON object") {
		t.Errorf("malformed stdin: exit %d %q", r.code, r.stderr)
	}
	r = runStdin("", "connections", "list", "--token", "")
	if r.code != 0 {
		t.Errorf("SWITCHBOARD_URL and SWITCHBOARD_TOKEN from the environment: exit %d %s", r.code, r.stderr)
	}
}

// TestRemoteExitCodes: each documented code, from a real failure.
func TestRemoteExitCodes(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	conn := ce.create("crm", nil)
	ce.exit(0, "connections", "get", conn.ID)
	ce.exit(1, "connections", "create", "--connector", "http-bearer", "--name", "bad", "--config", "base_url=ftp://x")
	ce.exit(2, "connections", "list", "--output", "xml")
	ce.exit(2, "connections", "list", "--no-such-flag")
	ce.exit(2, "connections", "get")
	ce.exit(2, "connections", "list", "--limit", "0")
	ce.exit(exitNotFound, "connections", "get", "conn_nope")
	ce.exit(exitNotFound, "connections", "list", "--workspace", "nope")
	ce.exit(exitConflict, "connections", "create", "--connector", "http-bearer", "--name", "crm",
		"--config", "base_url=https://x.example.com", "--file", writeFile(t, t.TempDir(), "b.json", `{"config":{"token":"`+cliSecret+`"}}`, 0o600))

	viewer := ce.e.Key(t, "default", switchboard.RoleViewer)
	ce.secrets = append(ce.secrets, viewer)
	saved := ce.token
	ce.token = viewer
	r := ce.exit(exitUnauthorized, "connections", "delete", conn.ID)
	if !strings.Contains(r.stderr, "role") {
		t.Errorf("403: %q", r.stderr)
	}
	ce.token = "sbk_not_a_key"
	r = ce.exit(exitUnauthorized, "connections", "list")
	if !strings.Contains(r.stderr, "SWITCHBOARD_TOKEN") || strings.Contains(r.stderr, "sbk_not_a_key") {
		t.Errorf("401: %q", r.stderr)
	}
	ce.token = saved

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ce.url = "http://" + l.Addr().String()
	l.Close()
	r = ce.exit(exitUnavailable, "connections", "list")
	if !strings.Contains(r.stderr, "cannot reach") {
		t.Errorf("unreachable: %q", r.stderr)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":"5030","message":"unavailable"}`))
	}))
	defer down.Close()
	ce.url = down.URL
	ce.exit(exitUnavailable, "connections", "get", conn.ID)
	ce.url = "not a url"
	ce.exit(2, "connections", "list")
}

func TestRemoteCompletion(t *testing.T) {
	t.Parallel()
	for shell, want := range map[string]string{
		"bash": "__start_switchboard", "zsh": "#compdef switchboard", "fish": "complete -c switchboard",
		"powershell": "Register-ArgumentCompleter",
	} {
		var out, errb syncBuffer
		if code := Run(t.Context(), []string{"completion", shell}, &out, &errb); code != 0 || !strings.Contains(out.String(), want) {
			t.Errorf("completion %s: exit %d, %d bytes, no %q; stderr %q", shell, code, len(out.String()), want, errb.String())
		}
	}
	// The completion offers the remote commands and their subcommands.
	var out syncBuffer
	Run(t.Context(), []string{"__complete", "connections", ""}, &out, &syncBuffer{})
	for _, want := range []string{"list", "create", "import", "credentials"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("completion of connections lacks %s:\n%s", want, out.String())
		}
	}
	out = syncBuffer{}
	Run(t.Context(), []string{"__complete", "connections", "list", "--"}, &out, &syncBuffer{})
	for _, want := range []string{"--connector", "--output", "--all"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("flag completion lacks %s", want)
		}
	}
}

// TestRemoteHelpHidesToken: help never prints the token, even when the environment has one.
func TestRemoteHelpHidesToken(t *testing.T) {
	r := run(t, []string{"SWITCHBOARD_TOKEN=sbk_help_must_not_show"}, "connections", "list", "--help")
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, "sbk_help_must_not_show") || !strings.Contains(r.stdout, "SWITCHBOARD_TOKEN") {
		t.Errorf("help: exit %d, token shown: %v", r.code, strings.Contains(r.stdout, "sbk_help"))
	}
}

func writeFile(t *testing.T, dir, name, content string, mode uint32) string {
	t.Helper()
	path := dir + "/" + name
	if err := os.WriteFile(path, []byte(content), os.FileMode(mode)); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls cond every 20ms for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
