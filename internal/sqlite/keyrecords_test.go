package sqlite_test

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/sqlite"
)

// ReadKeyRecords reads the key checks and data keys a store wrote, reads an older schema
// without the key-check table as having none, and neither creates nor changes a file.
func TestReadKeyRecords(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.db")

	r, err := sqlite.ReadKeyRecords(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 0 || len(r.DataKeys) != 0 {
		t.Errorf("missing file: %+v", r)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("ReadKeyRecords created the database file")
	}

	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := store.CreateTenant(ctx, &sb.Tenant{ID: "t1", Name: "t1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{"w2", "w1"} {
		if err := store.CreateWorkspace(ctx, &sb.Workspace{ID: ws, TenantID: "t1", Name: ws, CreatedAt: now}, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.CreateDataKey(ctx, &sb.DataKey{WorkspaceID: ws, KEKID: "k1", Wrapped: []byte("wrapped " + ws), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutKeyCheck(ctx, "k1", []byte("check k1")); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	before := hashFiles(t, dir)
	r, err = sqlite.ReadKeyRecords(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := &sqlite.KeyRecords{
		Checks: map[string][]byte{"k1": []byte("check k1")},
		DataKeys: []*sb.DataKey{
			{WorkspaceID: "w1", KEKID: "k1", Wrapped: []byte("wrapped w1")},
			{WorkspaceID: "w2", KEKID: "k1", Wrapped: []byte("wrapped w2")},
		},
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("ReadKeyRecords (-want +got):\n%s", d)
	}
	if d := cmp.Diff(before, hashFiles(t, dir)); d != "" {
		t.Errorf("ReadKeyRecords changed the data dir (-before +after):\n%s", d)
	}
	if _, err := sqlite.InspectSchema(ctx, path); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, hashFiles(t, dir)); d != "" {
		t.Errorf("InspectSchema changed the data dir (-before +after):\n%s", d)
	}

	// While a store has the database open, the latest commits are in its WAL: read too.
	store, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateWorkspace(ctx, &sb.Workspace{ID: "w3", TenantID: "t1", Name: "w3", CreatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateDataKey(ctx, &sb.DataKey{WorkspaceID: "w3", KEKID: "k2", Wrapped: []byte("wrapped w3"), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	r, err = sqlite.ReadKeyRecords(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.DataKeys) != 3 {
		t.Errorf("with the store open: %d data keys, want 3 (the WAL's commit unread?)", len(r.DataKeys))
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// A database of a schema without key checks: the data keys alone.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DROP TABLE key_checks`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r, err = sqlite.ReadKeyRecords(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 0 || len(r.DataKeys) != 3 {
		t.Errorf("without key_checks: %d checks, %d data keys; want 0, 3", len(r.Checks), len(r.DataKeys))
	}
}

// hashFiles maps each file of dir to a hash of its bytes.
func hashFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return out
}
