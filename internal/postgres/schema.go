package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
)

// Schema is what [InspectSchema] finds in a database.
type Schema struct {
	// Applied are the migration versions recorded in the database, ascending; none when no
	// migration ran yet.
	Applied []int64
	// Known are the versions of the migrations embedded in this binary, ascending.
	Known []int64
	// HasData reports whether a tenant exists (the keyring then must match).
	HasData bool
}

// InspectSchema connects to the database named by dsn and reports its migration state without
// changing anything (no migration runs, no version table is created). Errors are
// *switchboard.Error: CodeUnavailable when the database cannot be reached.
func InspectSchema(ctx context.Context, dsn string) (*Schema, error) {
	known, err := knownVersions()
	if err != nil {
		return nil, err
	}
	s := &Schema{Known: known}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, translate(fmt.Errorf("postgres: connect: %w", err), "")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// to_regclass resolves through the search_path, as the store's queries do.
	var table, tenants *string
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1)::text, to_regclass('tenants')::text`, versionTable).Scan(&table, &tenants); err != nil {
		return nil, translate(fmt.Errorf("postgres: inspect schema: %w", err), "")
	}
	if table != nil {
		rows, err := conn.Query(ctx, `SELECT DISTINCT version_id FROM `+pgx.Identifier{versionTable}.Sanitize()+
			` WHERE version_id > 0 AND is_applied ORDER BY version_id`)
		if err != nil {
			return nil, translate(fmt.Errorf("postgres: read migrations: %w", err), "")
		}
		if s.Applied, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return nil, translate(fmt.Errorf("postgres: read migrations: %w", err), "")
		}
	}
	if tenants != nil {
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants)`).Scan(&s.HasData); err != nil {
			return nil, translate(fmt.Errorf("postgres: read tenants: %w", err), "")
		}
	}
	return s, nil
}

// knownVersions lists the versions of the embedded migrations, as goose numbers them.
func knownVersions() ([]int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	var out []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", e.Name(), err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}
