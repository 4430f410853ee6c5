package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/pressly/goose/v3"
)

// Schema is what [InspectSchema] finds in a database file.
type Schema struct {
	// Exists is false when there is no database file yet (Open would create it).
	Exists bool
	// Applied are the migration versions recorded in the database, ascending.
	Applied []int64
	// Known are the versions of the migrations embedded in this binary, ascending.
	Known []int64
	// HasData reports whether a tenant exists (the keyring then must match).
	HasData bool
}

// versionTable is goose's default table, the one migrate uses for SQLite.
const versionTable = "goose_db_version"

// InspectSchema reports the migration state of the database file at path without changing
// anything: the file is opened read-only and never created, and no migration runs.
func InspectSchema(ctx context.Context, path string) (*Schema, error) {
	known, err := knownVersions()
	if err != nil {
		return nil, err
	}
	s := &Schema{Known: known}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return s, nil
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s.Exists = true
	db, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if ok, err := hasTable(ctx, db, versionTable); err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", path, err)
	} else if !ok {
		return s, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT version_id FROM `+versionTable+` WHERE version_id > 0 AND is_applied ORDER BY version_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("sqlite: read migrations: %w", err)
		}
		s.Applied = append(s.Applied, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read migrations: %w", err)
	}
	if ok, err := hasTable(ctx, db, "tenants"); err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", path, err)
	} else if ok {
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants)`).Scan(&s.HasData); err != nil {
			return nil, fmt.Errorf("sqlite: read tenants: %w", err)
		}
	}
	return s, nil
}

// knownVersions lists the versions of the embedded migrations, as goose numbers them.
func knownVersions() ([]int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	var out []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			return nil, fmt.Errorf("sqlite: migration %s: %w", e.Name(), err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}
