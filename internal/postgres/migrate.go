package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/switchboardhq/switchboard"
)

//go:embed migrations/*.sql
var migrations embed.FS

// versionTable records which migrations ran.
const versionTable = "switchboard_schema_version"

// Migrate brings the database named by dsn to the newest schema. Replicas that start together
// take turns: the first migrates, the others wait for it and then find nothing to do. Errors
// are *switchboard.Error: CodeUnavailable when the database cannot be reached.
func Migrate(ctx context.Context, dsn string) error {
	return withMigrator(ctx, dsn, func(p *goose.Provider) error {
		_, err := p.Up(ctx)
		return err
	})
}

// withMigrator runs fn with a goose provider of the embedded migrations on the database named
// by dsn, and translates what fn returns.
func withMigrator(ctx context.Context, dsn string, fn func(p *goose.Provider) error) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return switchboard.Internal(fmt.Errorf("postgres: parse dsn: %w", err))
	}
	// goose works on database/sql; the pool for queries is opened after, by Open.
	db := stdlib.OpenDB(*cfg)
	defer db.Close()

	// The migration lock is per schema, like the version table: two deployments in two
	// schemas of one database (or two test stores) don't wait for each other.
	var schema *string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return translate(fmt.Errorf("postgres: migrate: %w", err), "")
	}
	if schema == nil {
		return switchboard.Internal(errors.New("postgres: migrate: no schema of the search_path exists"))
	}
	h := fnv.New64a()
	h.Write([]byte("switchboard.migrate:" + *schema))
	// The goose locker polls; once a second for up to 5 minutes suits a migration that takes
	// a few hundred milliseconds better than its default of every 5 seconds.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return switchboard.Internal(fmt.Errorf("postgres: migrate: %w", err))
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return switchboard.Internal(fmt.Errorf("postgres: migrate: %w", err))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		// A PostgreSQL server is often shared: goose's default table, goose_db_version, may
		// already belong to another application in the same schema.
		goose.WithTableName(versionTable),
		// Go migrations registered by another package (say, the SQLite driver) are not ours.
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return switchboard.Internal(fmt.Errorf("postgres: migrate: %w", err))
	}
	if err := fn(p); err != nil {
		return translate(fmt.Errorf("postgres: migrate: %w", err), "")
	}
	return nil
}
