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
	"sync/atomic"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	sb "github.com/switchboardhq/switchboard"
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
	read   *sql.DB
	closed atomic.Bool
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
	}
	return path + "?" + q.Encode(), nil
}

// Open opens (creating it if needed) the database file at path, whose directory must exist,
// and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	write, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	// Keep the one connection: reopening it would redo the pragmas on every idle gap.
	write.SetConnMaxIdleTime(0)
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	// The read pool opens after the migrations so that the WAL mode set by the writer is in
	// place before any reader connects.
	read, err := openDB(path, true)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	return &Store{write: write, read: read}, nil
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

// Close closes the database. Calling it again is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return errors.Join(s.read.Close(), s.write.Close())
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

// inTx runs fn in a write transaction, then writes ev (if any) in the same transaction, and
// commits only if both succeeded: an audit event exists exactly when its change does.
func (s *Store) inTx(ctx context.Context, ev *sb.AuditEvent, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op; before, the error is already being returned
	if err := fn(tx); err != nil {
		return s.fail(err)
	}
	if ev != nil {
		if err := insertAudit(ctx, tx, ev); err != nil {
			return s.fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.fail(err)
	}
	return nil
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
