package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxStatements bounds the prepared statement cache. The store's queries are constants or
// built from a fixed set of filter clauses, so they are far fewer than this; past it, queries
// run unprepared rather than growing the cache.
const maxStatements = 512

// readDB is the read pool with a cache of prepared statements keyed by query text. Parsing
// and planning a statement costs more than running a point lookup (a profile of the
// credentials read showed a fifth of its time in SQLite's parser), so each query is prepared
// once per connection and reused; database/sql re-prepares it on a connection that lacks it.
type readDB struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	full  atomic.Bool
}

func newReadDB(db *sql.DB) *readDB { return &readDB{DB: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns the prepared statement of query, or nil when it cannot be cached.
func (r *readDB) stmt(ctx context.Context, query string) *sql.Stmt {
	r.mu.Lock()
	st, ok := r.stmts[query]
	r.mu.Unlock()
	if ok || r.full.Load() {
		return st
	}
	st, err := r.DB.PrepareContext(ctx, query)
	if err != nil {
		// The unprepared path reports the same error to the caller.
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.stmts[query]; ok {
		st.Close()
		return prev
	}
	if len(r.stmts) >= maxStatements {
		r.full.Store(true)
		st.Close()
		return nil
	}
	r.stmts[query] = st
	return st
}

// QueryContext runs query as a prepared statement.
func (r *readDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query as a prepared statement.
func (r *readDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, query, args...)
}

// Close closes the statements, then the pool.
func (r *readDB) Close() error {
	r.mu.Lock()
	for q, st := range r.stmts {
		st.Close()
		delete(r.stmts, q)
	}
	r.mu.Unlock()
	return r.DB.Close()
}
