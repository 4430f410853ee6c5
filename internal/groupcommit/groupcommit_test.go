package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeDB is a store of key/value pairs with transactions and savepoints, and failures to
// inject. Only the writer goroutine touches a fakeTx; fakeDB's fields are guarded by mu.
type fakeDB struct {
	mu            sync.Mutex
	committed     map[string]int
	ran           []string // keys in the order their writes ran
	rollbackToErr error    // RollbackTo fails with it
	commits       int      // Commit calls so far
	// From its failFrom'th call (when > 0), Commit closes commitStarted, waits for
	// commitReleased, and fails with commitErr.
	failFrom       int
	commitErr      error
	commitStarted  chan struct{}
	commitReleased chan struct{}
}

func newFakeDB() *fakeDB { return &fakeDB{committed: map[string]int{}} }

type change struct {
	key string
	val int
}

type fakeTx struct {
	db      *fakeDB
	changes []change
	marks   []int // savepoints: len(changes) when each began
}

// set stages key = val in the transaction, as a write's statement would.
func (tx *fakeTx) set(key string, val int) {
	tx.changes = append(tx.changes, change{key, val})
	tx.db.mu.Lock()
	tx.db.ran = append(tx.db.ran, key)
	tx.db.mu.Unlock()
}

func (db *fakeDB) begin(context.Context) (Batch[*fakeTx], error) { return &fakeTx{db: db}, nil }

func (tx *fakeTx) Tx() *fakeTx { return tx }

func (tx *fakeTx) Savepoint(context.Context) (*fakeTx, error) {
	tx.marks = append(tx.marks, len(tx.changes))
	return tx, nil
}

func (tx *fakeTx) Release(context.Context, *fakeTx) error {
	tx.marks = tx.marks[:len(tx.marks)-1]
	return nil
}

func (tx *fakeTx) RollbackTo(context.Context, *fakeTx) error {
	tx.db.mu.Lock()
	err := tx.db.rollbackToErr
	tx.db.mu.Unlock()
	if err != nil {
		return err
	}
	tx.changes = tx.changes[:tx.marks[len(tx.marks)-1]]
	tx.marks = tx.marks[:len(tx.marks)-1]
	return nil
}

func (tx *fakeTx) Commit(context.Context) error {
	db := tx.db
	db.mu.Lock()
	db.commits++
	if db.failFrom > 0 && db.commits >= db.failFrom {
		started, released, err := db.commitStarted, db.commitReleased, db.commitErr
		db.mu.Unlock()
		close(started)
		<-released
		if err != nil {
			return err
		}
		db.mu.Lock()
	}
	defer db.mu.Unlock()
	for _, c := range tx.changes {
		db.committed[c.key] = c.val
	}
	return nil
}

func (tx *fakeTx) Rollback(context.Context) error { return nil }

func (db *fakeDB) get(key string) (int, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	v, ok := db.committed[key]
	return v, ok
}

// newWriter returns a writer on db, closed when t ends.
func newWriter(t *testing.T, db *fakeDB, maxBatch int) *Writer[*fakeTx] {
	t.Helper()
	w := New(db.begin, maxBatch)
	t.Cleanup(w.Close)
	return w
}

// hold runs a write that blocks the writer until the returned function is called, so that
// the writes submitted meanwhile queue up and form the next batch.
func hold(t *testing.T, w *Writer[*fakeTx]) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- w.Do(context.Background(), func(_ context.Context, tx *fakeTx) error {
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

// waitQueued waits until n writes are queued.
func waitQueued(t *testing.T, w *Writer[*fakeTx], n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		got := len(w.queue)
		w.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued after 10s, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// submit queues write i (key "k<i>", value i) running fn, and returns where its result comes.
func submit(t *testing.T, w *Writer[*fakeTx], ctx context.Context, i int, fn func(tx *fakeTx) error) <-chan error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		errc <- w.Do(ctx, func(_ context.Context, tx *fakeTx) error {
			tx.set(fmt.Sprint("k", i), i)
			if fn != nil {
				return fn(tx)
			}
			return nil
		})
	}()
	waitQueued(t, w, i+1)
	return errc
}

// heldCommitBatch submits n writes as one batch, write bad failing with badErr, and runs it
// with its commit held until no write was answered within 10 ms (the test fails if one was);
// the commit then returns commitErr. It returns the writes' results.
func heldCommitBatch(t *testing.T, db *fakeDB, n, bad int, badErr, commitErr error) []<-chan error {
	t.Helper()
	w := newWriter(t, db, 0)
	release := hold(t, w)
	var results []<-chan error
	for i := range n {
		var fn func(*fakeTx) error
		if i == bad {
			fn = func(*fakeTx) error { return badErr }
		}
		results = append(results, submit(t, w, context.Background(), i, fn))
	}
	started, released := make(chan struct{}), make(chan struct{})
	db.mu.Lock()
	// The holding write's batch commits; the next one waits for released.
	db.failFrom, db.commitErr = 2, commitErr
	db.commitStarted, db.commitReleased = started, released
	db.mu.Unlock()
	release()
	<-started
	early := answeredEarly(results)
	close(released) // before failing, so the writer can end
	if early != "" {
		t.Fatal(early)
	}
	return results
}

// answeredEarly says which write, if any, was answered within 10 ms while its batch was
// still committing.
func answeredEarly(results []<-chan error) string {
	time.Sleep(10 * time.Millisecond) // time for a wrong early answer to arrive
	for i, errc := range results {
		select {
		case err := <-errc:
			return fmt.Sprintf("write %d answered (%v) before its batch committed", i, err)
		default:
		}
	}
	return ""
}

// result waits for a write's result, failing the test if it does not come.
func result(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no result after 10s")
		return nil
	}
}

func TestBatchRunsInOrderAndCommitsOnce(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := newWriter(t, db, 0)
	release := hold(t, w)
	var results []<-chan error
	for i := range 10 {
		results = append(results, submit(t, w, context.Background(), i, nil))
	}
	release()
	for i, errc := range results {
		if err := result(t, errc); err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		if v, ok := db.get(fmt.Sprint("k", i)); !ok || v != i {
			t.Errorf("k%d = %d, %v after its write returned; want %d, true", i, v, ok, i)
		}
	}
	want := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
	if diff := cmp.Diff(want, db.ran); diff != "" {
		t.Errorf("order the writes ran in (-want +got):\n%s", diff)
	}
	// The holding write was one batch, the ten queued behind it one more.
	if batches, writes := w.Stats(); batches != 2 || writes != 11 {
		t.Errorf("Stats = %d batches, %d writes; want 2, 11", batches, writes)
	}
}

func TestMaxBatch(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := newWriter(t, db, 4)
	release := hold(t, w)
	var results []<-chan error
	for i := range 10 {
		results = append(results, submit(t, w, context.Background(), i, nil))
	}
	release()
	for _, errc := range results {
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
	}
	// 1 holding batch + ceil(10/4) = 4.
	if batches, writes := w.Stats(); batches != 4 || writes != 11 {
		t.Errorf("Stats = %d batches, %d writes; want 4, 11", batches, writes)
	}
}

func TestFailingWriteFailsAlone(t *testing.T) {
	t.Parallel()
	bad := errors.New("duplicate name")
	for name, fail := range map[string]func(*fakeTx) error{
		"error": func(*fakeTx) error { return bad },
		"panic": func(*fakeTx) error { panic("boom") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newFakeDB()
			w := newWriter(t, db, 0)
			release := hold(t, w)
			var results []<-chan error
			for i := range 5 {
				var fn func(*fakeTx) error
				if i == 2 {
					fn = fail
				}
				results = append(results, submit(t, w, context.Background(), i, fn))
			}
			release()
			for i, errc := range results {
				err := result(t, errc)
				_, stored := db.get(fmt.Sprint("k", i))
				switch {
				case i != 2:
					if err != nil || !stored {
						t.Errorf("good write %d: err %v, stored %v; want nil, true", i, err, stored)
					}
				case name == "error" && !errors.Is(err, bad), name == "panic" && !errors.Is(err, ErrPanic):
					t.Errorf("failing write: err %v", err)
				case stored:
					t.Error("the failing write's change was committed")
				}
			}
		})
	}
}

func TestLoneFailingWrite(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := newWriter(t, db, 0)
	bad := errors.New("bad")
	err := w.Do(context.Background(), func(_ context.Context, tx *fakeTx) error {
		tx.set("k", 1)
		return bad
	})
	if !errors.Is(err, bad) {
		t.Fatalf("Do = %v, want %v", err, bad)
	}
	if _, ok := db.get("k"); ok {
		t.Error("the failing write's change was committed")
	}
	err = w.Do(context.Background(), func(context.Context, *fakeTx) error { panic("boom") })
	if !errors.Is(err, ErrPanic) {
		t.Fatalf("Do of a panicking write = %v, want ErrPanic", err)
	}
	// The writer survived.
	if err := w.Do(context.Background(), func(_ context.Context, tx *fakeTx) error { tx.set("ok", 1); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestBrokenTransactionFailsTheBatch(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := newWriter(t, db, 0)
	release := hold(t, w)
	broken := errors.New("no such savepoint")
	own := errors.New("disk full")
	var results []<-chan error
	for i := range 4 {
		var fn func(*fakeTx) error
		if i == 1 {
			fn = func(*fakeTx) error {
				db.mu.Lock()
				db.rollbackToErr = broken
				db.mu.Unlock()
				return own
			}
		}
		results = append(results, submit(t, w, context.Background(), i, fn))
	}
	release()
	for i, errc := range results {
		err := result(t, errc)
		want := broken
		if i == 1 {
			want = own
		}
		if !errors.Is(err, want) || errors.Is(err, ErrAborted) != (i != 1) {
			t.Errorf("write %d: %v, want %v (wrapped in ErrAborted unless its own)", i, err, want)
		}
		if _, ok := db.get(fmt.Sprint("k", i)); ok {
			t.Errorf("write %d of a broken batch was committed", i)
		}
	}
}

// A write that failed because of a batch mate (say, the mate took the name first) must not be
// answered before the mate is committed: its caller would look for the mate and not find it.
func TestFailedWriteAnsweredAfterCommit(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	taken := errors.New("name taken")
	results := heldCommitBatch(t, db, 3, 1, taken, nil) // the commit succeeds
	for i, errc := range results {
		err := result(t, errc)
		if want := map[bool]error{true: taken}[i == 1]; !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("write %d: %v, want %v", i, err, want)
		}
	}
	if _, ok := db.get("k0"); !ok {
		t.Error("the first write was not committed")
	}
}

func TestCommitFailureFailsAll(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	taken, lost := errors.New("name taken"), errors.New("fsync failed")
	results := heldCommitBatch(t, db, 5, 3, taken, lost)
	for i, errc := range results {
		err := result(t, errc)
		if !errors.Is(err, lost) {
			t.Errorf("write %d: %v, want %v", i, err, lost)
		}
		// The failed write may have failed because of a mate that is now not durable:
		// it is told the batch aborted (retry), not its own error.
		if i == 3 && (!errors.Is(err, ErrAborted) || errors.Is(err, taken)) {
			t.Errorf("failed write in a failed commit: %v, want %v", err, ErrAborted)
		}
	}
	for i := range results {
		if _, ok := db.get(fmt.Sprint("k", i)); ok {
			t.Errorf("write %d committed by a failed commit", i)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := newWriter(t, db, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := w.Do(ctx, func(context.Context, *fakeTx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("Do with a canceled context = %v, ran %v; want context.Canceled, not run", err, ran)
	}

	// Canceled while queued: not run.
	release := hold(t, w)
	queued, cancelQueued := context.WithCancel(context.Background())
	skipped := submit(t, w, queued, 0, nil)
	kept := submit(t, w, context.Background(), 1, nil)
	cancelQueued()
	release()
	if err := result(t, skipped); !errors.Is(err, context.Canceled) {
		t.Errorf("write canceled while queued: %v, want context.Canceled", err)
	}
	if _, ok := db.get("k0"); ok {
		t.Error("a write canceled before its batch began was committed")
	}
	if err := result(t, kept); err != nil {
		t.Errorf("its batch mate: %v", err)
	}

	// Canceled while running: the write goes on, and Do reports it committed.
	running, cancelRunning := context.WithCancel(context.Background())
	err = w.Do(running, func(ctx context.Context, tx *fakeTx) error {
		cancelRunning()
		if ctx.Err() != nil {
			t.Error("the write's context was canceled with its caller's")
		}
		tx.set("late", 1)
		return nil
	})
	if _, ok := db.get("late"); err != nil || !ok {
		t.Errorf("write whose caller canceled while it ran: %v, committed %v; want nil, true", err, ok)
	}
}

func TestCloseDrains(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := New(db.begin, 2)
	release := hold(t, w)
	var results []<-chan error
	for i := range 5 {
		results = append(results, submit(t, w, context.Background(), i, nil))
	}
	closed := make(chan struct{})
	go func() {
		w.Close()
		close(closed)
	}()
	// Writes submitted once Close began fail at once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		c := w.closed
		w.mu.Unlock()
		if c {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Close did not mark the writer closed")
		}
		time.Sleep(time.Millisecond)
	}
	if err := w.Do(context.Background(), func(context.Context, *fakeTx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do during Close = %v, want ErrClosed", err)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while writes were queued")
	default:
	}
	release()
	for i, errc := range results {
		if err := result(t, errc); err != nil {
			t.Errorf("queued write %d: %v", i, err)
		}
		if _, ok := db.get(fmt.Sprint("k", i)); !ok {
			t.Errorf("queued write %d was not committed", i)
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := w.Do(context.Background(), func(context.Context, *fakeTx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close = %v, want ErrClosed", err)
	}
	w.Close() // again: harmless
}

func TestConcurrentWritesShareBatches(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	w := newWriter(t, db, 0)
	const goroutines, each = 32, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprint(g, "/", i)
				err := w.Do(context.Background(), func(_ context.Context, tx *fakeTx) error {
					tx.set(key, i)
					time.Sleep(10 * time.Microsecond) // a statement's worth of work
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(db.committed) != goroutines*each {
		t.Errorf("%d writes committed, want %d", len(db.committed), goroutines*each)
	}
	batches, writes := w.Stats()
	if writes != goroutines*each || batches >= writes {
		t.Errorf("Stats = %d batches, %d writes; want fewer batches than %d writes", batches, writes, goroutines*each)
	}
}

// A transaction that cannot begin (the database locked by another process for longer than
// the busy timeout) fails the writes that queued while it tried, too: they are not made to
// wait for another attempt each, so a caller's wait is one attempt at most.
func TestBeginFailureFailsTheWritesThatWaited(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	errLocked := errors.New("database is locked")
	var (
		mu      sync.Mutex
		begins  int
		failing = true
	)
	entered, unblock := make(chan struct{}, 1), make(chan struct{})
	begin := func(ctx context.Context) (Batch[*fakeTx], error) {
		mu.Lock()
		begins++
		fail := failing
		mu.Unlock()
		if !fail {
			return db.begin(ctx)
		}
		entered <- struct{}{}
		<-unblock // the busy timeout
		return nil, errLocked
	}
	w := New(begin, 0)
	t.Cleanup(w.Close)

	first := make(chan error, 1)
	go func() { first <- w.Do(context.Background(), func(context.Context, *fakeTx) error { return nil }) }()
	<-entered
	var waited []<-chan error
	for i := range 5 {
		waited = append(waited, submit(t, w, context.Background(), i, nil))
	}
	mu.Lock()
	failing = false // the lock is released just after the attempt gave up
	mu.Unlock()
	close(unblock)
	if err := result(t, first); !errors.Is(err, errLocked) {
		t.Errorf("the write whose batch could not begin: %v, want %v", err, errLocked)
	}
	for i, errc := range waited {
		if err := result(t, errc); !errors.Is(err, errLocked) {
			t.Errorf("write %d, queued while the transaction could not begin: %v, want %v", i, err, errLocked)
		}
	}
	mu.Lock()
	n := begins
	mu.Unlock()
	if n != 1 {
		t.Errorf("begin called %d times for writes that all waited for the one attempt, want 1", n)
	}
	// The next write begins afresh and commits.
	if err := w.Do(context.Background(), func(_ context.Context, tx *fakeTx) error { tx.set("after", 1); return nil }); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
	if _, ok := db.get("after"); !ok {
		t.Error("the write after the lock was released was not committed")
	}
}
