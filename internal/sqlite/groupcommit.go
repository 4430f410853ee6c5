package sqlite

import (
	"context"
	"database/sql"

	"modernc.org/sqlite"

	"github.com/switchboardhq/switchboard/internal/groupcommit"
)

// batch is one group-commit transaction on the write connection. Each write runs inside
// its own SAVEPOINT, so that a failing write is undone alone.
type batch struct {
	tx    *sql.Tx
	watch *changeWatch // told when a write or the transaction has ended, to drop what it changed
}

var _ groupcommit.Batch[*sql.Tx] = batch{}

func (s *Store) beginBatch(ctx context.Context) (groupcommit.Batch[*sql.Tx], error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return batch{tx: tx, watch: s.watch}, nil
}

func (b batch) Tx() *sql.Tx { return b.tx }

func (b batch) Savepoint(ctx context.Context) (*sql.Tx, error) {
	_, err := b.tx.ExecContext(ctx, `SAVEPOINT write`)
	return b.tx, err
}

func (b batch) Release(ctx context.Context, _ *sql.Tx) error {
	_, err := b.tx.ExecContext(ctx, `RELEASE write`)
	return err
}

// RollbackTo undoes the write's changes. It fails when SQLite has already rolled the whole
// transaction back (an I/O error, a full disk), which then fails the batch.
func (b batch) RollbackTo(ctx context.Context, _ *sql.Tx) error {
	// ROLLBACK TO keeps the savepoint open: release it so savepoints don't pile up.
	b.watch.subs.forget()
	_, err := b.tx.ExecContext(ctx, `ROLLBACK TO write; RELEASE write`)
	return err
}

// Commit commits the batch; then (committed or not) the connection rows it changed leave the
// cache, so no read after this returns is served an older row.
func (b batch) Commit(context.Context) error {
	defer b.watch.cache.settle()
	err := b.tx.Commit()
	if err != nil {
		b.watch.subs.forget()
	}
	return err
}

func (b batch) Rollback(context.Context) error {
	defer b.watch.cache.settle()
	b.watch.subs.forget()
	return b.tx.Rollback()
}

// openWriteDB opens the write pool on connections whose statements, once started, run to
// their end even if the caller's context is canceled meanwhile. The writes of a batch share
// one transaction, and the statements of a write still take their caller's context: the
// driver would interrupt such a statement (sqlite3_interrupt), and an interrupted INSERT,
// UPDATE or DELETE in an explicit transaction rolls the whole transaction back, every
// other caller's write with it. A context already done still stops a statement before it
// starts (database/sql checks it), and the write then fails alone, at its savepoint.
//
// onChange, when not nil, is SQLite's pre-update hook of the connections: it sees every row
// changed through them (the connection row cache uses it).
func openWriteDB(name string, onChange sqlite.PreUpdateHookFn) (*sql.DB, error) {
	return openCaching(name, true, onChange)
}
