package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/storetest"
)

// TestQueryPlans checks that every list, count and hot lookup the store runs is served by an
// index: no step of its plan reads a whole table or walks a whole index, and none sorts but
// rows an index already selected (see planCheck), so each stays cheap however many rows the
// store holds. Each filter's count must also search by the filter's column, which proves the
// filter has an index.
//
// The queries are not copied here: the store's own methods run, with every filter, order and
// paging form of ConnectionFilter and the combinations the native API and the compat families
// send, on a read pool that records each query and its arguments; each recorded query is then
// explained with those arguments. SQLite plans without statistics here (nothing runs
// ANALYZE), so the plans on this empty store are those on a large one.
//
// Substring filters (name, description) have no B-tree index: they are checked along the
// workspace's index in the list's order, which is the most an index can do for them.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, path := openTest(t)
	rec := recordReads(t, s, path)
	ctx := t.Context()
	const ws = "ws_1"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := storetest.PlanSetup(ctx, s, ws, at); err != nil {
		t.Fatal(err)
	}
	// One connection, so that lists find an id and read its row (not yet cached) by id; not
	// conn_1, which GetConnection must look up in the database, not in the cache.
	err := s.CreateConnection(ctx, &sb.Connection{ID: "conn_00", WorkspaceID: ws, ConnectorID: "kafka", ConnectorVersion: "1",
		Name: "one", Status: sb.StatusActive, Enabled: true, CreatedAt: at, UpdatedAt: at}, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls, filters := storetest.PlanCalls(ctx, s, ws, at)
	// A count by one filter reads the filter's index whenever there is one: its plan must show
	// that, which proves the index exists.
	served := map[string]string{}
	tested := map[string]bool{}
	for call, filter := range filters {
		tested[filter] = true
		if term := filterSearch[filter]; term != "" {
			served[call] = term
		}
	}
	for filter := range filterSearch {
		if !tested[filter] {
			t.Fatalf("filterSearch names filter %q, which PlanCalls does not count by", filter)
		}
	}
	// Run every call; each must have run at least one query on the read pool, or the plans
	// below would say nothing about it.
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
			t.Errorf("%s ran no query on the read pool: its plan is not checked", c.Name)
		}
		for _, q := range ran {
			if !seen[q.sql] {
				seen[q.sql] = true
				queries = append(queries, query{c.Name, q.sql, q.args})
			}
		}
	}

	for _, q := range queries {
		plan := explain(t, rec.db, q.sql, q.args)
		t.Logf("%s: %s\n\t%s", q.name, strings.Join(strings.Fields(q.sql), " "), strings.Join(plan, "\n\t"))
		problem := planCheck(q.name, q.sql, plan)
		if search := served[q.name]; problem == "" && search != "" && !searches(plan, search) {
			problem = "does not search by " + search + ": no index serves the filter"
		}
		if problem != "" {
			t.Errorf("%s %s:\n%s\nplan:\n\t%s", q.name, problem, strings.Join(strings.Fields(q.sql), " "), strings.Join(plan, "\n\t"))
		}
	}
}

// filterSearch is, for each filter of ConnectionFilter with a B-tree index, the search term
// of a plan that uses it. The substring filters (name, description) have none.
var filterSearch = map[string]string{
	"connector":     "connector_id=?",
	"status":        "status=?",
	"environment":   "environment=?",
	"external_xref": "external_xref=?",
	"tag":           "tag=?",
	"category":      "category=?",
	"created_by":    "created_by=?",
	"created_from":  "created_at>?",
	"created_to":    "created_at<?",
	"updated_from":  "updated_at>?",
}

// searches reports whether a step of plan searches an index with term among its conditions.
func searches(plan []string, term string) bool {
	for _, step := range plan {
		if strings.HasPrefix(step, "SEARCH ") && strings.Contains(step, term) {
			return true
		}
	}
	return false
}

// planCheck says what is wrong with the plan of a query that call ran ("" when nothing): a
// step that reads a whole table, or walks a whole index (every workspace's rows: an index
// that serves a workspace's list is searched, "SEARCH t USING INDEX i (workspace_id=?)"), or
// a sort in a temporary B-tree. Sorts are allowed only where they are bounded by what an
// index already selected:
//   - of the rows a filter's index search selected (a filter read through its index, then
//     put in the list's order, which no index of the filter can also give);
//   - of one connection's usages or one connector's versions, read in full anyway;
//   - of a lookup by id or key (at most two rows, both unique).
//
// So a list in an order no index gives, which would sort all of a workspace's rows, fails.
func planCheck(call, sql string, plan []string) string {
	for _, step := range plan {
		switch {
		case strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "INDEX"):
			return "reads a whole table"
		case strings.HasPrefix(step, "SCAN "):
			return "walks a whole index"
		case !strings.Contains(step, "TEMP B-TREE"):
		case call == "ListUsages", call == "ListConnectorVersions" && strings.Contains(sql, "connector_versions"):
		case strings.Contains(sql, "ORDER BY id = ? DESC LIMIT 1"):
		case slices.ContainsFunc(slices.Collect(maps.Values(filterSearch)), func(term string) bool { return searches(plan, term) }):
		default:
			return "sorts in a temporary B-tree"
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
		{"ListConnections", "SELECT", []string{"SEARCH c USING INDEX connections_connector (workspace_id=? AND connector_id=? AND id>?)", "CORRELATED SCALAR SUBQUERY 1", "SEARCH u USING COVERING INDEX usages_consumer (connection_id=?)"}, ""},
		{"ListConnections", "SELECT", []string{"SCAN c"}, "reads a whole table"},
		{"ListConnections", "SELECT", []string{"SCAN c USING INDEX connections_workspace"}, "walks a whole index"},
		{"ListConnections", "SELECT", []string{"SEARCH c USING INDEX connections_workspace (workspace_id=?)", "USE TEMP B-TREE FOR ORDER BY"}, "sorts in a temporary B-tree"},
		{"ListConnections", "SELECT", []string{"SEARCH c USING INDEX connections_updated (workspace_id=? AND updated_at>?)", "USE TEMP B-TREE FOR ORDER BY"}, ""},
		{"ListAudit", "SELECT", []string{"SEARCH audit_events USING INDEX audit_events_workspace (workspace_id=?)", "USE TEMP B-TREE FOR ORDER BY"}, "sorts in a temporary B-tree"},
		{"ListConnectorVersions", "SELECT 1 FROM connector_versions", []string{"SEARCH connector_versions USING INDEX connector_versions_created (connector_id=?)", "USE TEMP B-TREE FOR ORDER BY"}, ""},
	} {
		if got := planCheck(c.call, c.sql, c.plan); got != c.want {
			t.Errorf("planCheck(%s, %q) = %q, want %q", c.call, c.plan, got, c.want)
		}
	}
}

// explain returns the details of SQLite's plan of query, one step a line.
func explain(t *testing.T, db *sql.DB, query string, args []any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	return plan
}

// recordReads replaces the read pool of s, whose database is the file at path, with one that
// records every query run on it with its arguments.
func recordReads(t *testing.T, s *Store, path string) *recorder {
	t.Helper()
	name, err := dsn(path, true)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{drv: s.read.Driver(), dsn: name}
	r.db = sql.OpenDB(r)
	old := s.read
	s.read = r.db
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// recorder is a driver.Connector over SQLite's driver whose statements record each query
// they run with its arguments.
type recorder struct {
	drv driver.Driver
	dsn string
	db  *sql.DB

	mu  sync.Mutex
	ran []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) Connect(context.Context) (driver.Conn, error) {
	c, err := r.drv.Open(r.dsn)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, r: r}, nil
}

func (r *recorder) Driver() driver.Driver { return r.drv }

func (r *recorder) add(query string, args []driver.NamedValue) {
	vs := make([]any, len(args))
	for i, a := range args {
		vs[i] = a.Value
	}
	r.mu.Lock()
	r.ran = append(r.ran, recorded{query, vs})
	r.mu.Unlock()
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ran)
}

func (r *recorder) since(i int) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.ran[i:]...)
}

// recordingConn hands out recording statements. Queries without statements of their own
// (QueryContext on the pool) are prepared through it by database/sql, so they are recorded too.
type recordingConn struct {
	driver.Conn
	r *recorder
}

func (c *recordingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &recordingStmt{Stmt: st, sql: query, r: c.r}, nil
}

func (c *recordingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

type recordingStmt struct {
	driver.Stmt
	sql string
	r   *recorder
}

func (s *recordingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.r.add(s.sql, args)
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("recorder: statement cannot query with a context")
	}
	return q.QueryContext(ctx, args)
}

func (s *recordingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.r.add(s.sql, args)
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("recorder: statement cannot exec with a context")
	}
	return e.ExecContext(ctx, args)
}
