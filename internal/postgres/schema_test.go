package postgres_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/postgres"
)

// InspectSchema tells an empty schema, a current one, one with data and one migrated by a
// newer binary apart, and creates nothing in an empty schema.
func TestInspectSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := postgres.TestDSN(t)

	s, err := postgres.InspectSchema(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Applied) != 0 || s.HasData || len(s.Known) == 0 || !slices.IsSorted(s.Known) {
		t.Fatalf("empty schema: %+v", s)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("after InspectSchema of an empty schema: %d tables (%v)", tables, err)
	}

	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err = postgres.InspectSchema(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Known, s.Applied); diff != "" || s.HasData {
		t.Errorf("migrated, empty: %+v (applied vs known: %s)", s, diff)
	}
	if err := store.CreateTenant(ctx, &switchboard.Tenant{ID: "t1", Name: "t1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO switchboard_schema_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
		t.Fatal(err)
	}
	s, err = postgres.InspectSchema(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasData || s.Applied[len(s.Applied)-1] != 99999 {
		t.Errorf("with a tenant and a newer migration: %+v", s)
	}
}

func TestInspectSchemaUnreachable(t *testing.T) {
	t.Parallel()
	_, err := postgres.InspectSchema(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if got := switchboard.ErrorCode(err); got != switchboard.CodeUnavailable {
		t.Fatalf("error code = %q (%v), want %q", got, err, switchboard.CodeUnavailable)
	}
}
