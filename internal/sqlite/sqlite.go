// Package sqlite implements switchboard.Store on one SQLite file, with the pure-Go
// modernc.org/sqlite driver (no cgo, so the binary stays static). It is the embedded default
// store; migrations are embedded and run by Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/groupcommit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a switchboard.Store on a SQLite database file.
type Store struct {
	// write has a single connection: SQLite allows one writer at a time, and queueing
	// writers in the pool is cheaper and fairer than letting them collide on SQLITE_BUSY.
	write *sql.DB
	// read serves queries from several connections; in WAL mode they read a snapshot and
	// never wait behind the writer.
	read *sql.DB
	// conns caches connection rows read by id; the write connection's pre-update hook and
	// the writer's commits keep it right (see connCache).
	conns *connCache
	watch *changeWatch
	// writer runs every inTx on the write connection, many at a time in one transaction
	// (group commit): concurrent writes share one sync of the WAL instead of paying one each.
	writer *groupcommit.Writer[*sql.Tx]

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool // set once no write can start: errors are then Unavailable
}

var _ sb.Store = (*Store)(nil)

// dsn is the data source name for path. Every connection gets the same pragmas because
// SQLite settings such as foreign_keys and busy_timeout are per connection.
func dsn(path string, readOnly bool) (string, error) {
	if strings.ContainsAny(path, "?#") {
		// The driver splits the DSN at the first '?', so such a path would lose its tail.
		return "", fmt.Errorf("sqlite: path %q must not contain '?' or '#'", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL syncs the WAL on every commit: a committed credential survives a power cut.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads
		// before it writes cannot fail to upgrade its lock halfway through.
		q.Set("_txlock", "immediate")
		// Each write of a group commit runs in a savepoint, which copies the pages it
		// changes to a sub-journal; in memory that costs a memcpy instead of a spill to a
		// temporary file (a third of a batch's CPU time in a profile).
		q.Add("_pragma", "temp_store(MEMORY)")
		// The writer's page cache holds the hot pages of the tables and indexes it appends
		// to: 4 MiB rather than the default 2 (which let a profile's writer re-read index
		// pages and spill dirty pages mid-transaction); more bought nothing measurable and
		// cost resident memory (peak RSS under load with 100k connections: 16 MiB cache
		// 88 MiB, 4 MiB 62 MiB).
		q.Add("_pragma", "cache_size(-4096)")
		// Checkpoint every 4096 WAL pages (16 MiB) rather than 1000: the pages written again
		// and again (the last leaf of each index) are copied to the database once per
		// checkpoint, so rarer checkpoints copy fewer pages per write.
		q.Add("_pragma", "wal_autocheckpoint(4096)")
	}
	return path + "?" + q.Encode(), nil
}

// Open opens (creating it if needed) the database file at path, whose directory must exist,
// and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	// The migrations run on a connection of their own, closed before the writer starts:
	// their one-off statements have no place in the write connection's statement cache.
	mdb, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	mdb.SetMaxOpenConns(1)
	err = migrate(ctx, mdb)
	var watch *changeWatch
	if err == nil {
		watch, err = newChangeWatch(ctx, mdb)
	}
	if cerr := mdb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("sqlite: migrate: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	name, err := dsn(path, false)
	if err != nil {
		return nil, err
	}
	write, err := openWriteDB(name, watch.hook)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	// Keep the one connection: reopening it would redo the pragmas on every idle gap.
	write.SetConnMaxIdleTime(0)
	// The read pool opens after the migrations so that the WAL mode set by the writer is in
	// place before any reader connects.
	readName, err := dsn(path, true)
	if err != nil {
		write.Close()
		return nil, err
	}
	read, err := openCaching(readName, false, nil)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	s := &Store{write: write, read: read, conns: watch.cache, watch: watch}
	s.writer = groupcommit.New(s.beginBatch, groupcommit.DefaultMaxBatch)
	return s, nil
}

// Migrate brings the schema of the database file at path up to date and closes it, for
// `switchboard migrate`.
func Migrate(ctx context.Context, path string) error {
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	return s.Close()
}

func openDB(path string, readOnly bool) (*sql.DB, error) {
	name, err := dsn(path, readOnly)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Close stops taking writes, lets the writes already queued finish, and closes the
// database. Writes after Close fail with CodeUnavailable. Calling it again is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.writer.Close()
		s.closed.Store(true)
		s.closeErr = errors.Join(s.read.Close(), s.write.Close())
	})
	return s.closeErr
}

// WriteStats returns how many transactions the writer has committed (or tried to) and how
// many writes ran in them: writes / batches is how many writes share each sync to disk.
func (s *Store) WriteStats() (batches, writes uint64) {
	return s.writer.Stats()
}

// Ping checks both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return s.fail(err)
	}
	if err := s.write.PingContext(ctx); err != nil {
		return s.fail(err)
	}
	return nil
}

// HasData reports whether any tenant exists.
func (s *Store) HasData(ctx context.Context) (bool, error) {
	var has bool
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants)`).Scan(&has); err != nil {
		return false, s.fail(err)
	}
	return has, nil
}

// inTx runs fn in a write transaction, then writes ev (if any) in the same transaction; the
// two are kept only if both succeeded: an audit event exists exactly when its change does.
// It returns once the transaction is committed (synced to disk) or fn's change undone.
//
// The transaction is shared with the other writes pending at the time (group commit), each
// in its own savepoint: fn's failure undoes fn's change alone. A failed commit fails every
// write of the batch. inTx waits for its batch even if ctx is canceled after fn started,
// since the write may still commit; a ctx done before then keeps fn from running. fn must
// not call inTx (it would wait for its own batch).
func (s *Store) inTx(ctx context.Context, ev *sb.AuditEvent, fn func(tx *sql.Tx) error) error {
	err := s.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if ev != nil {
			return s.insertAudit(ctx, tx, ev)
		}
		return nil
	})
	if errors.Is(err, groupcommit.ErrClosed) || errors.Is(err, groupcommit.ErrAborted) {
		// Closed, or a batch mate broke the shared transaction: nothing was written, and a
		// retry may succeed.
		return &sb.Error{Code: sb.CodeUnavailable, Message: "unavailable", Cause: err}
	}
	return s.fail(err)
}

// limit returns the SQL LIMIT for a page: SQLite takes -1 as no limit.
func limit(p sb.Page) int {
	if p.Limit <= 0 {
		return -1
	}
	return p.Limit
}

// exists returns NotFound(kind) unless query, run in tx, finds a row. Parents are checked
// this way inside the write transaction, which makes the check and the write atomic.
func exists(ctx context.Context, tx *sql.Tx, kind, query string, args ...any) error {
	var one int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return sb.NotFound(kind)
	}
	return err
}

// affected returns NotFound(kind) when res changed no row.
func affected(res sql.Result, kind string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sb.NotFound(kind)
	}
	return nil
}

// notFound translates err, naming kind when it is a missing row.
func (s *Store) notFound(err error, kind string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sb.NotFound(kind)
	}
	return s.fail(err)
}

// list runs a query on the read pool and scans every row with scan.
func list[T any](ctx context.Context, s *Store, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	return out, nil
}
