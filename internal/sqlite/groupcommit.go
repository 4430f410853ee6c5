package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

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
// The connections also keep their statements prepared (see writeConn): the writer runs
// every write on one goroutine, so the time SQLite spends parsing is time no write commits.
//
// onChange, when not nil, is SQLite's pre-update hook of the connections: it sees every row
// changed through them (the connection row cache uses it).
func openWriteDB(name string, onChange sqlite.PreUpdateHookFn) (*sql.DB, error) {
	c, err := sqlite.NewConnector(name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	return sql.OpenDB(writeConnector{Connector: c, onChange: onChange}), nil
}

type writeConnector struct {
	driver.Connector
	onChange sqlite.PreUpdateHookFn
}

// conn is what database/sql uses of a modernc.org/sqlite connection.
type conn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

func (c writeConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := dc.(conn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("sqlite: driver connection %T lacks context methods", dc)
	}
	if c.onChange != nil {
		hr, ok := dc.(sqlite.HookRegisterer)
		if !ok {
			dc.Close()
			return nil, fmt.Errorf("sqlite: driver connection %T cannot register hooks", dc)
		}
		hr.RegisterPreUpdateHook(c.onChange)
	}
	return &writeConn{conn: full, stmts: map[string]*cachedStmt{}}, nil
}

// maxWriteStatements bounds a write connection's prepared statements. The store's writes are
// constant texts or built from a few shapes, far fewer than this; past it, statements are
// prepared for each call, as without a cache.
const maxWriteStatements = 256

// writeConn is a write connection: it strips cancellation from the contexts of statements
// (see openWriteDB) and keeps the statements it runs prepared, keyed by their text.
// database/sql never uses one connection from two goroutines at once, so the cache needs
// no lock.
type writeConn struct {
	conn
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement kept by a writeConn. A statement has one cursor: while
// rows read from it are open (busy), the same text runs unprepared.
type cachedStmt struct {
	stmt
	busy bool
}

// cached returns query's prepared statement, preparing it if needed, or nil when it cannot
// be used now: the caller then runs query unprepared, which reports any error.
func (c *writeConn) cached(ctx context.Context, query string) *cachedStmt {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil
		}
		return cs
	}
	if len(c.stmts) >= maxWriteStatements {
		return nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	full, ok := st.(stmt)
	if !ok {
		st.Close()
		return nil
	}
	cs := &cachedStmt{stmt: full}
	c.stmts[query] = cs
	return cs
}

func (c *writeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(context.WithoutCancel(ctx), opts)
}

func (c *writeConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if cs := c.cached(ctx, query); cs != nil {
		return cs.ExecContext(ctx, args)
	}
	return c.conn.ExecContext(ctx, query, args)
}

func (c *writeConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	cs := c.cached(ctx, query)
	if cs == nil {
		return c.conn.QueryContext(ctx, query, args)
	}
	rows, err := cs.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *writeConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.conn.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	full, ok := st.(stmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("sqlite: driver statement %T lacks context methods", st)
	}
	return detachedStmt{full}, nil
}

func (c *writeConn) Close() error {
	var errs []error
	for _, cs := range c.stmts {
		errs = append(errs, cs.Close())
	}
	clear(c.stmts)
	return errors.Join(append(errs, c.conn.Close())...)
}

// cachedRows frees its statement for the next call when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close() // resets the statement, keeping it prepared
	r.cs.busy = false
	return err
}

// stmt is what database/sql uses of a modernc.org/sqlite prepared statement.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// detachedStmt is a statement prepared explicitly (tx.PrepareContext) on a write connection.
type detachedStmt struct{ stmt }

func (s detachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.stmt.ExecContext(context.WithoutCancel(ctx), args)
}

func (s detachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.stmt.QueryContext(context.WithoutCancel(ctx), args)
}
