package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"

	"github.com/switchboardhq/switchboard"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	dsn := TestDSN(t)
	// Replicas starting together each migrate: the lock makes them take turns.
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- Migrate(t.Context(), dsn) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open after Migrate: %v", err)
	}
	defer s.Close()
	if has, err := s.HasData(t.Context()); err != nil || has {
		t.Fatalf("HasData = %v, %v; want false, nil", has, err)
	}
}

func TestMigrateDownAndUp(t *testing.T) {
	t.Parallel()
	dsn := TestDSN(t)
	if err := Migrate(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	// Every Down section must undo its Up, so that a release can be rolled back.
	err := withMigrator(t.Context(), dsn, func(p *goose.Provider) error {
		if _, err := p.DownTo(t.Context(), 0); err != nil {
			return err
		}
		_, err := p.Up(t.Context())
		return err
	})
	if err != nil {
		t.Fatalf("down to 0, then up: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1; connect_timeout keeps the test quick should something drop
	// packets instead of refusing.
	_, err := Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if got := switchboard.ErrorCode(err); got != switchboard.CodeUnavailable {
		t.Fatalf("Open error code = %q (%v), want %q", got, err, switchboard.CodeUnavailable)
	}
}

func TestStoreAfterCloseIsUnavailable(t *testing.T) {
	t.Parallel()
	s := OpenTestStore(t)
	s.Close()
	if got := switchboard.ErrorCode(s.Ping(t.Context())); got != switchboard.CodeUnavailable {
		t.Fatalf("Ping after Close: code %q, want %q", got, switchboard.CodeUnavailable)
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	pg := func(code, constraint string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, ConstraintName: constraint})
	}
	stale := switchboard.Errorf(switchboard.CodePreconditionFailed, "precondition.failed")
	tests := []struct {
		name    string
		err     error
		code    switchboard.Code
		message string
	}{
		{"nil", nil, "", ""},
		{"domain error passes", stale, switchboard.CodePreconditionFailed, "precondition.failed"},
		{"no rows", pgx.ErrNoRows, switchboard.CodeNotFound, "not_found"},
		{"unique by constraint", pg("23505", "connections_name_key"), switchboard.CodeConflict, "connection.name_taken"},
		{"idempotency key", pg("23505", "connections_idempotency_key"), switchboard.CodeConflict, "idempotency.key_taken"},
		{"unknown unique", pg("23505", "other"), switchboard.CodeConflict, "conflict"},
		{"fk with a parent", pg("23503", "usages_connection_fkey"), switchboard.CodeNotFound, "not_found"},
		{"other fk", pg("23503", "other"), switchboard.CodeInternal, "internal"},
		{"admin shutdown", pg("57P01", ""), switchboard.CodeUnavailable, "unavailable"},
		{"connection failure", pg("08006", ""), switchboard.CodeUnavailable, "unavailable"},
		{"syntax", pg("42601", ""), switchboard.CodeInternal, "internal"},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), switchboard.CodeUnavailable, "unavailable"},
		{"deadline", context.DeadlineExceeded, switchboard.CodeUnavailable, "unavailable"},
		{"other", errors.New("boom"), switchboard.CodeInternal, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := translate(tt.err, "connection")
			if code := switchboard.ErrorCode(got); code != tt.code {
				t.Fatalf("code = %q, want %q", code, tt.code)
			}
			if got == nil {
				return
			}
			e := switchboard.AsError(got)
			if e.Message != tt.message {
				t.Errorf("message = %q, want %q", e.Message, tt.message)
			}
			// The native error stays reachable for logs, except for "no rows" which says
			// nothing a log needs.
			if tt.err != pgx.ErrNoRows && !errors.Is(got, tt.err) {
				t.Errorf("cause %v lost", tt.err)
			}
		})
	}
}

func TestTimesComeBackUTC(t *testing.T) {
	t.Parallel()
	// A session in another zone must not change what is read back.
	dsn, err := withParam(TestDSN(t), "timezone", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 25, 10, 30, 0, 123456000, time.UTC)
	if err := s.CreateTenant(t.Context(), &switchboard.Tenant{ID: "t1", Name: "T", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTenant(t.Context(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt = %v, want %v", got.CreatedAt, at)
	}
}

func TestTerminatedConnectionIsUnavailable(t *testing.T) {
	t.Parallel()
	s := OpenTestStore(t)
	ctx := t.Context()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var pid int32
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	// An administrator (or a failover) ends the session under us.
	killer, err := pgx.Connect(ctx, TestDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(context.WithoutCancel(ctx))
	if _, err := killer.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the FATAL 57P01, then the closed connection
		_, err = conn.Exec(ctx, `SELECT 1`)
		if got := switchboard.ErrorCode(translate(err, "")); got != switchboard.CodeUnavailable {
			t.Fatalf("query %d on a terminated session: code %q (%v), want %q", i, got, err, switchboard.CodeUnavailable)
		}
	}
	// The pool drops the dead connection; the store goes on working.
	conn.Release()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after a terminated session: %v", err)
	}
}

func TestTranslateConflictArgs(t *testing.T) {
	t.Parallel()
	err := translate(&pgconn.PgError{Code: "23505", ConstraintName: "credentials_name_key"}, "", "Name", "prod-db")
	e := switchboard.AsError(err)
	if e.Code != switchboard.CodeConflict || e.Message != "credential.name_taken" || e.Args["Name"] != "prod-db" {
		t.Fatalf("translate = %v, want conflict credential.name_taken with Name=prod-db", err)
	}
}

// TestListsUseIndexes checks that every list filter and lookup has an index: with sequential
// scans made prohibitively expensive, the planner still picks one only where no index fits.
func TestListsUseIndexes(t *testing.T) {
	t.Parallel()
	s := OpenTestStore(t)
	ctx := t.Context()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	// The setting must not outlive this test's use of the connection.
	defer conn.Exec(context.WithoutCancel(ctx), `RESET enable_seqscan`)

	page := switchboard.Page{Limit: 10, After: "conn_0"}
	queries := map[string]struct {
		sql  string
		args []any
	}{
		"GetAPIKeyByHash":       {`SELECT ` + apiKeyColumns + ` FROM api_keys WHERE hash = $1`, []any{[]byte{1}}},
		"CountCredentialUses":   {`SELECT count(DISTINCT connection_id) FROM connection_credentials WHERE workspace_id = $1 AND credential_id = $2`, []any{"ws", "cred_1"}},
		"ByIdempotencyKey":      {`SELECT ` + connectionColumns + ` FROM connections c WHERE c.workspace_id = $1 AND c.idempotency_key = $2`, []any{"ws", "k"}},
		"ListUsages":            {`SELECT id FROM usages WHERE workspace_id = $1 AND connection_id = $2 ORDER BY created_at, seq`, []any{"ws", "conn_1"}},
		"ListConnectorVersions": {`SELECT version FROM connector_versions WHERE workspace_id = $1 AND connector_id = $2 ORDER BY created_at, seq`, []any{"ws", "ctr_1"}},
		"ListOrganizations":     {`SELECT ` + organizationColumns + ` FROM organizations WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, []any{"ws", "", 10}},
		"CascadeToOrgConns":     {`SELECT 1 FROM organization_connections WHERE workspace_id = $1 AND connection_id = $2`, []any{"ws", "conn_1"}},
	}
	yes := true
	for name, f := range map[string]switchboard.OrganizationConnectionFilter{
		"all":     {Limit: 10},
		"enabled": {IsEnabled: &yes, Offset: 2, Limit: 10},
	} {
		where, args := listOrganizationConnectionsWhere("ws", "org_1", f)
		queries["ListOrganizationConnections/"+name] = struct {
			sql  string
			args []any
		}{`SELECT connection_id FROM organization_connections WHERE ` + where + ` ORDER BY connection_id`, args}
	}
	for name, f := range map[string]switchboard.ConnectionFilter{
		"all":           {Page: page},
		"connector":     {ConnectorID: "kafka", Page: page},
		"status":        {Status: switchboard.StatusActive, Page: page},
		"environment":   {Environment: "production", Page: page},
		"external_xref": {ExternalXref: "customer-42", Page: page},
		"tag":           {Tag: "billing", Page: page},
		"category":      {Category: "crm", Page: page},
		"created_by":    {CreatedBy: "user_1", Page: page},
		"before":        {Before: "conn_9", Page: switchboard.Page{Limit: 10}},
		"desc":          {Desc: true, Offset: 20, Page: switchboard.Page{Limit: 10}},
		"updated_at":    {Sort: "updated_at", Page: switchboard.Page{Limit: 10}},
		"updated_desc":  {Sort: "updated_at", Desc: true, Offset: 5, Page: switchboard.Page{Limit: 10}},
		"name":          {Sort: "name", Page: switchboard.Page{Limit: 10}},
		"name_desc":     {Sort: "name", Desc: true, Page: switchboard.Page{Limit: 10}},
		"contains":      {NameContains: "ord", DescriptionContains: "x", Page: switchboard.Page{Limit: 10}},
	} {
		sql, args := listConnectionsQuery("ws", f)
		queries["ListConnections/"+name] = struct {
			sql  string
			args []any
		}{sql, args}
	}
	for name, f := range map[string]switchboard.AuditFilter{
		"all":    {Page: page},
		"object": {ObjectID: "conn_1", Page: page},
		"action": {Action: "connection.create", Page: page},
	} {
		sql, args := listAuditQuery("ws", f)
		queries["ListAudit/"+name] = struct {
			sql  string
			args []any
		}{sql, args}
	}
	for name, q := range queries {
		rows, err := conn.Query(ctx, "EXPLAIN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p := strings.Join(plan, "\n"); strings.Contains(p, "Seq Scan") {
			t.Errorf("%s scans a whole table:\n%s", name, p)
		} else if strings.HasPrefix(name, "ListConnections/") && strings.Contains(p, "Sort") {
			// Every order of a connection list has an index that gives it.
			t.Errorf("%s sorts:\n%s", name, p)
		}
	}
}
