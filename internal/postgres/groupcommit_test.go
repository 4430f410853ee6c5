package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/storetest"
)

// modes are the two ways a Store can run its writes: Open's (one transaction each) and
// group commit, kept to measure one against the other (BenchmarkGroupCommit).
var modes = []struct {
	name    string
	batched bool
}{{"per-request", false}, {"batched", true}}

type gcFixture struct {
	s      *Store
	dsn    string
	tenant *sb.Tenant
	ws     *sb.Workspace
}

func newGCFixture(tb testing.TB, batched bool) *gcFixture {
	tb.Helper()
	dsn := TestDSN(tb)
	s, err := open(context.Background(), dsn, batched)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	f := &gcFixture{s: s, dsn: dsn}
	f.tenant, f.ws = storetest.NewTenancy(tb, s)
	return f
}

// connection returns a new connection named name, and the audit event of its creation.
func (f *gcFixture) connection(name string) (*sb.Connection, *sb.AuditEvent) {
	return storetest.NewConnection(f.tenant, f.ws, name)
}

func (f *gcFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.s.pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// holdWriter keeps a batched store's writer busy until release is called, so the writes
// submitted meanwhile queue up and share the next batch.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, unblock, errc := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		errc <- s.inTx(context.Background(), nil, func(pgx.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	return func() {
		close(unblock)
		if err := <-errc; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.writer.Pending() < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d writes queued after 10s", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitConcurrentCreates checks 64 concurrent writers' creates are all stored and
// each is visible, from a connection of its own, once acknowledged; batched, they share
// commits.
func TestGroupCommitConcurrentCreates(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			f := newGCFixture(t, m.batched)
			fresh, err := pgx.Connect(t.Context(), f.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close(context.Background())
			var freshMu sync.Mutex
			const goroutines, each = 64, 5
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						c, ev := f.connection(fmt.Sprintf("c-%d-%d", g, i))
						if err := f.s.CreateConnection(t.Context(), c, ev); err != nil {
							t.Errorf("CreateConnection: %v", err)
							return
						}
						var n int
						freshMu.Lock()
						err := fresh.QueryRow(t.Context(), `SELECT count(*) FROM connections WHERE id = $1`, c.ID).Scan(&n)
						freshMu.Unlock()
						if err != nil || n != 1 {
							t.Errorf("acknowledged create %s seen %d times by another connection (%v)", c.Name, n, err)
						}
					}
				})
			}
			wg.Wait()
			if n := f.count(t, `SELECT count(*) FROM connections`); n != goroutines*each {
				t.Errorf("%d connections stored, want %d", n, goroutines*each)
			}
			if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'connection.create'`); n != goroutines*each {
				t.Errorf("%d audit events stored, want %d", n, goroutines*each)
			}
			batches, writes := f.s.WriteStats()
			t.Logf("%d writes in %d transactions", writes, batches)
			if m.batched && batches >= writes {
				t.Errorf("%d writes took %d transactions: no commit was shared", writes, batches)
			}
		})
	}
}

// TestGroupCommitBadWritesFailAlone checks that in one burst each duplicate fails with its
// own conflict while the good creates around it are stored with their audit events.
func TestGroupCommitBadWritesFailAlone(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			f := newGCFixture(t, m.batched)
			for i := range 8 {
				c, ev := f.connection(fmt.Sprint("taken-", i))
				if err := f.s.CreateConnection(t.Context(), c, ev); err != nil {
					t.Fatal(err)
				}
			}
			type attempt struct {
				c   *sb.Connection
				ev  *sb.AuditEvent
				bad bool
				err error
			}
			var attempts []*attempt
			for i := range 64 {
				a := &attempt{bad: i%8 == 3}
				if a.bad {
					a.c, a.ev = f.connection(fmt.Sprint("taken-", i/8))
				} else {
					a.c, a.ev = f.connection(fmt.Sprint("new-", i))
				}
				attempts = append(attempts, a)
			}
			release := func() {}
			if m.batched {
				release = holdWriter(t, f.s)
			}
			var wg sync.WaitGroup
			for _, a := range attempts {
				wg.Go(func() { a.err = f.s.CreateConnection(t.Context(), a.c, a.ev) })
			}
			if m.batched {
				waitQueued(t, f.s, len(attempts))
			}
			release()
			wg.Wait()
			for _, a := range attempts {
				stored := f.count(t, `SELECT count(*) FROM connections WHERE id = $1`, a.c.ID) == 1
				audited := f.count(t, `SELECT count(*) FROM audit_events WHERE id = $1`, a.ev.ID) == 1
				if a.bad {
					e, ok := errors.AsType[*sb.Error](a.err)
					if !ok || e.Code != sb.CodeConflict || e.Message != "connection.name_taken" {
						t.Errorf("duplicate %q: err %v, want Conflict connection.name_taken", a.c.Name, a.err)
					}
					if stored || audited {
						t.Errorf("duplicate %q: stored %v, audited %v; want neither", a.c.Name, stored, audited)
					}
				} else if a.err != nil || !stored || !audited {
					t.Errorf("good %q: err %v, stored %v, audited %v; want nil, true, true", a.c.Name, a.err, stored, audited)
				}
			}
		})
	}
}

// TestGroupCommitCancelDoesNotAbortBatch checks that, batched, a caller's cancellation while
// its statement runs cannot take the other writes of its transaction down with it.
func TestGroupCommitCancelDoesNotAbortBatch(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t, true)
	release := holdWriter(t, f.s)
	first, firstEv := f.connection("first")
	firstErr := make(chan error, 1)
	go func() { firstErr <- f.s.CreateConnection(t.Context(), first, firstEv) }()
	waitQueued(t, f.s, 1)
	ctx, cancel := context.WithCancel(t.Context())
	slowErr := make(chan error, 1)
	go func() {
		slowErr <- f.s.inTx(ctx, nil, func(tx pgx.Tx) error {
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := tx.Exec(ctx, `SELECT pg_sleep(0.3)`)
			return err
		})
	}()
	waitQueued(t, f.s, 2)
	release()
	if err := <-firstErr; err != nil {
		t.Fatalf("the first write of the batch: %v", err)
	}
	if err := <-slowErr; err != nil {
		t.Errorf("the slow write, canceled once started: %v; want it run to its end and committed", err)
	}
	if n := f.count(t, `SELECT count(*) FROM connections WHERE id = $1`, first.ID); n != 1 {
		t.Error("the first write of the batch is lost")
	}
}

// TestGroupCommitPanicFailsAlone checks a panicking write fails Internal alone, batched.
func TestGroupCommitPanicFailsAlone(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t, true)
	release := holdWriter(t, f.s)
	errc := make(chan error, 2)
	go func() {
		errc <- f.s.inTx(t.Context(), nil, func(tx pgx.Tx) error {
			if _, err := tx.Exec(t.Context(), `UPDATE workspaces SET name = 'changed'`); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	waitQueued(t, f.s, 1)
	good, goodEv := f.connection("good")
	go func() { errc <- f.s.CreateConnection(t.Context(), good, goodEv) }()
	waitQueued(t, f.s, 2)
	release()
	codes := []sb.Code{sb.ErrorCode(<-errc), sb.ErrorCode(<-errc)}
	if !(codes[0] == sb.CodeInternal && codes[1] == "" || codes[1] == sb.CodeInternal && codes[0] == "") {
		t.Errorf("error codes %q, want one internal (the panic) and one success", codes)
	}
	if n := f.count(t, `SELECT count(*) FROM connections WHERE id = $1`, good.ID); n != 1 {
		t.Error("the panicking write's batch mate is lost")
	}
	if n := f.count(t, `SELECT count(*) FROM workspaces WHERE name = 'changed'`); n != 0 {
		t.Error("the panicking write's change was committed")
	}
}

// TestGroupCommitCloseDrains checks Close lets queued writes commit and fails later ones.
func TestGroupCommitCloseDrains(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t, true)
	release := holdWriter(t, f.s)
	errs := make(chan error, 4)
	var ids []string
	for i := range 4 {
		c, ev := f.connection(fmt.Sprint("q-", i))
		ids = append(ids, c.ID)
		go func() { errs <- f.s.CreateConnection(t.Context(), c, ev) }()
	}
	waitQueued(t, f.s, 4)
	closed := make(chan struct{})
	go func() { f.s.Close(); close(closed) }()
	release()
	for range ids {
		if err := <-errs; err != nil {
			t.Errorf("create queued at Close: %v", err)
		}
	}
	<-closed
	late, lateEv := f.connection("late")
	if err := f.s.CreateConnection(t.Context(), late, lateEv); sb.ErrorCode(err) != sb.CodeUnavailable {
		t.Errorf("create after Close: %v, want Unavailable", err)
	}
	conn, err := pgx.Connect(t.Context(), f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM connections WHERE id = ANY($1)`, ids).Scan(&n); err != nil || n != len(ids) {
		t.Errorf("%d of the %d creates queued at Close stored (%v)", n, len(ids), err)
	}
}

// TestSynchronousCommitStaysOn checks a DSN that turns synchronous_commit off cannot make
// the store acknowledge writes before they are flushed.
func TestSynchronousCommitStaysOn(t *testing.T) {
	t.Parallel()
	dsn, err := withParam(TestDSN(t), "synchronous_commit", "off")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got string
	if err := s.pool.QueryRow(t.Context(), `SHOW synchronous_commit`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "on" {
		t.Errorf("synchronous_commit = %q with a DSN that says off, want on", got)
	}
	// A durable value other than on is the operator's choice and is kept.
	dsn, err = withParam(TestDSN(t), "synchronous_commit", "remote_apply")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.pool.QueryRow(t.Context(), `SHOW synchronous_commit`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "remote_apply" {
		t.Errorf("synchronous_commit = %q, want the DSN's remote_apply kept", got)
	}
}

// BenchmarkGroupCommit measures concurrent creates (32 or more writers) with each write in
// its own transaction and with group commit.
func BenchmarkGroupCommit(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			f := newGCFixture(b, m.batched)
			batches0, writes0 := f.s.WriteStats()
			var n atomic.Int64
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c, ev := f.connection(fmt.Sprint("bench-", n.Add(1)))
					if err := f.s.CreateConnection(context.Background(), c, ev); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			batches, writes := f.s.WriteStats()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(writes-writes0)/float64(max(batches-batches0, 1)), "writes/batch")
		})
	}
}
