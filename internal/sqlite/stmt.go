package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// Both pools run on connections that keep the statements they run prepared, keyed by their
// text. Parsing and planning a statement costs more than running a point lookup (a profile of
// the credentials read showed a fifth of its time in SQLite's parser), and the writer runs
// every write on one goroutine, so the time SQLite spends parsing is time no write commits.

// openCaching opens a pool on name whose connections keep their statements prepared. With
// detach, statements run without their caller's cancellation (see openWriteDB); onChange,
// when not nil, is registered as each connection's pre-update hook.
func openCaching(name string, detach bool, onChange sqlite.PreUpdateHookFn) (*sql.DB, error) {
	c, err := sqlite.NewConnector(name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	return sql.OpenDB(cachingConnector{Connector: c, detach: detach, onChange: onChange}), nil
}

type cachingConnector struct {
	driver.Connector
	detach   bool
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

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
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
	return &cachingConn{conn: full, detach: c.detach, stmts: map[string]*cachedStmt{}}, nil
}

// maxStatements bounds a connection's prepared statements. The store's queries are constant
// texts or built from a few shapes, far fewer than this; past it, statements are prepared for
// each call, as without a cache.
const maxStatements = 256

// cachingConn keeps the statements it runs prepared. database/sql never uses one connection
// from two goroutines at once, so the cache needs no lock.
type cachingConn struct {
	conn
	detach bool
	stmts  map[string]*cachedStmt
}

// cachedStmt is a prepared statement kept by a cachingConn. A statement has one cursor: while
// rows read from it are open (busy), the same text runs unprepared.
type cachedStmt struct {
	stmt
	busy bool
}

// ctx is the context a statement runs with.
func (c *cachingConn) ctx(ctx context.Context) context.Context {
	if c.detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// cached returns query's prepared statement, preparing it if needed, or nil when it cannot
// be used now: the caller then runs query unprepared, which reports any error.
func (c *cachingConn) cached(ctx context.Context, query string) *cachedStmt {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil
		}
		return cs
	}
	if len(c.stmts) >= maxStatements {
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

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(c.ctx(ctx), opts)
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx = c.ctx(ctx)
	if cs := c.cached(ctx, query); cs != nil {
		return cs.ExecContext(ctx, args)
	}
	return c.conn.ExecContext(ctx, query, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx = c.ctx(ctx)
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

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.conn.PrepareContext(c.ctx(ctx), query)
	if err != nil || !c.detach {
		return st, err
	}
	full, ok := st.(stmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("sqlite: driver statement %T lacks context methods", st)
	}
	return detachedStmt{full}, nil
}

func (c *cachingConn) Close() error {
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
