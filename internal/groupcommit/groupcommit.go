// Package groupcommit makes durable writes cheap under load: one writer goroutine takes every
// write waiting for it, runs them in one transaction, each inside its own savepoint, and
// commits once, so a whole batch pays for one sync to disk instead of one per write. Each
// caller is answered with its own result only after the commit returned.
//
// Batches form by themselves: while one commits, the next writes queue up, and the writer
// takes them all (up to a cap) as soon as it is free. There is no waiting for a batch to
// fill, so a lone write costs what it cost without batching.
//
// A write that fails is rolled back to its savepoint and fails alone; the others of its batch
// go on. A failed write is answered only when its batch has ended too: it may have failed
// because of a batch mate (a unique name, a row created once per workspace), and a caller who
// then reads what beat it must find it committed. A failure that leaves the transaction
// itself unusable (a savepoint that cannot be rolled back or released), or a failed commit,
// fails every write of the batch: none of them is durable, and none is answered as if it
// were.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// ErrClosed is the error of a write submitted after Close.
var ErrClosed = errors.New("groupcommit: writer closed")

// ErrAborted is wrapped by the error of a write that did nothing wrong but shared a
// transaction that broke (a savepoint that could not be rolled back or released): nothing of
// it was committed, and it is safe to retry.
var ErrAborted = errors.New("groupcommit: batch aborted")

// ErrPanic is wrapped by the error of a write whose function panicked (a *PanicError). The
// error's text holds the stack but not the panic value: it is for logs, never for a client.
var ErrPanic = errors.New("groupcommit: write panicked")

// PanicError is the error of a write whose function panicked; it wraps ErrPanic. Its text
// names the panic value's type (or a runtime error's own message, which holds only numbers
// and type names) and the stack, never the value: a write handles secrets, and this error
// reaches logs through the store's error chain.
type PanicError struct {
	Value any    // what was recovered: never log it or show it
	Stack []byte // debug.Stack() at the recovery
}

func (e *PanicError) Error() string {
	desc := fmt.Sprintf("value of type %T", e.Value)
	if re, ok := e.Value.(runtime.Error); ok {
		desc = re.Error()
	}
	return fmt.Sprintf("%v (%s)\n%s", ErrPanic, desc, e.Stack)
}

// Unwrap returns ErrPanic (and not the value, even when it is an error: its text could hold
// a secret).
func (e *PanicError) Unwrap() error { return ErrPanic }

// DefaultMaxBatch is the most writes one transaction takes when New is given no cap. It bounds
// how long the writes at the end of a batch wait for those at its start.
const DefaultMaxBatch = 128

// Batch is one open transaction of the writer. T is what a write's function runs on (a
// *sql.Tx, a pgx.Tx). The writer calls Batch from its goroutine only.
type Batch[T any] interface {
	// Tx is what a write runs on when it is alone in its batch: it needs no savepoint,
	// since rolling the whole transaction back undoes it alone.
	Tx() T
	// Savepoint starts a savepoint for the next write and returns what that write runs on.
	Savepoint(ctx context.Context) (T, error)
	// Release keeps the changes of a write that succeeded and ends its savepoint.
	Release(ctx context.Context, t T) error
	// RollbackTo undoes the changes of a write that failed. An error means the
	// transaction is no longer usable, and the batch fails.
	RollbackTo(ctx context.Context, t T) error
	// Commit makes the batch durable; Rollback abandons it.
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Begin starts a batch transaction.
type Begin[T any] func(ctx context.Context) (Batch[T], error)

// Writer batches writes into shared transactions. Its methods are safe for concurrent use.
type Writer[T any] struct {
	begin    Begin[T]
	maxBatch int

	mu     sync.Mutex
	queue  []*request[T]
	closed bool

	wake chan struct{} // holds a token when the queue may have grown or the writer closed
	done chan struct{} // closed when the writer goroutine ends

	batches, writes atomic.Uint64
}

type request[T any] struct {
	ctx    context.Context
	fn     func(ctx context.Context, t T) error
	result chan error
}

// answer gives the request its result. Every request is answered exactly once.
func (r *request[T]) answer(err error) { r.result <- err }

// New starts a writer whose batches begin with begin and hold at most maxBatch writes
// (DefaultMaxBatch when maxBatch <= 0). Close stops it.
func New[T any](begin Begin[T], maxBatch int) *Writer[T] {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	w := &Writer[T]{
		begin:    begin,
		maxBatch: maxBatch,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	go w.loop()
	return w
}

// Do runs fn in the writer's next transaction and returns fn's error, or the error that kept
// the transaction from committing. A nil error means the write is committed.
//
// fn gets ctx without its cancellation (its values stay): the transaction is shared, and a
// statement cut short by one caller's cancellation could abort the others' writes with it.
// If ctx is done before the write starts, the write does not run and Do returns ctx's
// error. Once it has started, Do waits for the batch to end even if ctx is done meanwhile,
// because the write may still commit: Do never reports a committed write as failed. The
// wait is bounded by the one batch. When a batch's transaction cannot begin, Do fails with
// that error for the writes of the batch and for every write queued while it tried: a
// caller waits for at most one attempt to begin (SQLite's busy timeout), not one per batch
// ahead of it.
//
// fn must not call Do itself (it would wait for its own batch), and must not keep t.
// A panic in fn is recovered and fails this write alone, with an error wrapping ErrPanic.
func (w *Writer[T]) Do(ctx context.Context, fn func(ctx context.Context, t T) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request[T]{ctx: ctx, fn: fn, result: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.queue = append(w.queue, r)
	w.mu.Unlock()
	w.signal()
	return <-r.result
}

// Stats returns how many batch transactions the writer has run and how many writes ran in
// them. writes / batches is the mean batch size.
func (w *Writer[T]) Stats() (batches, writes uint64) {
	return w.batches.Load(), w.writes.Load()
}

// Pending returns how many writes are queued, waiting for a batch.
func (w *Writer[T]) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// Close stops taking writes, runs every write already queued, and returns once the last
// batch has ended. Writes submitted afterwards fail with ErrClosed. Calling it again is
// harmless.
func (w *Writer[T]) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
	<-w.done
}

func (w *Writer[T]) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a token is already waiting: the writer will look at the queue anyway
	}
}

func (w *Writer[T]) loop() {
	defer close(w.done)
	var batch []*request[T]
	for {
		batch = w.next(batch[:0])
		if len(batch) == 0 {
			return
		}
		w.run(batch)
		clear(batch) // let answered requests be collected
	}
}

// next waits for queued writes and moves up to maxBatch of them into batch. It returns an
// empty batch once the writer is closed and the queue drained.
func (w *Writer[T]) next(batch []*request[T]) []*request[T] {
	for {
		w.mu.Lock()
		if n := min(len(w.queue), w.maxBatch); n > 0 {
			batch = append(batch, w.queue[:n]...)
			rest := copy(w.queue, w.queue[n:])
			clear(w.queue[rest:])
			w.queue = w.queue[:rest]
			w.mu.Unlock()
			return batch
		}
		closed := w.closed
		w.mu.Unlock()
		if closed {
			return batch
		}
		<-w.wake
	}
}

// run runs one batch and answers each of its requests.
func (w *Writer[T]) run(batch []*request[T]) {
	// Writes whose callers gave up before their batch began are not run.
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer(err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The transaction belongs to no caller, so no caller's cancellation can end it.
	ctx := context.Background()
	b, err := w.begin(ctx)
	if err != nil {
		// The writes that queued while begin waited (for a lock another process holds, for
		// a database that is down) waited for the same thing: a batch of their own would make
		// them wait as long again, so a caller's wait would grow with the queue. They fail
		// with the same error; nothing of theirs ran, and a retry may succeed.
		w.mu.Lock()
		waited := w.queue
		w.queue = nil
		w.mu.Unlock()
		for _, r := range live {
			r.answer(err)
		}
		for _, r := range waited {
			r.answer(err)
		}
		return
	}
	w.batches.Add(1)
	if len(live) == 1 {
		w.runOne(ctx, b, live[0])
		return
	}

	committed := make([]*request[T], 0, len(live)) // succeeded: answered after the commit
	var failed []failure[T]                        // rolled back: answered after the batch ends
	var fatal error
	var rest []*request[T] // writes not yet answered when the transaction broke
	for i, r := range live {
		if err := r.ctx.Err(); err != nil {
			r.answer(err)
			continue
		}
		t, err := b.Savepoint(ctx)
		if err != nil {
			fatal, rest = err, live[i:]
			break
		}
		w.writes.Add(1)
		if err := call(r, t); err != nil {
			if rbErr := b.RollbackTo(ctx, t); rbErr != nil {
				// The write's own error says why it failed; the others fail because the
				// transaction they share is gone.
				r.answer(err)
				fatal, rest = rbErr, live[i+1:]
				break
			}
			failed = append(failed, failure[T]{r, err})
			continue
		}
		if err := b.Release(ctx, t); err != nil {
			fatal, rest = err, live[i:]
			break
		}
		committed = append(committed, r)
	}
	if fatal != nil {
		// Nothing of this batch may commit: some of its changes may be half undone.
		_ = b.Rollback(ctx) // the transaction is already broken; fatal says why
		fatal = fmt.Errorf("%w: %w", ErrAborted, fatal)
		for _, r := range committed {
			r.answer(fatal)
		}
		for _, r := range rest {
			r.answer(fatal)
		}
		for _, f := range failed {
			f.r.answer(fatal) // what made it fail may not have been committed either
		}
		return
	}
	err = b.Commit(ctx)
	for _, r := range committed {
		r.answer(err)
	}
	for _, f := range failed {
		if err != nil {
			// The batch mate it may have failed because of is not durable: retrying may succeed.
			f.r.answer(fmt.Errorf("%w: %w", ErrAborted, err))
			continue
		}
		f.r.answer(f.err)
	}
}

// failure is a write that failed and was rolled back to its savepoint, with its error.
type failure[T any] struct {
	r   *request[T]
	err error
}

// runOne runs a write alone in its batch: no savepoint is needed.
func (w *Writer[T]) runOne(ctx context.Context, b Batch[T], r *request[T]) {
	w.writes.Add(1)
	if err := call(r, b.Tx()); err != nil {
		_ = b.Rollback(ctx) // the write's own error is the one to report
		r.answer(err)
		return
	}
	r.answer(b.Commit(ctx))
}

// call runs r's function on t, turning a panic into an error.
func call[T any](r *request[T], t T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return r.fn(context.WithoutCancel(r.ctx), t)
}
