package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
	sbclient "github.com/switchboardhq/switchboard/client"
	"go.yaml.in/yaml/v3"
)

func TestRemoteImportCSV(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	ce.create("taken", nil)
	csv := "connector_id,connection_name,environment,tags,config.base_url,config.token\n" +
		"http-bearer,imp-1,staging,a;b,https://one.example.com," + cliSecret + "\n" +
		"http-bearer,imp-2,,,https://two.example.com," + cliSecret + "\n" +
		"http-bearer,imp-3,,,ftp://bad.example.com," + cliSecret + "\n" + // refused by the schema
		"http-bearer,taken,,,https://x.example.com," + cliSecret + "\n" + // name taken: 409
		"postgres,imp-db,,,,\n" // postgres needs host, ...: 400
	path := writeFile(t, t.TempDir(), "conns.csv", csv, 0o600)

	r := ce.exit(1, "connections", "import", path, "--parallel", "2")
	if !strings.Contains(r.stderr, "import: 5/5 rows") || !regexp.MustCompile(`\d+\.\d rows/s`).MatchString(r.stderr) {
		t.Errorf("no progress N/M with a rate on stderr:\n%s", r.stderr)
	}
	for _, want := range []string{"row 4 (imp-3)", "config.base_url", "row 5 (taken)", "row 6 (imp-db)",
		"imported 2 of 5 connections: 3 failed, 0 skipped"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^2\s+imp-1\s+conn_\S+\s+created`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^4\s+imp-3\s+failed`).MatchString(r.stdout) {
		t.Errorf("results table:\n%s", r.stdout)
	}
	p, err := ce.c.ListConnections(t.Context(), "default", sbclient.ConnectionFilter{Tag: "b"})
	if err != nil || len(p.Items) != 1 || p.Items[0].Name != "imp-1" || p.Items[0].Environment != "staging" {
		t.Fatalf("imported imp-1: %+v %v", p, err)
	}

	// Again, the same file: the created rows replay (Idempotency-Key), nothing is created
	// twice; --skip-existing takes the taken name as skipped.
	r = ce.exit(1, "connections", "import", path, "--skip-existing", "-o", "json")
	var res []importResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, x := range res {
		status[x.Name] = x.Status
	}
	if diff := cmp.Diff(map[string]string{"imp-1": "created", "imp-2": "created", "imp-3": "failed", "taken": "skipped", "imp-db": "failed"}, status); diff != "" {
		t.Errorf("second import (-want +got):\n%s", diff)
	}
	all, _ := ce.c.ListConnections(t.Context(), "default", sbclient.ConnectionFilter{})
	if len(all.Items) != 3 {
		t.Errorf("%d connections after importing twice, want 3", len(all.Items))
	}

	// A file whose rows all work exits 0.
	ok := writeFile(t, t.TempDir(), "ok.csv", "connector,name,config.base_url,config.token\nhttp-bearer,imp-4,https://four.example.com,"+cliSecret+"\n", 0o600)
	r = ce.ok("connections", "import", ok)
	if !strings.Contains(r.stderr, "import: 1/1 rows") || !strings.Contains(r.stderr, "imported 1 of 1") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	// A cell the schema types (port: integer) that does not parse fails its row without
	// quoting the cell (noSecrets checks the output).
	typed := writeFile(t, t.TempDir(), "typed.csv", "connector_id,connection_name,config.host,config.database,config.user,config.password,config.port\n"+
		"postgres,pg,h,d,u,p,"+cliSecret+"\n", 0o600)
	r = ce.exit(1, "connections", "import", typed)
	if !strings.Contains(r.stderr, "port: the schema wants integer") {
		t.Errorf("typed cell: %q", r.stderr)
	}
	// An unknown column stops it before anything is sent.
	bad := writeFile(t, t.TempDir(), "bad.csv", "connector_id,connection_name,colour\nhttp-bearer,x,red\n", 0o600)
	r = ce.exit(2, "connections", "import", bad)
	if !strings.Contains(r.stderr, `unknown CSV column "colour"`) {
		t.Errorf("bad column: %q", r.stderr)
	}
}

func TestRemoteImportJSON(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	var items []map[string]any
	for i := range 30 {
		items = append(items, map[string]any{"connector_id": "http-bearer", "connection_name": fmt.Sprintf("j%02d", i),
			"config": map[string]any{"base_url": "https://api.example.com", "token": cliSecret}})
	}
	items[7]["config"] = map[string]any{"base_url": "https://api.example.com"} // no token
	raw, _ := json.Marshal(items)
	path := writeFile(t, t.TempDir(), "conns.json", string(raw), 0o600)
	r := ce.exit(1, "connections", "import", path, "-o", "yaml")
	if !strings.Contains(r.stderr, "import: 30/30 rows") || !strings.Contains(r.stderr, "row 8 (j07)") ||
		!strings.Contains(r.stderr, "imported 29 of 30") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	var res []map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &res); err != nil || len(res) != 30 || res[7]["status"] != "failed" || res[0]["status"] != "created" {
		t.Errorf("yaml results: %v %d", err, len(res))
	}

	// Unauthorized stops the import: the rest are not attempted, exit 5.
	ce.token = "sbk_wrong"
	r = ce.exit(exitUnauthorized, "connections", "import", path, "--parallel", "1", "-o", "json")
	var res2 []importResult
	_ = json.Unmarshal([]byte(r.stdout), &res2)
	n := map[string]int{}
	for _, x := range res2 {
		n[x.Status]++
	}
	if n["failed"] != 1 || n["not_attempted"] != 29 {
		t.Errorf("unauthorized import: %v\n%s", n, r.stderr)
	}
	ce.exit(2, "connections", "import", writeFile(t, t.TempDir(), "x.json", `[{"connector_id":"x","secret":"`+cliSecret+`"}]`, 0o600))
}

func TestRemoteConnectors(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	for _, args := range [][]string{{"connectors", "list"}, {"connectors", "list", "--global"}} {
		r := ce.ok(args...)
		if !regexp.MustCompile(`(?m)^http-bearer\s+http-bearer\s+HTTP API \(bearer token\)\s+1\.0\.0\s+yes`).MatchString(r.stdout) {
			t.Errorf("%v:\n%s", args, r.stdout)
		}
	}
	r := ce.ok("connectors", "get", "postgres")
	if !strings.Contains(r.stdout, "secret_fields:") || !strings.Contains(r.stdout, "database*,host*,password*,port,sslmode,user*") {
		t.Errorf("get:\n%s", r.stdout)
	}
	r = ce.ok("connectors", "get", "postgres", "-o", "json", "--global")
	var got any
	_ = json.Unmarshal([]byte(r.stdout), &got)
	if diff := cmp.Diff(ce.apiJSON("/v1/connectors/postgres"), got); diff != "" {
		t.Errorf("get -o json (-api +cli):\n%s", diff)
	}
	ce.ok("connectors", "list", "-o", "yaml")
	ce.exit(exitNotFound, "connectors", "get", "nope")
}

func TestRemoteWebhooks(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	var out, errb syncBuffer
	code := Run(t.Context(), []string{"webhooks", "create", "https://hooks.example.com/in", "--event", "connection.created",
		"--url", ce.url, "--token", ce.token, "-o", "json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("create: %d %s", code, errb.String())
	}
	var ep sbclient.WebhookEndpoint
	if err := json.Unmarshal([]byte(out.String()), &ep); err != nil || !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("create prints the signing secret once: %v", err)
	}
	ce.secrets = append(ce.secrets, ep.Secret) // never again
	if !strings.Contains(errb.String(), "shown only now") {
		t.Errorf("create stderr %q", errb.String())
	}
	r := ce.ok("webhooks", "list")
	if !regexp.MustCompile(ep.ID + `\s+https://hooks.example.com/in\s+connection.created\s+yes`).MatchString(r.stdout) {
		t.Errorf("list:\n%s", r.stdout)
	}
	r = ce.ok("webhooks", "get", ep.ID, "-o", "json")
	var got any
	_ = json.Unmarshal([]byte(r.stdout), &got)
	if diff := cmp.Diff(ce.apiJSON("/v1/workspaces/default/webhook-endpoints/"+ep.ID), got); diff != "" {
		t.Errorf("get -o json (-api +cli):\n%s", diff)
	}
	r = ce.ok("webhooks", "test", ep.ID)
	m := regexp.MustCompile(`id:\s+(msg_\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("test:\n%s", r.stdout)
	}
	r = ce.ok("webhooks", "deliveries", ep.ID)
	if !strings.Contains(r.stdout, m[1]) || !strings.Contains(r.stdout, "EVENT") {
		t.Errorf("deliveries:\n%s", r.stdout)
	}
	ce.ok("webhooks", "deliveries", ep.ID, "-o", "yaml")
	r = ce.ok("webhooks", "rotate-secret", ep.ID, "-o", "json")
	var rot sbclient.WebhookEndpoint
	_ = json.Unmarshal([]byte(r.stdout), &rot) // rot.Secret is new; printing it was asked for
	ce.ok("webhooks", "delete", ep.ID)
	ce.exit(exitNotFound, "webhooks", "get", ep.ID)
	ce.exit(1, "webhooks", "create", "ftp://x")
}

func TestRemoteAPIKeys(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	var out, errb syncBuffer
	code := Run(t.Context(), []string{"apikey", "create", "--remote", "--role", "viewer", "--name", "ci",
		"--url", ce.url, "--token", ce.token}, &out, &errb)
	key := lastLine(out.String())
	if code != 0 || !strings.HasPrefix(key, "sbk_") || !strings.Contains(out.String(), "role: viewer") {
		t.Fatalf("apikey create --remote: exit %d, stderr %q", code, errb.String())
	}
	ce.secrets = append(ce.secrets, key)
	r := ce.ok("apikey", "list")
	m := regexp.MustCompile(`(?m)^(key_\S+)\s+ci\s+viewer`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("list:\n%s", r.stdout)
	}
	// The new key works, then is revoked.
	viewer, _ := sbclient.New(ce.url, key)
	if _, err := viewer.ListConnections(t.Context(), "default", sbclient.ConnectionFilter{}); err != nil {
		t.Fatal(err)
	}
	r = ce.ok("apikey", "revoke", m[1])
	if r.stdout != "revoked "+m[1]+"\n" {
		t.Errorf("revoke: %q", r.stdout)
	}
	if _, err := viewer.ListConnections(t.Context(), "default", sbclient.ConnectionFilter{}); !sbclient.HasCode(err, sbclient.CodeUnauthenticated) {
		t.Errorf("revoked key still works: %v", err)
	}
	r = ce.ok("apikey", "list", "-o", "json")
	var keys []sbclient.APIKey
	_ = json.Unmarshal([]byte(r.stdout), &keys)
	revoked := false
	for _, k := range keys {
		revoked = revoked || (k.ID == m[1] && k.RevokedAt != nil)
	}
	if !revoked {
		t.Errorf("list -o json shows no revoked_at: %s", r.stdout)
	}
	ce.exit(exitNotFound, "apikey", "revoke", "key_nope")
	// A key may not grant more than its caller holds.
	ce.token = key
	ce.exit(exitUnauthorized, "apikey", "create", "--remote", "--role", "owner")
}

func TestRemoteAuditTail(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, ce.create(fmt.Sprintf("a%d", i), nil).ID)
	}
	r := ce.ok("audit", "tail", "--lines", "2", "--action", "connection.create")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[0], ids[1]) || !strings.Contains(lines[1], ids[2]) {
		t.Errorf("tail -n 2:\n%s", r.stdout)
	}
	r = ce.ok("audit", "list", "--action", "connection.create", "-o", "json")
	var evs []sbclient.AuditEvent
	_ = json.Unmarshal([]byte(r.stdout), &evs)
	if len(evs) != 3 || evs[0].ObjectID != ids[0] {
		t.Errorf("audit list -o json: %d events", len(evs))
	}
	r = ce.ok("audit", "list", "--limit", "1")
	if !strings.Contains(r.stderr, "--page-token") {
		t.Errorf("audit list --limit 1: no next page on stderr")
	}

	// --follow prints an event made after it started, then stops when its context ends
	// (SIGINT in the binary) with exit 0.
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"audit", "tail", "--follow", "--interval", "100ms", "-o", "json",
			"--url", ce.url, "--token", ce.token}, &out, &errb)
	}()
	waitFor(t, 10*time.Second, "the first events", func() bool { return strings.Contains(out.String(), ids[2]) })
	fresh := ce.create("fresh", nil)
	waitFor(t, 10*time.Second, "the new event", func() bool { return strings.Contains(out.String(), fresh.ID) })
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("tail --follow stopped with exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail --follow did not stop")
	}
	// One JSON object per line, each event once.
	seen := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var ev sbclient.AuditEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		seen[ev.ID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s printed %d times", id, n)
		}
	}
	ce.noSecrets([]string{"audit tail"}, out.String(), errb.String())

	viewer := ce.e.Key(t, "default", switchboard.RoleViewer)
	ce.secrets = append(ce.secrets, viewer)
	ce.token = viewer
	ce.exit(exitUnauthorized, "audit", "tail")
}

// TestRemoteAuditTailSIGINT: the binary's tail --follow ends on Ctrl-C with exit 0.
func TestRemoteAuditTailSIGINT(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	conn := ce.create("crm", nil)
	p := start(t, "", []string{"SWITCHBOARD_URL=" + ce.url, "SWITCHBOARD_TOKEN=" + ce.token},
		"audit", "tail", "-f", "--interval", "100ms")
	waitFor(t, 30*time.Second, "the tail's first lines", func() bool { return strings.Contains(p.stdout.String(), conn.ID) })
	later := ce.create("later", nil)
	waitFor(t, 10*time.Second, "the new event", func() bool { return strings.Contains(p.stdout.String(), later.ID) })
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGINT: %s", code, p.stderr.String())
	}
	ce.noSecrets([]string{"audit tail -f"}, p.stdout.String(), p.stderr.String())
}

func TestRemoteKeysStatus(t *testing.T) {
	t.Parallel()
	ce := newCLIEnv(t)
	ce.create("sealed", nil)
	r := ce.ok("keys", "status", "--remote")
	if !regexp.MustCompile(`(?m)^active: \S+\nkey \S+: 1 data keys\nre-wrap: 1/1 done, 0 remaining\n$`).MatchString(r.stdout) {
		t.Errorf("keys status --remote:\n%s", r.stdout)
	}
	r = ce.ok("keys", "status", "--remote", "-o", "json")
	var got any
	_ = json.Unmarshal([]byte(r.stdout), &got)
	if diff := cmp.Diff(ce.apiJSON("/v1/keyring"), got); diff != "" {
		t.Errorf("-o json (-api +cli):\n%s", diff)
	}
	ce.token = ce.e.Key(t, "default", switchboard.RoleAdmin)
	ce.secrets = append(ce.secrets, ce.token)
	ce.exit(exitUnauthorized, "keys", "status", "--remote")
}
