package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// TestPragmas checks the durability settings on a connection of each pool: pragmas such as
// synchronous are per connection, so a pool that missed them would silently weaken commits.
func TestPragmas(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	for name, db := range map[string]*sql.DB{"write": s.write, "read": s.read} {
		want := map[string]string{
			"journal_mode": "wal",
			"synchronous":  "2", // FULL
			"foreign_keys": "1",
			"busy_timeout": "5000",
		}
		for pragma, value := range want {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", name, pragma, err)
			}
			if strings.ToLower(got) != value {
				t.Errorf("%s pool: %s = %s, want %s", name, pragma, got, value)
			}
		}
	}
	// The read pool must not be able to write, so a write that slips into it fails loudly
	// instead of racing the single writer.
	_, err := s.read.ExecContext(t.Context(), `INSERT INTO tenants (id, name, created_at) VALUES ('x', 'x', 0)`)
	if err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	// Twice: a second run on an up-to-date database is a no-op.
	for range 2 {
		if err := Migrate(t.Context(), path); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if has, err := s.HasData(t.Context()); err != nil || has {
		t.Fatalf("HasData = %v, %v after migrating an empty database", has, err)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing-dir", "switchboard.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
	if _, err := Open(t.Context(), "a?b.db"); err == nil {
		t.Fatal("Open accepted a path with '?'")
	}
}

func TestConstraintColumns(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"constraint failed: UNIQUE constraint failed: tenants.id (1555)":                            "tenants.id",
		"UNIQUE constraint failed: connections.workspace_id, connections.name":                      "connections.workspace_id, connections.name",
		"constraint failed: UNIQUE constraint failed: usages.connection_id, usages.consumer (2067)": "usages.connection_id, usages.consumer",
		"something else": "",
	}
	for msg, want := range tests {
		if got := constraintColumns(msg); got != want {
			t.Errorf("constraintColumns(%q) = %q, want %q", msg, got, want)
		}
	}
}

// TestUniqueKeys checks every unique index of the schema has a conflict message key, so a
// migration that adds one cannot make a write fail with a bare "conflict".
func TestUniqueKeys(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	rows, err := s.read.QueryContext(ctx, `SELECT m.name, i.name FROM sqlite_master m, pragma_index_list(m.name) i
		WHERE m.type = 'table' AND i."unique"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	covered := map[string]bool{}
	// Written with ON CONFLICT DO NOTHING / INSERT OR IGNORE: they never fail.
	ignored := map[string]bool{
		"key_checks.kek_id": true,
		"connection_tags.connection_id, connection_tags.tag":                         true,
		"connection_credentials.connection_id, connection_credentials.credential_id": true,
		"connection_categories.connection_id, connection_categories.category":        true,
		// Written with ON CONFLICT DO UPDATE (upserts).
		"oauth_clients.workspace_id, oauth_clients.connector_id": true,
		"connection_tokens.connection_id":                        true,
	}
	for rows.Next() {
		var table, index string
		if err := rows.Scan(&table, &index); err != nil {
			t.Fatal(err)
		}
		cols, err := s.read.QueryContext(ctx, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, index)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				t.Fatal(err)
			}
			names = append(names, table+"."+c)
		}
		cols.Close()
		key := strings.Join(names, ", ")
		covered[key] = true
		if ignored[key] {
			continue
		}
		if _, ok := uniqueKeys[key]; !ok {
			t.Errorf("unique index %s (%s) has no conflict message key", index, key)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Single-column text primary keys are reported as autoindexes too; the list must have
	// found the composite ones.
	if !covered["connections.workspace_id, connections.connector_id, connections.name"] {
		t.Errorf("index listing missed connections_name: %v", covered)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := s.CreateTenant(t.Context(), &sb.Tenant{ID: "t", CreatedAt: sb.Now()})
	if sb.ErrorCode(err) != sb.CodeUnavailable {
		t.Fatalf("CreateTenant on a closed store: %v, want unavailable", err)
	}
}
