package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every acknowledged write survives kill -9 (Jepsen-lite): 8 writers create, update and delete
// connections with secrets against the real binary and record each acknowledged (2xx) answer;
// the server is SIGKILLed 100–600 ms into the load and started again on the same database;
// then every acknowledged create and update must be there with the acknowledged revision and
// contents and a token that decrypts to the value written, every acknowledged delete gone,
// and (SQLite) PRAGMA integrity_check ok on the file the dead process left. A write cut off
// by the kill was never acknowledged, so it may go either way — but only either way: its
// connection is found either as it was before or as the write left it.
//
// CI: 25 cycles per driver; SWITCHBOARD_SOAK=1: 500, as 20 runs of 25 cycles each on a
// fresh database (every acknowledged write adds an audit event, and integrity_check reads
// the whole file: one database for 500 cycles would make each check slower than the cycle).
func TestCrashAcknowledgedWritesSurvive(t *testing.T) {
	subprocessOnly(t)
	const perDatabase = 25
	databases := 1
	if soak() {
		databases = 20
	}
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			var tally crashTally
			for i := range databases {
				b := &backend{driver: driver, dataDir: filepath.Join(t.TempDir(), "data")}
				if driver == "postgres" {
					// A database of its own, named by a URL whatever names the test server
					// (serve takes URLs only), dropped when the test ends.
					b.dsn = throwawayDatabase(t)
				}
				crashCycles(t, b, perDatabase, &tally)
				if databases > 1 {
					t.Logf("database %d/%d: %d cycles, %d acknowledged writes, %d lost so far", i+1, databases, tally.cycles, tally.acked, tally.lost)
				}
			}
			figure(t, driver+"_crash_cycles", tally.cycles)
			figure(t, driver+"_acknowledged_writes", tally.acked)
			figure(t, driver+"_acknowledged_writes_lost", tally.lost)
			figure(t, driver+"_connections_verified", tally.verified)
			figure(t, driver+"_unreadable_rows_after_crash", tally.halfRows)
			if driver == "sqlite" {
				figure(t, "sqlite_integrity_failures", tally.integrityFailures)
			}
			figure(t, driver+"_restart_to_listening_p50_ms", percentile(tally.restarts, 50).Milliseconds())
			figure(t, driver+"_restart_to_listening_p99_ms", percentile(tally.restarts, 99).Milliseconds())
		})
	}
}

// crashTally adds up the crash cycles of a driver.
type crashTally struct {
	cycles, acked, lost, integrityFailures, verified, halfRows int
	restarts                                                   []time.Duration
}

// connState is what a connection holds after a write: its revision, description and token.
type connState struct {
	rev         int64
	description string
	token       string
}

// tracked is one connection a writer made, as the acknowledged answers describe it.
type tracked struct {
	id      string
	acked   connState
	deleted bool // an acknowledged delete
	// An unacknowledged write (the one the kill cut off): the connection may be found as it
	// left it instead.
	maybe        *connState
	maybeDeleted bool
}

// crashWriter is one of the writers; it owns its connections, so no other writer races it.
type crashWriter struct {
	n     int
	live  []*tracked
	gone  []*tracked // acknowledged deletes
	seq   int
	acked int
	// unexpected answers (an HTTP status other than the success one) while the server ran
	unexpected []string
}

const crashWriters = 8

func crashCycles(t *testing.T, b *backend, cycles int, tally *crashTally) {
	var app string
	if b.dsn != "" {
		app = fmt.Sprintf("sbcrash_%x", rand.Uint64())
		b.dsn = withApplicationName(t, b.dsn, app)
	}
	// killed kills serve and, on PostgreSQL, waits until the server has finished with the dead
	// process's sessions: a COMMIT already sent may still be applied after the kill, and the
	// checks of the next cycle must see it (it is an unacknowledged write, which may go
	// either way, not one that lands after it was found absent).
	killed := func(p *proc) {
		p.kill()
		if app != "" {
			waitSessionsGone(t, b.dsn, app)
		}
	}
	first := serveQuiet(t, b)
	owner := parseBootstrap(t, first.stderr.String()).key
	killed(first)
	writers := make([]*crashWriter, crashWriters)
	for i := range writers {
		writers[i] = &crashWriter{n: i}
	}
	acked := 0
	for cycle := range cycles {
		began := time.Now()
		p := serveQuiet(t, b)
		tally.restarts = append(tally.restarts, time.Since(began))
		c := httpClient(10 * time.Second)

		// Verify what the previous cycle's kill left, before any new write.
		tally.lost += verifyCrash(t, c, p.base, owner, writers, &tally.verified, &tally.halfRows)
		if t.Failed() {
			killed(p)
			t.Fatalf("cycle %d: acknowledged writes lost (see above)", cycle)
		}

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, w := range writers {
			wg.Go(func() { w.run(ctx, c, p.base, owner) })
		}
		time.Sleep(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		killed(p)
		cancel()
		wg.Wait()
		c.CloseIdleConnections()
		for _, w := range writers {
			for _, u := range w.unexpected {
				t.Errorf("cycle %d writer %d: %s", cycle, w.n, u)
			}
			w.unexpected = nil
		}
		if b.driver == "sqlite" {
			if got := integrityCheck(t, filepath.Join(b.dataDir, "switchboard.db")); got != "ok" {
				tally.integrityFailures++
				t.Errorf("cycle %d: integrity_check: %s", cycle, got)
			}
		}
	}
	// The last kill's writes.
	p := serveQuiet(t, b)
	c := httpClient(10 * time.Second)
	tally.lost += verifyCrash(t, c, p.base, owner, writers, &tally.verified, &tally.halfRows)
	p.stop()
	for _, w := range writers {
		acked += w.acked
	}
	tally.cycles += cycles
	tally.acked += acked
	if acked < cycles*crashWriters {
		t.Errorf("only %d writes acknowledged in %d cycles: the load did not run", acked, cycles)
	}
}

// run writes until ctx is done or a write goes unanswered (the server was killed): that one
// is recorded as a write that may or may not have happened, and the writer stops.
func (w *crashWriter) run(ctx context.Context, c *http.Client, base, owner string) {
	const maxLive = 6
	coll := base + "/v1/workspaces/default/connections"
	for ctx.Err() == nil {
		w.seq++
		op := rand.IntN(100)
		switch {
		case len(w.live) < 2 || (op < 35 && len(w.live) < maxLive):
			st := connState{rev: 1, description: fmt.Sprintf("w%d-%d", w.n, w.seq), token: fmt.Sprintf("tok-w%d-%d-%x", w.n, w.seq, rand.Uint64())}
			r := send(ctx, c, "POST", coll, owner, map[string]any{
				"connector_id": "http-bearer", "connection_name": fmt.Sprintf("crash-w%d-%d-%x", w.n, w.seq, rand.Uint32()),
				"description": st.description,
				"config":      map[string]any{"base_url": "https://api.example.com", "token": st.token},
			})
			if r.err != nil {
				return // an unacknowledged create: its connection may exist, untracked
			}
			if r.status != http.StatusCreated {
				w.unexpected = append(w.unexpected, "create: "+r.describe())
				return
			}
			m := r.json()
			id, _ := m["id"].(string)
			rev, _ := m["revision"].(float64)
			if id == "" {
				w.unexpected = append(w.unexpected, "create: no id")
				return
			}
			st.rev = int64(rev)
			w.live = append(w.live, &tracked{id: id, acked: st})
			w.acked++
		case op < 80:
			tr := w.live[rand.IntN(len(w.live))]
			st := connState{rev: tr.acked.rev + 1, description: fmt.Sprintf("w%d-%d", w.n, w.seq), token: fmt.Sprintf("tok-w%d-%d-%x", w.n, w.seq, rand.Uint64())}
			r := send(ctx, c, "PATCH", coll+"/"+tr.id, owner, map[string]any{
				"description": st.description, "config": map[string]any{"token": st.token},
			})
			if r.err != nil {
				tr.maybe = &st
				return
			}
			if r.status != http.StatusOK {
				w.unexpected = append(w.unexpected, "update: "+r.describe())
				return
			}
			rev, _ := r.json()["revision"].(float64)
			st.rev = int64(rev)
			tr.acked = st
			w.acked++
		default:
			i := rand.IntN(len(w.live))
			tr := w.live[i]
			r := send(ctx, c, "DELETE", coll+"/"+tr.id, owner, nil)
			if r.err != nil {
				tr.maybeDeleted = true
				return
			}
			if r.status != http.StatusNoContent {
				w.unexpected = append(w.unexpected, "delete: "+r.describe())
				return
			}
			tr.deleted = true
			w.live = append(w.live[:i], w.live[i+1:]...)
			w.gone = append(w.gone, tr)
			w.acked++
		}
	}
}

// verifyCrash checks every writer's connections against what was acknowledged, settles the
// writes the kill cut off (as found), counts the listed connections that do not read whole
// in halfRows, and returns how many acknowledged writes were lost.
func verifyCrash(t *testing.T, c *http.Client, base, owner string, writers []*crashWriter, verified, halfRows *int) int {
	t.Helper()
	ctx := context.Background()
	coll := base + "/v1/workspaces/default/connections"
	lost := 0
	for _, w := range writers {
		live := w.live[:0]
		for _, tr := range w.live {
			*verified++
			r := send(ctx, c, "GET", coll+"/"+tr.id, owner, nil)
			switch {
			case r.err != nil:
				t.Fatalf("get %s after restart: %v", tr.id, r.err)
			case r.status == http.StatusNotFound && tr.maybeDeleted:
				// The unacknowledged delete happened.
				tr.deleted, tr.maybeDeleted, tr.maybe = true, false, nil
				w.gone = append(w.gone, tr)
				continue
			case r.status == http.StatusNotFound:
				lost++
				t.Errorf("writer %d: connection %s (acknowledged at revision %d) is gone", w.n, tr.id, tr.acked.rev)
				continue
			case r.status != http.StatusOK:
				t.Fatalf("get %s after restart: %s", tr.id, r.describe())
			}
			m := r.json()
			rev, _ := m["revision"].(float64)
			desc, _ := m["description"].(string)
			found := connState{rev: int64(rev), description: desc}
			want := tr.acked
			if tr.maybe != nil && found.rev > tr.acked.rev && found.description == tr.maybe.description {
				want = *tr.maybe // the unacknowledged update happened
			}
			if found.rev != want.rev || found.description != want.description {
				lost++
				t.Errorf("writer %d: connection %s is at revision %d %q, acknowledged %d %q", w.n, tr.id, found.rev, found.description, tr.acked.rev, tr.acked.description)
				live = append(live, tr)
				continue
			}
			cr := send(ctx, c, "GET", coll+"/"+tr.id+"/credentials", owner, nil)
			if cr.err != nil || cr.status != http.StatusOK {
				t.Fatalf("credentials of %s after restart: %s", tr.id, cr.describe())
			}
			cfg, _ := cr.json()["config"].(map[string]any)
			if tok, _ := cfg["token"].(string); tok != want.token {
				lost++
				// Never the values: they are secrets of the test, but secrets all the same.
				t.Errorf("writer %d: connection %s at revision %d: its token does not decrypt to the value written", w.n, tr.id, found.rev)
			}
			tr.acked, tr.maybe, tr.maybeDeleted = want, nil, false
			live = append(live, tr)
		}
		w.live = live
	}
	// Acknowledged deletes stay deleted: none of them is in the list.
	present := map[string]bool{}
	token := ""
	for {
		url := coll + "?page_size=1000"
		if token != "" {
			url += "&page_token=" + token
		}
		r := send(ctx, c, "GET", url, owner, nil)
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("list after restart: %s", r.describe())
		}
		m := r.json()
		items, _ := m["items"].([]any)
		for _, it := range items {
			if o, ok := it.(map[string]any); ok {
				id, _ := o["id"].(string)
				present[id] = true
				// No half-written row, tracked or not (an unacknowledged create is in the
				// list untracked): every one reads whole.
				if unreadable, _ := o["unreadable"].(bool); unreadable {
					*halfRows++
					t.Errorf("connection %s is unreadable after the restart", id)
				}
			}
		}
		token, _ = m["next_page_token"].(string)
		if token == "" {
			break
		}
	}
	for _, w := range writers {
		for _, tr := range w.gone {
			if present[tr.id] {
				lost++
				t.Errorf("writer %d: connection %s was deleted (acknowledged) and is back", w.n, tr.id)
			}
		}
	}
	return lost
}

// withApplicationName names the sessions of a DSN (a URL or key=value settings), so the test
// can find the ones a killed serve left.
func withApplicationName(t *testing.T, dsn, name string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return strings.TrimSpace(dsn + " application_name=" + name)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// waitSessionsGone waits (at most 30 s) until PostgreSQL has no session named app left but
// the one asking.
func waitSessionsGone(t *testing.T, dsn, app string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	for {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n)
		if err != nil {
			t.Fatalf("sessions of the killed serve: %v", err)
		}
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
