package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestDSNEnv names the environment variable that gives tests their PostgreSQL server.
const TestDSNEnv = "SWITCHBOARD_TEST_POSTGRES_URL"

// TestDSN returns the DSN of a new, empty schema of the test server, dropped when t ends.
// The server is the one SWITCHBOARD_TEST_POSTGRES_URL names or, when that is empty, the one
// the PG* variables describe (as pg_virtualenv exports them). With neither, the test is
// skipped, or fails when CI=true: PostgreSQL is required in CI.
func TestDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(TestDSNEnv)
	if base == "" && os.Getenv("PGHOST") == "" {
		const how = "PostgreSQL tests need a server: " + TestDSNEnv +
			"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test ./internal/postgres/ " +
			"or pg_virtualenv -t -- go test ./..."
		if os.Getenv("CI") == "true" {
			t.Fatal(how)
		}
		t.Skip(how)
	}
	// An empty base is fine: pgx then takes host, port, user, password and database from the
	// PG* variables, and the search_path we add is the only setting of the DSN.

	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	// The name holds its creation time, so a later run can drop what a killed one left, and
	// random bytes; it is digits, hex and "_" only, so it needs no quoting below.
	schema := fmt.Sprintf("%s%d_%x", testSchemaPrefix, time.Now().Unix(), b)
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, sql)
		return err
	}
	sweepOnce.Do(func() { sweepTestSchemas(t, base) })
	if err := exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres test server: create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("postgres test server: drop schema %s: %v", schema, err)
		}
	})
	dsn, err := withParam(base, "search_path", schema)
	if err != nil {
		t.Fatalf("%s: %v", TestDSNEnv, err)
	}
	return dsn
}

const testSchemaPrefix = "sbtest_"

var sweepOnce sync.Once

// sweepTestSchemas drops the test schemas older than a day: those of test processes killed
// before their cleanup ran. A day is far longer than any test run, so a schema still in use
// by a concurrent run is never dropped. Failing to sweep fails no test.
func sweepTestSchemas(t testing.TB, base string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return // TestDSN reports an unreachable server
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, testSchemaPrefix)
	if err != nil {
		t.Logf("postgres test server: list old test schemas: %v", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Logf("postgres test server: list old test schemas: %v", err)
		return
	}
	cutoff := time.Now().Add(-24 * time.Hour).Unix()
	for _, name := range names {
		created, _, ok := strings.Cut(strings.TrimPrefix(name, testSchemaPrefix), "_")
		if sec, err := strconv.ParseInt(created, 10, 64); !ok || err != nil || sec >= cutoff {
			continue
		}
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Logf("postgres test server: drop old test schema %s: %v", name, err)
		}
	}
}

// OpenTestStore returns a Store on a new, empty schema of the test server (see TestDSN),
// closed and dropped when t ends.
func OpenTestStore(t testing.TB) *Store {
	t.Helper()
	dsn := TestDSN(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	// Registered after TestDSN's cleanup, so it runs before it: the pool is closed before its
	// schema is dropped.
	t.Cleanup(func() { s.Close() })
	return s
}

// withParam adds a run-time parameter to a DSN, a URL or key=value connection string (pgx
// sends unknown parameters to the server as session settings).
func withParam(dsn, key, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %w", err) // url.Error names the URL; its password is redacted
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(dsn + " " + key + "=" + value), nil
}
