package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/storetest"
)

// gcFixture is a store with a tenant and a workspace to create connections in.
type gcFixture struct {
	s      *Store
	path   string
	tenant *sb.Tenant
	ws     *sb.Workspace
}

func newGCFixture(tb testing.TB) *gcFixture {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "switchboard.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	f := &gcFixture{s: s, path: path}
	f.tenant, f.ws = storetest.NewTenancy(tb, s)
	return f
}

// connection returns a new connection named name, and the audit event of its creation.
func (f *gcFixture) connection(name string) (*sb.Connection, *sb.AuditEvent) {
	return storetest.NewConnection(f.tenant, f.ws, name)
}

// audited reports whether the audit event with id is stored.
func (f *gcFixture) audited(t *testing.T, id string) bool {
	t.Helper()
	var n int
	if err := f.s.write.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit_events WHERE id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestGroupCommitSharesCommits checks concurrent creates are all stored and share commits.
func TestGroupCommitSharesCommits(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	const goroutines, each = 64, 10
	var wg sync.WaitGroup
	ids := make([][]string, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				c, ev := f.connection(fmt.Sprintf("c-%d-%d", g, i))
				if err := f.s.CreateConnection(t.Context(), c, ev); err != nil {
					t.Errorf("CreateConnection: %v", err)
					return
				}
				ids[g] = append(ids[g], c.ID)
			}
		})
	}
	wg.Wait()
	for _, gids := range ids {
		for _, id := range gids {
			if _, err := f.s.GetConnection(t.Context(), f.ws.ID, id); err != nil {
				t.Errorf("GetConnection %s: %v", id, err)
			}
		}
	}
	var n int
	if err := f.s.write.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM connections`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != goroutines*each {
		t.Errorf("%d connections stored, want %d", n, goroutines*each)
	}
	batches, writes := f.s.WriteStats()
	t.Logf("%d writes in %d batches", writes, batches)
	if batches >= writes {
		t.Errorf("%d writes took %d transactions: no commit was shared", writes, batches)
	}
}

// TestGroupCommitBadWritesFailAlone checks that in one burst each duplicate fails with its
// own conflict, while every good create of the same batches is stored with its audit event.
func TestGroupCommitBadWritesFailAlone(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	const taken = 8
	for i := range taken {
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
		a := &attempt{}
		if i%8 == 3 {
			a.c, a.ev = f.connection(fmt.Sprint("taken-", i/8))
			a.bad = true
		} else {
			a.c, a.ev = f.connection(fmt.Sprint("new-", i))
		}
		attempts = append(attempts, a)
	}
	// Hold the writer so that the whole burst queues up and shares batches.
	release := holdWriter(t, f.s)
	var wg sync.WaitGroup
	for _, a := range attempts {
		wg.Go(func() { a.err = f.s.CreateConnection(t.Context(), a.c, a.ev) })
	}
	waitQueued(t, f.s, len(attempts))
	batchesBefore, _ := f.s.WriteStats()
	release()
	wg.Wait()
	if batches, _ := f.s.WriteStats(); batches-batchesBefore > 2 {
		t.Errorf("the burst took %d batches, want it to share them", batches-batchesBefore)
	}
	for _, a := range attempts {
		stored := true
		if _, err := f.s.GetConnection(t.Context(), f.ws.ID, a.c.ID); sb.ErrorCode(err) == sb.CodeNotFound {
			stored = false
		} else if err != nil {
			t.Fatal(err)
		}
		if a.bad {
			e, ok := errors.AsType[*sb.Error](a.err)
			if !ok || e.Code != sb.CodeConflict || e.Message != "connection.name_taken" {
				t.Errorf("duplicate %q: err %v, want Conflict connection.name_taken", a.c.Name, a.err)
			}
			if stored || f.audited(t, a.ev.ID) {
				t.Errorf("duplicate %q: stored %v, audited %v; want neither", a.c.Name, stored, f.audited(t, a.ev.ID))
			}
			continue
		}
		if a.err != nil || !stored || !f.audited(t, a.ev.ID) {
			t.Errorf("good %q: err %v, stored %v, audited %v; want nil, true, true", a.c.Name, a.err, stored, f.audited(t, a.ev.ID))
		}
	}
}

// holdWriter runs a write that keeps the writer busy until release is called.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, unblock, errc := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		errc <- s.inTx(context.Background(), nil, func(*sql.Tx) error {
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

// waitQueued waits until the writer has n writes queued.
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

// TestGroupCommitPanicFailsAlone checks a write that panics fails with CodeInternal and
// leaves the writer, and its batch mates, going.
func TestGroupCommitPanicFailsAlone(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	release := holdWriter(t, f.s)
	good, goodEv := f.connection("good")
	errc := make(chan error, 2)
	go func() {
		errc <- f.s.inTx(t.Context(), nil, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(t.Context(), `UPDATE workspaces SET name = 'changed'`); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	waitQueued(t, f.s, 1)
	go func() { errc <- f.s.CreateConnection(t.Context(), good, goodEv) }()
	waitQueued(t, f.s, 2)
	release()
	var codes []sb.Code
	for range 2 {
		codes = append(codes, sb.ErrorCode(<-errc))
	}
	if !(codes[0] == sb.CodeInternal && codes[1] == "" || codes[1] == sb.CodeInternal && codes[0] == "") {
		t.Errorf("error codes %q, want one internal (the panic) and one success", codes)
	}
	if _, err := f.s.GetConnection(t.Context(), f.ws.ID, good.ID); err != nil {
		t.Errorf("the panicking write's batch mate: %v", err)
	}
	ws, err := f.s.GetWorkspace(t.Context(), f.ws.ID)
	if err != nil || ws.Name != "main" {
		t.Errorf("workspace after the panicking write: %+v, %v; want its change undone", ws, err)
	}
}

// TestGroupCommitCanceledWhileQueued checks that a write whose caller gives up while it is
// queued is not run and fails Unavailable, while its batch mates are stored.
func TestGroupCommitCanceledWhileQueued(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	release := holdWriter(t, f.s)
	ctx, cancel := context.WithCancel(t.Context())
	gone, goneEv := f.connection("gone")
	kept, keptEv := f.connection("kept")
	errs := make(chan error, 1)
	go func() { errs <- f.s.CreateConnection(ctx, gone, goneEv) }()
	waitQueued(t, f.s, 1)
	keptErr := make(chan error, 1)
	go func() { keptErr <- f.s.CreateConnection(t.Context(), kept, keptEv) }()
	waitQueued(t, f.s, 2)
	cancel()
	release()
	if err := <-errs; sb.ErrorCode(err) != sb.CodeUnavailable {
		t.Errorf("canceled create: %v, want Unavailable", err)
	}
	if err := <-keptErr; err != nil {
		t.Errorf("its batch mate: %v", err)
	}
	if _, err := f.s.GetConnection(t.Context(), f.ws.ID, gone.ID); sb.ErrorCode(err) != sb.CodeNotFound {
		t.Errorf("canceled create: GetConnection = %v, want NotFound", err)
	}
	if f.audited(t, goneEv.ID) || !f.audited(t, keptEv.ID) {
		t.Error("audit events do not match the creates that succeeded")
	}
}

// TestGroupCommitCancelDoesNotAbortBatch checks a caller's cancellation while its statement
// runs cannot roll back the writes it shares a transaction with.
func TestGroupCommitCancelDoesNotAbortBatch(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	release := holdWriter(t, f.s)
	first, firstEv := f.connection("first")
	firstErr := make(chan error, 1)
	go func() { firstErr <- f.s.CreateConnection(t.Context(), first, firstEv) }()
	waitQueued(t, f.s, 1)
	ctx, cancel := context.WithCancel(t.Context())
	slowErr := make(chan error, 1)
	go func() {
		slowErr <- f.s.inTx(ctx, nil, func(tx *sql.Tx) error {
			// A statement long enough to be running when its caller cancels; the driver
			// would interrupt it, and SQLite would roll the whole transaction back.
			time.AfterFunc(20*time.Millisecond, cancel)
			_, err := tx.ExecContext(ctx, `UPDATE workspaces SET name = (
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
				SELECT 'slow-' || count(*) FROM n)`)
			return err
		})
	}()
	waitQueued(t, f.s, 2)
	release()
	if err := <-firstErr; err != nil {
		t.Fatalf("the first write of the batch: %v", err)
	}
	err := <-slowErr
	if _, err := f.s.GetConnection(t.Context(), f.ws.ID, first.ID); err != nil {
		t.Errorf("the first write of the batch is lost: %v", err)
	}
	ws, gerr := f.s.GetWorkspace(t.Context(), f.ws.ID)
	if gerr != nil {
		t.Fatal(gerr)
	}
	// The slow write, once started, ran to its end: it is committed and reported so.
	if err != nil || ws.Name != "slow-1000000" {
		t.Errorf("slow write: %v, workspace name %q; want nil, slow-1000000", err, ws.Name)
	}
}

// TestGroupCommitDurable checks that a write acknowledged is committed: right after each
// create returns, a store opened afresh on the same file (a new connection) sees it.
func TestGroupCommitDurable(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	fresh, err := Open(t.Context(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 10 {
				c, ev := f.connection(fmt.Sprintf("d-%d-%d", g, i))
				if err := f.s.CreateConnection(t.Context(), c, ev); err != nil {
					t.Errorf("CreateConnection: %v", err)
					return
				}
				if _, err := fresh.GetConnection(t.Context(), f.ws.ID, c.ID); err != nil {
					t.Errorf("acknowledged create %s not visible to another connection: %v", c.Name, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestGroupCommitClose checks Close lets queued writes finish, and later writes fail
// Unavailable without hanging (the writer's own tests cover writes during Close).
func TestGroupCommitClose(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	release := holdWriter(t, f.s)
	var queued []*sb.Connection
	errs := make(chan error, 8)
	for i := range 8 {
		c, ev := f.connection(fmt.Sprint("q-", i))
		queued = append(queued, c)
		go func() { errs <- f.s.CreateConnection(t.Context(), c, ev) }()
	}
	waitQueued(t, f.s, 8)
	closed := make(chan error, 1)
	go func() { closed <- f.s.Close() }()
	release()
	for range queued {
		if err := <-errs; err != nil {
			t.Errorf("queued create: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	late, lateEv := f.connection("late")
	if err := f.s.CreateConnection(t.Context(), late, lateEv); sb.ErrorCode(err) != sb.CodeUnavailable {
		t.Errorf("create after Close: %v, want Unavailable", err)
	}
	s, err := Open(t.Context(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range queued {
		if _, err := s.GetConnection(t.Context(), f.ws.ID, c.ID); err != nil {
			t.Errorf("create queued at Close: %v", err)
		}
	}
}

// TestWriteStatementCache checks the write connection's prepared statements: a query run
// again while its first rows are still open, a statement that fails and then succeeds, and
// more distinct statements than the cache holds.
func TestWriteStatementCache(t *testing.T) {
	t.Parallel()
	f := newGCFixture(t)
	ctx := t.Context()
	err := f.s.inTx(ctx, nil, func(tx *sql.Tx) error {
		for i := range 3 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, 0)`, fmt.Sprint("t", i), "T"); err != nil {
				return err
			}
		}
		const q = `SELECT id FROM tenants WHERE name = ? ORDER BY id`
		outer, err := tx.QueryContext(ctx, q, "T")
		if err != nil {
			return err
		}
		defer outer.Close()
		var pairs []string
		for outer.Next() {
			var a string
			if err := outer.Scan(&a); err != nil {
				return err
			}
			inner, err := tx.QueryContext(ctx, q, "T")
			if err != nil {
				return err
			}
			for inner.Next() {
				var b string
				if err := inner.Scan(&b); err != nil {
					return err
				}
				pairs = append(pairs, a+b)
			}
			if err := inner.Close(); err != nil {
				return err
			}
		}
		if err := outer.Err(); err != nil {
			return err
		}
		if len(pairs) != 9 {
			return fmt.Errorf("nested reads of one query gave %d pairs %v, want 9", len(pairs), pairs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A failing statement leaves its prepared statement usable.
	const insert = `INSERT INTO tenants (id, name, created_at) VALUES (?, 'U', 0)`
	err = f.s.inTx(ctx, nil, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, insert, "t0"); return err })
	if sb.ErrorCode(err) != sb.CodeConflict {
		t.Fatalf("duplicate insert: %v, want Conflict", err)
	}
	err = f.s.inTx(ctx, nil, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, insert, "u0"); return err })
	if err != nil {
		t.Fatal(err)
	}
	// Past the cache's bound, statements still run.
	for i := range maxStatements + 10 {
		err := f.s.inTx(ctx, nil, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE tenants SET name = 'V%d' WHERE id = 'u0'`, i))
			return err
		})
		if err != nil {
			t.Fatalf("statement %d: %v", i, err)
		}
	}
	var name string
	if err := f.s.write.QueryRowContext(ctx, `SELECT name FROM tenants WHERE id = 'u0'`).Scan(&name); err != nil || name != fmt.Sprint("V", maxStatements+9) {
		t.Fatalf("name = %q, %v after the last update", name, err)
	}
}

// BenchmarkGroupCommit measures concurrent creates (32 or more writers) on one store.
func BenchmarkGroupCommit(b *testing.B) {
	f := newGCFixture(b)
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
}
