package postgres_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/postgres"
)

// ReadKeyRecords reads the key checks and data keys a store wrote, an empty schema as none
// (creating nothing), and an older schema without the key-check table as having no checks.
func TestReadKeyRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := postgres.TestDSN(t)

	r, err := postgres.ReadKeyRecords(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 0 || len(r.DataKeys) != 0 {
		t.Errorf("empty schema: %+v", r)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("after ReadKeyRecords of an empty schema: %d tables (%v)", tables, err)
	}

	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	if err := store.CreateTenant(ctx, &switchboard.Tenant{ID: "t1", Name: "t1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{"w2", "w1"} {
		if err := store.CreateWorkspace(ctx, &switchboard.Workspace{ID: ws, TenantID: "t1", Name: ws, CreatedAt: now}, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.CreateDataKey(ctx, &switchboard.DataKey{WorkspaceID: ws, KEKID: "k1", Wrapped: []byte("wrapped " + ws), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutKeyCheck(ctx, "k1", []byte("check k1")); err != nil {
		t.Fatal(err)
	}
	r, err = postgres.ReadKeyRecords(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	want := &postgres.KeyRecords{
		Checks: map[string][]byte{"k1": []byte("check k1")},
		DataKeys: []*switchboard.DataKey{
			{WorkspaceID: "w1", KEKID: "k1", Wrapped: []byte("wrapped w1")},
			{WorkspaceID: "w2", KEKID: "k1", Wrapped: []byte("wrapped w2")},
		},
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("ReadKeyRecords (-want +got):\n%s", d)
	}

	if _, err := conn.Exec(ctx, `DROP TABLE key_checks`); err != nil {
		t.Fatal(err)
	}
	r, err = postgres.ReadKeyRecords(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 0 || len(r.DataKeys) != 2 {
		t.Errorf("without key_checks: %d checks, %d data keys; want 0, 2", len(r.Checks), len(r.DataKeys))
	}
}

func TestReadKeyRecordsUnreachable(t *testing.T) {
	t.Parallel()
	_, err := postgres.ReadKeyRecords(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if got := switchboard.ErrorCode(err); got != switchboard.CodeUnavailable {
		t.Fatalf("error code = %q (%v), want %q", got, err, switchboard.CodeUnavailable)
	}
}
