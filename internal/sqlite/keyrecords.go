package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	sb "github.com/switchboardhq/switchboard"
)

// KeyRecords are what a database records about its key-encryption keys: what a keyring is
// verified against (seal.VerifyKeyring).
type KeyRecords struct {
	// Checks are the recorded check values by key id; none in a database that has no
	// key-check table.
	Checks map[string][]byte
	// DataKeys are the wrapped data keys, ordered by workspace id (workspace, key id and
	// wrapped bytes only).
	DataKeys []*sb.DataKey
}

// ReadKeyRecords reads the key checks and wrapped data keys of the database file at path
// without changing anything, as [InspectSchema] does: the file is opened read-only and never
// created, and no migration runs. A missing file or table reads as none, so a database of an
// older schema is read as it is.
func ReadKeyRecords(ctx context.Context, path string) (*KeyRecords, error) {
	r := &KeyRecords{Checks: map[string][]byte{}}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return r, nil
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// One read transaction: the checks and the data keys of one moment.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", path, err)
	}
	defer tx.Rollback()
	if ok, err := hasTable(ctx, tx, "key_checks"); err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", path, err)
	} else if ok {
		rows, err := tx.QueryContext(ctx, `SELECT kek_id, "check" FROM key_checks`)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read key checks: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var check []byte
			if err := rows.Scan(&id, &check); err != nil {
				return nil, fmt.Errorf("sqlite: read key checks: %w", err)
			}
			r.Checks[id] = check
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: read key checks: %w", err)
		}
	}
	if ok, err := hasTable(ctx, tx, "data_keys"); err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", path, err)
	} else if ok {
		rows, err := tx.QueryContext(ctx, `SELECT workspace_id, kek_id, wrapped FROM data_keys ORDER BY workspace_id`)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read data keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k sb.DataKey
			if err := rows.Scan(&k.WorkspaceID, &k.KEKID, &k.Wrapped); err != nil {
				return nil, fmt.Errorf("sqlite: read data keys: %w", err)
			}
			r.DataKeys = append(r.DataKeys, &k)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: read data keys: %w", err)
		}
	}
	return r, nil
}

// hasTable reports whether the database q reads has a table called name.
func hasTable(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, name string) (bool, error) {
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)`, name).Scan(&ok)
	return ok, err
}

// openReadOnly opens the existing database file at path for reading only, without creating
// or changing any file: SQLite's mode=ro through a file: URI. A WAL-mode database read that
// way still gets a -wal and -shm file made beside it when it has none; without a -wal file
// the database file holds every commit, so it is then opened immutable, which reads that file
// alone. (A writer that opens the database meanwhile makes the WAL; serve reads under the
// data dir's lock, so none does.)
func openReadOnly(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := "mode=ro&_pragma=busy_timeout(5000)"
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		q = "mode=ro&immutable=1"
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
