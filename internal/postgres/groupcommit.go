package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboardhq/switchboard/internal/groupcommit"
)

// batch is one group-commit transaction: each write runs in a pseudo nested transaction of
// pgx (a SAVEPOINT), so a failing write is undone alone.
type batch struct{ tx pgx.Tx }

var _ groupcommit.Batch[pgx.Tx] = batch{}

func (s *Store) beginBatch(ctx context.Context) (groupcommit.Batch[pgx.Tx], error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return batch{tx}, nil
}

func (b batch) Tx() pgx.Tx { return detachedTx{b.tx} }

func (b batch) Savepoint(ctx context.Context) (pgx.Tx, error) {
	sp, err := b.tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return detachedTx{sp}, nil
}

func (b batch) Release(ctx context.Context, sp pgx.Tx) error    { return sp.Commit(ctx) }
func (b batch) RollbackTo(ctx context.Context, sp pgx.Tx) error { return sp.Rollback(ctx) }
func (b batch) Commit(ctx context.Context) error                { return b.tx.Commit(ctx) }
func (b batch) Rollback(ctx context.Context) error              { return b.tx.Rollback(ctx) }

// detachedTx runs a write's statements without its caller's cancellation. The write's code
// passes its caller's context, and pgx answers a canceled context mid-statement by
// closing the connection: that would end the whole batch, every other write with it.
type detachedTx struct{ pgx.Tx }

func (t detachedTx) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := t.Tx.Begin(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	return detachedTx{tx}, nil
}

func (t detachedTx) Commit(ctx context.Context) error {
	return t.Tx.Commit(context.WithoutCancel(ctx))
}

func (t detachedTx) Rollback(ctx context.Context) error {
	return t.Tx.Rollback(context.WithoutCancel(ctx))
}

func (t detachedTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	return t.Tx.CopyFrom(context.WithoutCancel(ctx), table, columns, src)
}

func (t detachedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.Tx.SendBatch(context.WithoutCancel(ctx), b)
}

func (t detachedTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.Tx.Prepare(context.WithoutCancel(ctx), name, sql)
}

func (t detachedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.Tx.Exec(context.WithoutCancel(ctx), sql, args...)
}

func (t detachedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.Tx.Query(context.WithoutCancel(ctx), sql, args...)
}

func (t detachedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.Tx.QueryRow(context.WithoutCancel(ctx), sql, args...)
}
