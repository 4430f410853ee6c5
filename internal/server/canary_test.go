package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The canary scan puts unique secret values ("canaries") into every kind of secret field
// through the API, then checks that each one shows up only in the bodies of the credentials
// endpoint: in no other response body or header, no log line, and nowhere in the database
// files (SQLite main file, WAL and shared memory) or tables (PostgreSQL), in clear, base64 or
// hex.

// Upper-case consonants: ids and request ids are lower case, and no word a response holds
// (PENDING, PATCH, DELETE, ...) can match five letters of a canary.
const canaryAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newCanary returns "canary-" and 24 random upper-case consonants.
func newCanary(t testing.TB) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = canaryAlphabet[int(b[i])%len(canaryAlphabet)]
	}
	return "canary-" + string(b)
}

// canaryForms returns the encodings of c to look for: itself, hex (both cases) and base64
// (standard and URL alphabets) at each of the three byte alignments it may have inside a
// longer encoded value.
func canaryForms(c string) []string {
	out := []string{c, hex.EncodeToString([]byte(c)), strings.ToUpper(hex.EncodeToString([]byte(c)))}
	for k := 0; k < 3; k++ {
		s := base64.StdEncoding.EncodeToString(append(make([]byte, k), c...))
		start := 0
		if k > 0 {
			start = 4 // the first group mixes in the alignment bytes
		}
		s = s[start : len(s)-4] // the last group may be partial or padded
		out = append(out, s, strings.NewReplacer("+", "-", "/", "_").Replace(s))
	}
	return out
}

// exchange is one recorded request and its response.
type exchange struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

// credentialsRead reports whether the exchange is a successful read of the credentials
// endpoint: the only place a secret may appear in clear.
func (x exchange) credentialsRead() bool {
	return x.method == "GET" && x.status == http.StatusOK &&
		strings.Contains(x.path, "/connections/") && strings.HasSuffix(strings.SplitN(x.path, "?", 2)[0], "/credentials")
}

type recorder struct {
	e   *testenv.Env
	log []exchange
}

func (r *recorder) do(t testing.TB, method, path, token string, body any, headers ...string) *testenv.Response {
	t.Helper()
	resp := r.e.Do(t, method, path, token, body, headers...)
	r.log = append(r.log, exchange{method: method, path: path, status: resp.Status, header: resp.Header, body: resp.Body})
	return resp
}

func (r *recorder) want(t testing.TB, status int, method, path, token string, body any, headers ...string) map[string]any {
	t.Helper()
	resp := r.do(t, method, path, token, body, headers...)
	if resp.Status != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.Status, resp.Body, status)
	}
	if status == http.StatusNoContent || len(resp.Body) == 0 {
		return nil
	}
	return resp.Map(t)
}

// lockedBuffer collects what the process-wide slog default logs during the test (the error
// path of httpx logs there, not to the server's logger).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCanarySecretsNeverLeak(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			global := &lockedBuffer{}
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewTextHandler(global, &slog.HandlerOptions{Level: slog.LevelDebug})))
			t.Cleanup(func() { slog.SetDefault(prev) })

			e := testenv.New(t, d)
			rec := &recorder{e: e}
			own := e.OwnerKey
			const ws = "/v1/workspaces/default"
			canaries := map[string]string{} // canary -> where it was put
			canary := func(where string) string {
				c := newCanary(t)
				canaries[c] = where
				return c
			}

			// A reusable credential, referenced by the kafka connection.
			credKey, credUser := canary("credential data.api_key"), canary("credential data.extra")
			cred := rec.want(t, 201, "POST", ws+"/credentials", own, map[string]any{
				"name": "partner", "type": "api_key", "data": map[string]string{"api_key": credKey, "extra": credUser},
			})
			credID := cred["id"].(string)

			kafkaPass, kafkaKS := canary("kafka password"), canary("kafka keyStorePassword")
			kafka := rec.want(t, 201, "POST", ws+"/connections", own, map[string]any{
				"connector_id": "kafka", "connection_name": "events",
				"config": map[string]any{
					"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": kafkaPass, "keyStorePassword": kafkaKS,
				},
				"credentials": map[string]any{"action": []string{credID}},
			}, "Idempotency-Key", "idem-kafka-1")
			kafkaID := kafka["id"].(string)
			// A retried create replays the first result (masked as well).
			rec.want(t, 201, "POST", ws+"/connections", own, map[string]any{
				"connector_id": "kafka", "connection_name": "events",
				"config": map[string]any{
					"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": kafkaPass, "keyStorePassword": kafkaKS,
				},
				"credentials": map[string]any{"action": []string{credID}},
			}, "Idempotency-Key", "idem-kafka-1")

			bearerTok := canary("http-bearer token")
			bearer := rec.want(t, 201, "POST", ws+"/connections", own, map[string]any{
				"connector_id": "http-bearer", "connection_name": "api",
				"config": map[string]any{"base_url": "https://api.example.com", "token": bearerTok},
			})
			bearerID := bearer["id"].(string)

			slashKey, slashAcct, slashHook := canary("slash slashApiKey"), canary("slash slashAccountId"), canary("slash slashWebhookSecret")
			slash := rec.want(t, 201, "POST", ws+"/connections", own, map[string]any{
				"connector_id": "slash", "connection_name": "bank",
				"config": map[string]any{
					"partnerEndpoint": "https://partner.example.com/slash", "slashApiBaseUrl": "https://api.slash.com",
					"slashApiKey": slashKey, "slashAccountId": slashAcct, "slashWebhookSecret": slashHook,
				},
			})
			slashID := slash["id"].(string)

			// Updates with new canaries: a connection secret and a credential value.
			kafkaPass2 := canary("kafka password (patched)")
			patched := rec.want(t, 200, "PATCH", ws+"/connections/"+kafkaID, own, map[string]any{
				"config": map[string]any{"password": kafkaPass2},
			})
			// Sending back the mask keeps the secret.
			rec.want(t, 200, "PATCH", ws+"/connections/"+kafkaID, own, map[string]any{
				"config":      map[string]any{"keyStorePassword": switchboard.MaskTail(kafkaKS)},
				"description": "mask round trip",
			})
			credKey2 := canary("credential data.api_key (patched)")
			rec.want(t, 200, "PATCH", ws+"/credentials/"+credID, own, map[string]any{"data": map[string]any{"api_key": credKey2}})

			// Validation errors with canaries in secret fields: none of these is stored.
			bad := []struct {
				method, path string
				body         any
				status       int
				headers      []string
			}{
				{"POST", ws + "/connections", map[string]any{"connector_id": "stripe", "connection_name": "pay",
					"config": map[string]any{"secret_key": "sk_test_" + canary("stripe secret_key (bad pattern)")}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "stripe", "connection_name": "pay",
					"config": map[string]any{"secret_key": "sk_test_abc", "webhook_secret": canary("stripe webhook_secret (bad pattern)")}}, 400,
					[]string{"Accept-Language", "zh"}},
				{"POST", ws + "/connections", map[string]any{"connector_id": "http-bearer", "connection_name": "api2",
					"config": map[string]any{"base_url": 42, "token": canary("http-bearer token next to wrong type")}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "http-bearer", "connection_name": 42,
					"config": map[string]any{"base_url": "https://x.example.com", "token": canary("token next to wrong-typed name")}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "http-bearer", "connection_name": "api3",
					"config": map[string]any{"base_url": "https://x.example.com", "token": canary("token with space") + " x"}}, 400,
					[]string{"Accept-Language", "ja"}},
				{"POST", ws + "/connections", map[string]any{"connector_id": "kafka", "connection_name": "k2",
					"config": map[string]any{"kafkaAddr": "k:9092", "password": canary("kafka password without userName")}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "kafka", "connection_name": "k3",
					"config": map[string]any{"kafkaAddr": "k:9092", "userName": "u", "password": canary("kafka password next to unknown field"), "topic": "t"}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "slash", "connection_name": "bank2",
					"config": map[string]any{"partnerEndpoint": "https://p.example.com", "slashApiBaseUrl": "https://api.slash.com",
						"slashApiKey": 42, "slashAccountId": canary("slash account next to wrong-typed key"), "slashWebhookSecret": canary("slash hook next to wrong-typed key")}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "no-such", "connection_name": "x",
					"config": map[string]any{"token": canary("token for unknown connector")}}, 400, nil},
				{"POST", ws + "/connections", `{"connector_id":"http-bearer","connection_name":"x","config":{"token":"` +
					canary("token in malformed JSON") + `"`, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "http-bearer", "connection_name": "x", "tokn": canary("value of unknown top-level field"),
					"config": map[string]any{"base_url": "https://x.example.com", "token": canary("token next to unknown field")}}, 400, nil},
				{"POST", ws + "/connections", map[string]any{"connector_id": "http-bearer", "connection_name": "api",
					"config": map[string]any{"base_url": "https://api.example.com", "token": canary("token of duplicate name")}}, 409, nil},
				{"PATCH", ws + "/connections/" + bearerID, map[string]any{"config": map[string]any{"token": canary("patched token with space") + " x"}}, 400, nil},
				{"PATCH", ws + "/connections/" + bearerID, map[string]any{"config": map[string]any{"token": canary("patched token, stale If-Match")}}, 412,
					[]string{"If-Match", `"999"`}},
				{"PATCH", ws + "/connections/" + bearerID, map[string]any{"config": map[string]any{"token": canary("patched token, wrong-typed field")}, "enabled": "yes"}, 400, nil},
				{"PATCH", ws + "/connections/" + bearerID, map[string]any{"secret": canary("patched unknown field")}, 400, nil},
				{"POST", ws + "/credentials", map[string]any{"name": "c2", "type": "nope", "data": map[string]string{"api_key": canary("credential of bad type")}}, 400, nil},
				{"POST", ws + "/credentials", map[string]any{"name": "c3", "type": "basic", "data": map[string]string{"password": canary("basic credential without username")}}, 400, nil},
				{"POST", ws + "/credentials", map[string]any{"name": "partner", "type": "bearer", "data": map[string]string{"token": canary("credential of duplicate name")}}, 409, nil},
				{"PATCH", ws + "/credentials/" + credID, map[string]any{"name": " ", "data": map[string]any{"api_key": canary("credential patch with blank name")}}, 400, nil},
				{"PATCH", ws + "/credentials/" + credID, map[string]any{"data": map[string]any{"api_key": canary("credential patch, stale If-Match")}}, 412,
					[]string{"If-Match", `"999"`}},
				{"POST", ws + "/connections", `{"connector_id":"http-bearer","connection_name":"big","config":{"base_url":"https://x.example.com","token":"` +
					canary("token in an oversized body") + strings.Repeat("A", 1<<20) + `"}}`, 413, nil},
			}
			for _, b := range bad {
				r := rec.do(t, b.method, b.path, own, b.body, b.headers...)
				if r.Status != b.status {
					t.Errorf("%s %s: %d %s, want %d", b.method, b.path, r.Status, r.Body, b.status)
				}
			}

			// Reads, as the owner and as a viewer.
			viewer := e.Key(t, "default", switchboard.RoleViewer)
			for _, tok := range []string{own, viewer} {
				rec.want(t, 200, "GET", ws+"/connections?page_size=100", tok, nil)
				rec.want(t, 200, "GET", ws+"/connections?connector_id=kafka", tok, nil)
				rec.want(t, 200, "GET", ws+"/credentials", tok, nil)
				rec.want(t, 200, "GET", ws+"/credentials/"+credID, tok, nil)
				for _, id := range []string{kafkaID, bearerID, slashID} {
					rec.want(t, 200, "GET", ws+"/connections/"+id, tok, nil)
					rec.want(t, 200, "GET", ws+"/connections/"+id+"/usages", tok, nil)
				}
			}
			// The credentials endpoint without the scope: refused, and without secrets.
			rec.want(t, 403, "GET", ws+"/connections/"+kafkaID+"/credentials", viewer, nil)
			rec.want(t, 200, "GET", ws+"/audit?page_size=1000", own, nil)
			rec.want(t, 200, "GET", ws+"/connectors", own, nil)
			if r := rec.do(t, "GET", "/metrics", own, nil); r.Status != http.StatusOK {
				t.Errorf("metrics: %d", r.Status)
			}

			// The credentials endpoint, once per connection: the only place secrets appear.
			scoped := e.Key(t, "default", switchboard.RoleViewer, switchboard.ScopeCredentialsRead)
			credsOf := map[string][]byte{}
			for _, id := range []string{kafkaID, bearerID, slashID} {
				r := rec.do(t, "GET", ws+"/connections/"+id+"/credentials", scoped, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("credentials of %s: %d %s", id, r.Status, r.Body)
				}
				credsOf[id] = r.Body
			}
			// Positive control: the scan looks for what really is there.
			for id, want := range map[string][]string{
				kafkaID:  {kafkaPass2, kafkaKS, credKey2, credUser},
				bearerID: {bearerTok},
				slashID:  {slashKey, slashAcct, slashHook},
			} {
				for _, c := range want {
					if !bytes.Contains(credsOf[id], []byte(c)) {
						t.Errorf("credentials of %s lack %s (%s): %s", id, c, canaries[c], credsOf[id])
					}
				}
			}
			// Masks: "****" + the last 4 characters, nothing more.
			cfg := patched["config"].(map[string]any)
			if got, want := cfg["password"], "****"+kafkaPass2[len(kafkaPass2)-4:]; got != want {
				t.Errorf("patched kafka password renders %v, want %v", got, want)
			}
			if got, want := cfg["keyStorePassword"], "****"+kafkaKS[len(kafkaKS)-4:]; got != want {
				t.Errorf("kafka keyStorePassword renders %v, want %v", got, want)
			}

			// The scan.
			for _, x := range rec.log {
				var hdr bytes.Buffer
				_ = x.header.Write(&hdr)
				for c, where := range canaries {
					for _, f := range canaryForms(c) {
						if bytes.Contains(hdr.Bytes(), []byte(f)) {
							t.Errorf("%s %s: canary of %s in a response header (form %q)", x.method, x.path, where, f)
						}
						if !x.credentialsRead() && bytes.Contains(x.body, []byte(f)) {
							t.Errorf("%s %s (%d): canary of %s in the response body (form %q): %.300s", x.method, x.path, x.status, where, f, x.body)
						}
					}
					if !x.credentialsRead() {
						// The only partial form allowed is the mask's last 4 characters: no 5
						// consecutive characters of the random part show up anywhere.
						rnd := strings.TrimPrefix(c, "canary-")
						for i := 0; i+5 <= len(rnd); i++ {
							if bytes.Contains(x.body, []byte(rnd[i:i+5])) {
								t.Errorf("%s %s: %q of the canary of %s (chars %d..%d) in the body: %.300s", x.method, x.path, rnd[i:i+5], where, i, i+5, x.body)
								break
							}
						}
					}
				}
			}
			logs := e.Logs() + global.String()
			if !strings.Contains(logs, "request") {
				t.Errorf("the server logged nothing; the log scan would prove nothing")
			}
			scanFor(t, "server log", []byte(logs), canaries)

			switch d {
			case "sqlite":
				files, err := filepath.Glob(e.DBPath + "*")
				if err != nil {
					t.Fatal(err)
				}
				var all []byte
				for _, f := range files {
					b, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					scanFor(t, filepath.Base(f), b, canaries)
					all = append(all, b...)
				}
				if !bytes.Contains(all, []byte(kafkaID)) || !bytes.Contains(all, []byte("10.0.0.1:9092")) {
					t.Errorf("the connection is not in %v: the file scan would prove nothing", files)
				}
				t.Logf("scanned %d exchanges x %d canaries, logs, %d SQLite files (%d bytes)", len(rec.log), len(canaries), len(files), len(all))
			case "postgres":
				dump := dumpPostgresSchema(t, kafkaID)
				scanFor(t, "postgres tables", dump, canaries)
				if !bytes.Contains(dump, []byte("10.0.0.1:9092")) {
					t.Errorf("the connection's config is not in the dump: the scan would prove nothing")
				}
				t.Logf("scanned %d exchanges x %d canaries, logs, postgres tables (%d bytes)", len(rec.log), len(canaries), len(dump))
			}
		})
	}
}

// scanFor fails when any form of any canary is in b.
func scanFor(t testing.TB, what string, b []byte, canaries map[string]string) {
	t.Helper()
	for c, where := range canaries {
		for _, f := range canaryForms(c) {
			if i := bytes.Index(b, []byte(f)); i >= 0 {
				lo, hi := max(0, i-80), min(len(b), i+len(f)+80)
				t.Errorf("%s: canary of %s (form %q) at offset %d: %q", what, where, f, i, b[lo:hi])
			}
		}
	}
}

// dumpPostgresSchema finds the test schema holding connection id (testenv makes a schema per
// test and does not tell which) and returns every row of every table in it, as text.
func dumpPostgresSchema(t testing.TB, connectionID string) []byte {
	t.Helper()
	base := os.Getenv(postgres.TestDSNEnv)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT table_schema FROM information_schema.tables
		WHERE table_name = 'connections' AND table_schema LIKE 'sbtest\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var schema string
	for _, s := range schemas {
		var n int
		// Other tests' schemas come and go: an error here means "not this one".
		err := conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{s, "connections"}.Sanitize()+` WHERE id = $1`, connectionID).Scan(&n)
		if err == nil && n > 0 {
			if schema != "" {
				t.Fatalf("connection %s in two schemas: %s and %s", connectionID, schema, s)
			}
			schema = s
		}
	}
	if schema == "" {
		t.Fatalf("no test schema holds connection %s (looked at %d)", connectionID, len(schemas))
	}
	rows, err = conn.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{schema, tbl}.Sanitize()+` t`)
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		fmt.Fprintf(&dump, "== %s (%d rows)\n%s\n", tbl, len(lines), strings.Join(lines, "\n"))
	}
	if len(tables) < 5 {
		t.Fatalf("schema %s has only tables %v", schema, tables)
	}
	return dump.Bytes()
}
