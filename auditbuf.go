package switchboard

import (
	"context"
	"sync"
	"time"
)

// Credential reads are the most frequent call, and each one is audited. By default the
// audit event is written before the answer, in its own (group-committed) write. With
// BufferReadAudit the events of credential reads are kept in memory instead and written in
// bulk, every ReadAuditFlush or sooner when many wait: a read then costs no write of its own.
// What that gives up: events still in memory when the process dies (at most ReadAuditFlush
// worth of reads, or readAuditMax events) are lost. Changes are always audited in the same
// transaction as the change itself, in either mode.

// ReadAuditFlush is how often buffered credential-read audit events are written.
const ReadAuditFlush = 10 * time.Millisecond

// readAuditMax bounds the events held in memory; past it a read writes its own event before
// answering, as unbuffered (so a slow or down database slows reads rather than growing memory).
const readAuditMax = 8192

// readAuditChunk is how many events one flush writes at most, in one transaction.
const readAuditChunk = 1024

type readAudit struct {
	store   Store
	onError func(error)

	mu      sync.Mutex
	pending []*AuditEvent
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// BufferReadAudit makes credential reads audit through an in-memory buffer written every
// ReadAuditFlush (see above). onError is told of flushes that failed (their events are kept
// and tried again). The returned function writes what is left and stops; call it before
// closing the store. Call BufferReadAudit once, before the service takes requests.
func (s *Service) BufferReadAudit(onError func(error)) (stop func()) {
	b := &readAudit{store: s.store, onError: onError, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	s.reads = b
	go b.loop()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(b.stop)
			<-b.done
		})
	}
}

// appendReadAudit records the audit event of a credential read.
func (s *Service) appendReadAudit(ctx context.Context, ev *AuditEvent) error {
	if b := s.reads; b != nil && b.add(ev) {
		return nil
	}
	return s.store.AppendAudit(ctx, ev)
}

// add buffers ev; false when the buffer is full or stopped (the caller writes ev itself).
func (b *readAudit) add(ev *AuditEvent) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.stop:
		return false
	default:
	}
	if len(b.pending) >= readAuditMax {
		return false
	}
	b.pending = append(b.pending, ev)
	if len(b.pending) >= readAuditChunk {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return true
}

func (b *readAudit) loop() {
	defer close(b.done)
	t := time.NewTicker(ReadAuditFlush)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-b.wake:
		case <-b.stop:
			// The last flush: a few tries, then what cannot be written is reported.
			for try := 0; try < 3 && b.flush(); try++ {
				time.Sleep(100 * time.Millisecond)
			}
			return
		}
		b.flush()
	}
}

// flush writes the buffered events, a chunk per transaction, and reports whether some are
// left because a write failed.
func (b *readAudit) flush() (failed bool) {
	for {
		b.mu.Lock()
		n := min(len(b.pending), readAuditChunk)
		chunk := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		if n == 0 {
			return false
		}
		if err := b.store.AppendAudit(context.Background(), chunk...); err != nil {
			if b.onError != nil {
				b.onError(err)
			}
			// Put them back in front, to be tried at the next flush.
			b.mu.Lock()
			b.pending = append(chunk, b.pending...)
			b.mu.Unlock()
			return true
		}
	}
}
