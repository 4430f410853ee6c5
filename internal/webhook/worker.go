package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/outbound"
)

// Doer sends one request and reads its response within a size cap; *outbound.Guard's Do over
// its own client is the production one (SSRF-guarded).
type Doer interface {
	Do(req *http.Request) (*outbound.Response, error)
}

// GuardDoer sends through an SSRF guard.
type GuardDoer struct {
	Guard  *outbound.Guard
	client *http.Client
}

// NewGuardDoer returns a Doer that dials only addresses g allows.
func NewGuardDoer(g *outbound.Guard) *GuardDoer { return &GuardDoer{Guard: g, client: g.Client()} }

// Do sends req.
func (d *GuardDoer) Do(req *http.Request) (*outbound.Response, error) {
	return d.Guard.Do(d.client, req)
}

// DefaultBackoff is the wait before each retry; a delivery that fails once more after the
// last one is failed for good.
var DefaultBackoff = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	time.Hour, 6 * time.Hour, 12 * time.Hour}

// Config tunes a Worker. Zero fields take the defaults.
type Config struct {
	Service *sb.Service // required
	Doer    Doer        // required
	Logger  *slog.Logger

	Workers      int           // deliveries sent at once; default 1
	PollInterval time.Duration // how often the outbox is looked at when idle; default 1s
	Lease        time.Duration // how long a claim keeps a delivery from other workers; default 2m
	Backoff      []time.Duration
	Batch        int // deliveries claimed at a time; default 10
}

// Worker delivers due outbox rows until stopped. Several workers, in one process or in
// several replicas on one database, never send one delivery at the same time: each is claimed
// through the store first.
type Worker struct {
	cfg    Config
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Start starts a worker.
func Start(cfg Config) *Worker {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{cfg: cfg, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(func() { w.loop(ctx) })
	}
	go func() { wg.Wait(); close(w.done) }()
	return w
}

// Stop stops the worker and waits for the deliveries in flight (their claims are released by
// recording the attempt; one cut short is retried after its lease).
func (w *Worker) Stop() {
	w.once.Do(w.cancel)
	<-w.done
}

func (w *Worker) loop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("webhook: claim failed", "err", err)
		}
		if n > 0 {
			t.Reset(0) // more may be due
		} else {
			t.Reset(w.cfg.PollInterval)
		}
	}
}

// RunOnce claims one batch of due deliveries and sends them, in order; it returns how many it
// claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	store := w.cfg.Service.Store()
	ds, err := store.ClaimWebhookDeliveries(ctx, sb.Now(), w.cfg.Lease, w.cfg.Batch)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		w.deliver(ctx, d)
	}
	return len(ds), nil
}

func (w *Worker) deliver(ctx context.Context, d *sb.WebhookDelivery) {
	log := w.cfg.Logger.With("delivery", d.ID, "endpoint", d.EndpointID, "workspace", d.WorkspaceID)
	e, keys, err := w.cfg.Service.WebhookTarget(ctx, d)
	if err != nil {
		// The claim lapses after its lease and the delivery is tried again then.
		log.Warn("webhook: endpoint unreadable", "err", err)
		return
	}
	started := time.Now()
	attempt := sb.WebhookAttempt{At: sb.Now()}
	status, sendErr := w.send(ctx, e.URL, keys, d)
	attempt.Duration = time.Since(started)
	attempt.StatusCode = status
	if ctx.Err() != nil {
		return // stopped mid-request: leave the claim to lapse, the delivery is retried
	}
	d.LastStatus = status
	d.LastError = ""
	if sendErr != nil {
		d.LastError = sendErr.Error()
		attempt.Error = d.LastError
	}
	now := sb.Now()
	switch {
	case sendErr == nil:
		d.Status, d.DeliveredAt, d.NextAttemptAt = sb.DeliveryDelivered, &now, now
	case d.Attempts < len(w.cfg.Backoff):
		d.Status, d.NextAttemptAt = sb.DeliveryPending, now.Add(jitter(w.cfg.Backoff[d.Attempts]))
	default:
		d.Status, d.NextAttemptAt = sb.DeliveryFailed, now
	}
	// The record outlives a stop request: the receiver has the event already.
	if err := w.cfg.Service.Store().FinishWebhookDelivery(context.WithoutCancel(ctx), d, attempt); err != nil {
		log.Warn("webhook: recording the attempt failed", "err", err)
		return
	}
	if sendErr != nil {
		log.Info("webhook: delivery failed", "status", status, "err", sendErr, "attempt", d.Attempts+1, "outcome", d.Status)
	}
}

// send POSTs the delivery signed with keys; a 2xx answer is success.
func (w *Worker) send(ctx context.Context, url string, keys [][]byte, d *sb.WebhookDelivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, errors.New("invalid endpoint URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Switchboard-Webhooks/1")
	Sign(req.Header, keys, d.ID, time.Now(), d.Payload)
	resp, err := w.cfg.Doer.Do(req)
	if err != nil {
		// outbound errors name the host only, never the query or userinfo of the URL.
		return 0, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("endpoint answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// jitter spreads a wait by up to ±20%, so retries of many deliveries don't arrive together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	spread := int64(d) / 5
	if spread == 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*spread+1)-spread)
}
