package sqlite

import (
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// TestQueryPlans checks the list and count queries are served by an index, in id order,
// without scanning a table or sorting: lists page by id and must stay cheap as they grow.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ws := "ws_1"
	queries := map[string][]any{
		selectConnection + ` WHERE c.workspace_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`:                         {ws, "", 10},
		selectConnection + ` WHERE c.workspace_id = ? AND c.id > ? AND c.connector_id = ? ORDER BY c.id LIMIT ?`:  {ws, "", "kafka", 10},
		selectConnection + ` WHERE c.workspace_id = ? AND c.id > ? AND c.status = ? ORDER BY c.id LIMIT ?`:        {ws, "", "ACTIVE", 10},
		selectConnection + ` WHERE c.workspace_id = ? AND c.id > ? AND c.environment = ? ORDER BY c.id LIMIT ?`:   {ws, "", "prod", 10},
		selectConnection + ` WHERE c.workspace_id = ? AND c.id > ? AND c.external_xref = ? ORDER BY c.id LIMIT ?`: {ws, "", "x", 10},
		selectConnection + ` WHERE c.workspace_id = ? AND c.id > ? AND c.id IN (SELECT connection_id FROM connection_tags
			WHERE workspace_id = ? AND tag = ?) ORDER BY c.id LIMIT ?`: {ws, "", ws, "eu", 10},
		`SELECT COUNT(*) FROM connection_credentials WHERE workspace_id = ? AND credential_id = ?`:    {ws, "cred_1"},
		`SELECT id FROM credentials WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`:            {ws, "", 10},
		`SELECT id FROM audit_events WHERE workspace_id = ? AND id > ? AND object_id = ? ORDER BY id`: {ws, "", "conn_1"},
		`SELECT id FROM usages WHERE workspace_id = ? AND connection_id = ? ORDER BY created_at, id`:  {ws, "conn_1"},
	}
	for _, f := range []sb.ConnectionFilter{
		{Page: sb.Page{Limit: 10, After: "conn_1"}},
		{Category: "crm", Page: sb.Page{Limit: 10}},
		{CreatedBy: "user_1", Page: sb.Page{Limit: 10}},
		{Before: "conn_9", Page: sb.Page{Limit: 10}},
		{Desc: true, Offset: 20, Page: sb.Page{Limit: 10}},
		{Sort: "updated_at", Page: sb.Page{Limit: 10}},
		{Sort: "updated_at", Desc: true, Offset: 5, Page: sb.Page{Limit: 10}},
		{Sort: "name", Page: sb.Page{Limit: 10}},
		{Sort: "name", Desc: true, Page: sb.Page{Limit: 10}},
		// Substrings have no index: they are checked along the id order.
		{NameContains: "ord", DescriptionContains: "x", Page: sb.Page{Limit: 10}},
	} {
		query, args, _ := listConnectionsQuery(ws, f)
		queries[query] = args
		where, args := connectionWhere(ws, f)
		queries[`SELECT COUNT(*) FROM connections c WHERE `+strings.Join(where, " AND ")] = args
	}
	queries[`SELECT id FROM organizations WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`] = []any{ws, "", 10}
	queries[`SELECT connection_id FROM organization_connections WHERE workspace_id = ? AND organization_id = ?
		ORDER BY connection_id LIMIT ? OFFSET ?`] = []any{ws, "org_1", 10, 0}
	queries[`SELECT connection_id FROM organization_connections WHERE workspace_id = ? AND organization_id = ?
		AND is_enabled = ? ORDER BY connection_id LIMIT ? OFFSET ?`] = []any{ws, "org_1", true, 10, 0}
	queries[`SELECT 1 FROM organization_connections WHERE connection_id = ?`] = []any{"conn_1"}
	for query, args := range queries {
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		t.Logf("%s\n\t%s", strings.Join(strings.Fields(query), " "), strings.Join(plan, "\n\t"))
		for _, step := range plan {
			// "SCAN x USING INDEX" walks an index in order; a bare "SCAN x" reads the table.
			fullScan := strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "INDEX")
			if fullScan || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("query plan of\n%s\nhas %q:\n%s", query, step, strings.Join(plan, "\n"))
			}
		}
	}
}
