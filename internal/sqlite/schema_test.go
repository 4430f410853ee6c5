package sqlite_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/sqlite"
)

// InspectSchema tells a missing file, a current schema, one with data and one migrated by a
// newer binary apart, and neither creates nor changes the file.
func TestInspectSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "switchboard.db")

	s, err := sqlite.InspectSchema(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Exists || len(s.Applied) != 0 || s.HasData {
		t.Errorf("missing file: %+v", s)
	}
	if len(s.Known) == 0 || !slices.IsSorted(s.Known) {
		t.Fatalf("known versions: %v", s.Known)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("InspectSchema created the database file")
	}

	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.InspectSchema(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Known, s.Applied); !s.Exists || diff != "" || s.HasData {
		t.Errorf("migrated, empty: %+v (applied vs known: %s)", s, diff)
	}
	if err := store.CreateTenant(ctx, &sb.Tenant{ID: "t1", Name: "t1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.InspectSchema(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasData {
		t.Errorf("a tenant exists, HasData false")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("InspectSchema changed the database file")
	}

	// A newer binary's migration.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = sqlite.InspectSchema(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Applied[len(s.Applied)-1]; got != 99999 {
		t.Errorf("newest applied version %d, want 99999", got)
	}
}
