package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Wait is how long the store waits for PostgreSQL: for a connection of the pool, to open a new
// one, and for the answer to one statement. A server that stopped answering without closing
// its connections (stuck on its disk, frozen, a network dropping packets) would otherwise hold
// every request that reaches it for as long as it lasts; past the wait the request fails with
// CodeUnavailable (503) like any outage. Switchboard's statements are short (the slowest, a
// page of 1,000 connections, takes milliseconds), so a healthy server never comes near it.
const Wait = 5 * time.Second

// deadlines bounds each statement and each wait for a pool connection by Wait, through the
// tracer hooks pgx offers for it: the context a hook returns is the one the call then uses.
type deadlines struct{}

type cancelKey struct{}

func (deadlines) start(ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(ctx, Wait)
	return context.WithValue(ctx, cancelKey{}, cancel)
}

func (deadlines) end(ctx context.Context) {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// TraceQueryStart bounds a Query, QueryRow or Exec (BEGIN and COMMIT included): it ends at
// TraceQueryEnd, when the rows are closed.
func (d deadlines) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return d.start(ctx)
}

// TraceQueryEnd releases the statement's timer.
func (d deadlines) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	d.end(ctx)
}

// TraceAcquireStart bounds the wait for a pool connection (and its liveness ping).
func (d deadlines) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return d.start(ctx)
}

// TraceAcquireEnd releases the wait's timer.
func (d deadlines) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	d.end(ctx)
}

// bound installs the deadlines on a pool's configuration and a connect timeout of Wait when
// the DSN sets none (connect_timeout).
func bound(cfg *pgxpool.Config) {
	if cfg.ConnConfig.Tracer == nil {
		cfg.ConnConfig.Tracer = deadlines{}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = Wait
	}
}
