package health

import (
	"context"
	"log/slog"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Scheduler runs due health checks periodically. Several replicas may run one each over a
// shared database: the store's claim gives every due connection to exactly one of them.
type Scheduler struct {
	Service  *sb.Service
	Interval time.Duration // how often each connection is checked
	// Poll is how often the scheduler looks for due connections; default min(Interval, 30s).
	Poll time.Duration
	// Lease is how long a claim keeps other replicas off a connection; default 2m.
	Lease  time.Duration
	Batch  int          // connections claimed at a time; default 20
	Logger *slog.Logger // nil: slog.Default()
}

// Run checks due connections until ctx is done, then returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	poll := s.Poll
	if poll <= 0 {
		poll = min(s.Interval, 30*time.Second)
	}
	lease := s.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 20
	}
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		// Drain: a full batch means more may be due right now.
		for ctx.Err() == nil {
			n, err := s.Service.CheckDueConnections(ctx, s.Interval, lease, batch)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("health checks", "err", err)
				}
				break
			}
			if n > 0 {
				log.Debug("health checks run", "count", n)
			}
			if n < batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
