package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/storetest"
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
		{"disk full", pg("53100", ""), switchboard.CodeUnavailable, "storage.full"},
		{"out of memory", pg("53200", ""), switchboard.CodeUnavailable, "unavailable"},
		{"too many connections", pg("53300", ""), switchboard.CodeUnavailable, "unavailable"},
		{"statement timeout", pg("57014", ""), switchboard.CodeUnavailable, "unavailable"},
		{"lock timeout", pg("55P03", ""), switchboard.CodeUnavailable, "unavailable"},
		{"deadlock", pg("40P01", ""), switchboard.CodeUnavailable, "unavailable"},
		{"serialization", pg("40001", ""), switchboard.CodeUnavailable, "unavailable"},
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

// TestQueryPlans checks that every list, count and hot lookup the store runs is served
// by an index. Sequential scans are made prohibitively expensive, so the planner picks one
// only where no index fits; a plan must also not walk a whole index (every workspace's rows)
// nor sort, but for the sorts planCheck allows.
//
// The queries are not copied here: the store's own methods run, with every filter, order and
// paging form of ConnectionFilter and the combinations the native API and the compat families
// send, on a pool whose tracer records each query and its arguments; each recorded query is
// then explained with those arguments.
//
// Substring filters (name, description) have no B-tree index: they are checked along the
// workspace's index in the list's order, which is the most an index can do for them.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	dsn := TestDSN(t)
	ctx := t.Context()
	if err := Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	rec := &queryRecorder{}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := &Store{pool: pool}

	const ws = "ws_1"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := storetest.PlanSetup(ctx, s, ws, at); err != nil {
		t.Fatal(err)
	}
	// The planner weighs indexes by the table's statistics: with none (an empty table) it
	// picks among equally cheap ones at random. Rows whose values the filters below never
	// ask for, analyzed, make each filter selective, as a filter on a large store is, so the
	// planner takes its index whenever there is one. Their times lie between at-1000h and at.
	fillConnections(t, pool, ws, at)

	calls, filters := storetest.PlanCalls(ctx, s, ws, at)
	// A count by one filter reads the filter's index whenever there is one: its plan must show
	// that, which proves the index exists.
	served := map[string]string{}
	tested := map[string]bool{}
	for call, filter := range filters {
		tested[filter] = true
		if term := filterIndexCond[filter]; term != "" {
			served[call] = term
		}
	}
	for filter := range filterIndexCond {
		if !tested[filter] {
			t.Fatalf("filterIndexCond names filter %q, which PlanCalls does not count by", filter)
		}
	}
	// Run every call; each must have run at least one query, or the plans below would say
	// nothing about it.
	type query struct {
		name string
		sql  string
		args []any
	}
	var queries []query
	seen := map[string]bool{}
	for _, c := range calls {
		from := rec.len()
		if err := c.Run(); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		ran := rec.since(from)
		if len(ran) == 0 {
			t.Errorf("%s ran no query: its plan is not checked", c.Name)
		}
		for _, q := range ran {
			if !seen[q.sql] {
				seen[q.sql] = true
				queries = append(queries, query{c.Name, q.sql, q.args})
			}
		}
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		rows, err := conn.Query(ctx, "EXPLAIN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: explain: %v", q.name, err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: explain: %v", q.name, err)
		}
		t.Logf("%s: %s\n\t%s", q.name, strings.Join(strings.Fields(q.sql), " "), strings.Join(plan, "\n\t"))
		problem := planCheck(q.name, q.sql, plan)
		if cond := served[q.name]; problem == "" && cond != "" && !indexCond(plan, cond) {
			problem = "has no index condition " + cond + ": no index serves the filter"
		}
		if problem != "" {
			t.Errorf("%s %s:\n%s\nplan:\n\t%s", q.name, problem, strings.Join(strings.Fields(q.sql), " "), strings.Join(plan, "\n\t"))
		}
	}
}

// fillConnections adds 5000 connections of workspace ws, with tags and categories, made and
// changed between 1 and 5000 minutes before at, and analyzes their tables. No value matches a
// filter of TestQueryPlans.
func fillConnections(t *testing.T, pool *pgxpool.Pool, ws string, at time.Time) {
	t.Helper()
	ctx := t.Context()
	for _, sql := range []string{
		`INSERT INTO connections (workspace_id, id, connector_id, connector_version, name, description,
			config, variables, credentials, status, enabled, paused, environment, external_xref, tags,
			last_error, created_at, updated_at, created_by, updated_by, revision, request_hash)
		SELECT $1, 'conn_' || lpad(i::text, 6, '0'), 'ctr_' || i % 100, '1', 'n' || i, 'd' || i,
			'{}', 'null', 'null', 'S' || i % 10, true, false, 'env' || i % 20, 'x' || i, '[]',
			'', $2::timestamptz - make_interval(mins => i), $2::timestamptz - make_interval(mins => i),
			'u' || i % 100, 'u', 1, ''
		FROM generate_series(1, 5000) i`,
		`INSERT INTO connection_tags (workspace_id, connection_id, tag)
		SELECT $1, 'conn_' || lpad(i::text, 6, '0'), 't' || i % 50 FROM generate_series(1, 5000) i
		WHERE $2::timestamptz IS NOT NULL`,
		`INSERT INTO connection_categories (workspace_id, connection_id, category)
		SELECT $1, 'conn_' || lpad(i::text, 6, '0'), 'k' || i % 20 FROM generate_series(1, 5000) i
		WHERE $2::timestamptz IS NOT NULL`,
	} {
		if _, err := pool.Exec(ctx, sql, ws, at); err != nil {
			t.Fatalf("fill connections: %v", err)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE connections, connection_tags, connection_categories`); err != nil {
		t.Fatal(err)
	}
}

// filterIndexCond is, for each filter of ConnectionFilter with a B-tree index, the index
// condition of a plan that uses it. The substring filters (name, description) have none.
var filterIndexCond = map[string]string{
	"connector":     "(connector_id = ",
	"status":        "(status = ",
	"environment":   "(environment = ",
	"external_xref": "(external_xref = ",
	"tag":           "(tag = ",
	"category":      "(category = ",
	"created_by":    "(created_by = ",
	"created_from":  "(created_at >= ",
	"created_to":    "(created_at < ",
	"updated_from":  "(updated_at >= ",
}

// indexCond reports whether an index condition of plan holds cond.
func indexCond(plan []string, cond string) bool {
	for _, line := range plan {
		if strings.Contains(line, "Index Cond:") && strings.Contains(line, cond) {
			return true
		}
	}
	return false
}

// planCheck says what is wrong with the plan of a query that call ran ("" when nothing): a
// sequential scan; an index scan without an index condition, which walks the whole index,
// every workspace's rows; or a sort. Sorts are allowed only where they are bounded by what
// an index already selected:
//   - of the rows a filter's index condition selected (a selective filter read through its
//     index, then put in the list's order, which no index of the filter can also give);
//   - of one connection's usages or one connector's versions, read in full anyway;
//   - of a lookup by id or key (at most two rows, both unique).
//
// So a list in an order no index gives, which would sort all of a workspace's rows, fails.
func planCheck(call, sql string, plan []string) string {
	p := strings.Join(plan, "\n")
	switch {
	case strings.Contains(p, "Seq Scan"):
		return "scans a whole table"
	case !strings.Contains(p, "Sort"):
	case call == "ListUsages", call == "ListConnectorVersions" && strings.Contains(sql, "connector_versions"):
	case strings.Contains(sql, "ORDER BY id = $2 DESC LIMIT 1"):
	case slices.ContainsFunc(slices.Collect(maps.Values(filterIndexCond)), func(cond string) bool { return indexCond(plan, cond) }):
	default:
		return "sorts"
	}
	for i, line := range plan {
		if !strings.Contains(line, "Index Scan") && !strings.Contains(line, "Index Only Scan") {
			continue
		}
		// The scan's conditions are the lines under it, up to the next node.
		indexed := false
		for _, next := range plan[i+1:] {
			if strings.Contains(next, "->") {
				break
			}
			if strings.Contains(next, "Index Cond:") {
				indexed = true
			}
		}
		if !indexed {
			return "walks a whole index: " + strings.TrimSpace(line)
		}
	}
	return ""
}

func TestPlanCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		call, sql string
		plan      []string
		want      string
	}{
		{"ListConnections", "SELECT", []string{"Limit", "  ->  Index Scan using connections_pkey on connections c", "        Index Cond: ((workspace_id = 'ws'::text) AND (id > 'c'::text))"}, ""},
		{"ListConnections", "SELECT", []string{"Limit", "  ->  Seq Scan on connections c"}, "scans a whole table"},
		{"ListConnections", "SELECT", []string{"Limit", "  ->  Index Scan using connections_pkey on connections c", "        Filter: (workspace_id = 'ws'::text)"}, "walks a whole index: ->  Index Scan using connections_pkey on connections c"},
		{"ListConnections", "SELECT", []string{"Limit", "  ->  Sort", "        ->  Index Scan using connections_pkey on connections c", "              Index Cond: (workspace_id = 'ws'::text)"}, "sorts"},
		{"ListConnections", "SELECT", []string{"Limit", "  ->  Sort", "        ->  Index Scan using connections_updated_idx on connections c", "              Index Cond: ((workspace_id = 'ws'::text) AND (updated_at >= '2026-01-02 03:04:05+00'::timestamp with time zone))"}, ""},
		{"ListConnections", "SELECT", []string{"Limit", "  ->  Sort", "        ->  Nested Loop", "              ->  Index Only Scan using connection_categories_category_idx on connection_categories k", "                    Index Cond: ((workspace_id = 'ws'::text) AND (category = 'crm'::text))", "              ->  Index Scan using connections_pkey on connections c", "                    Index Cond: ((workspace_id = 'ws'::text) AND (id = k.connection_id))"}, ""},
		{"ListUsages", "SELECT", []string{"Sort", "  ->  Index Scan using usages_consumer_key on usages", "        Index Cond: ((workspace_id = 'ws'::text) AND (connection_id = 'c'::text))"}, ""},
	} {
		if got := planCheck(c.call, c.sql, c.plan); got != c.want {
			t.Errorf("planCheck(%s, %q) = %q, want %q", c.call, c.plan, got, c.want)
		}
	}
}

// queryRecorder is a pgx tracer that records each query run and its arguments.
type queryRecorder struct {
	mu  sync.Mutex
	ran []recordedQuery
}

type recordedQuery struct {
	sql  string
	args []any
}

func (r *queryRecorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	// Transactions' begin and commit are no queries to explain.
	if f := strings.Fields(d.SQL); len(f) > 0 && strings.EqualFold(f[0], "SELECT") {
		r.mu.Lock()
		r.ran = append(r.ran, recordedQuery{d.SQL, d.Args})
		r.mu.Unlock()
	}
	return ctx
}

func (r *queryRecorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *queryRecorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ran)
}

func (r *queryRecorder) since(i int) []recordedQuery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedQuery(nil), r.ran[i:]...)
}
