package storetest

import (
	"cmp"

	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

// modelList is what ListConnections must return for f over all (connections of one
// workspace), by the contract of ConnectionFilter: the reference the drivers are checked
// against.
func modelList(all []*sb.Connection, f sb.ConnectionFilter) []string {
	var keep []*sb.Connection
	for _, c := range all {
		if modelMatch(c, f) && (f.After == "" || c.ID > f.After) && (f.Before == "" || c.ID < f.Before) {
			keep = append(keep, c)
		}
	}
	if f.Before != "" {
		slices.SortFunc(keep, func(a, b *sb.Connection) int { return strings.Compare(a.ID, b.ID) })
		if f.Limit > 0 && len(keep) > f.Limit {
			keep = keep[len(keep)-f.Limit:]
		}
		return ids(keep)
	}
	slices.SortFunc(keep, func(a, b *sb.Connection) int {
		var c int
		switch f.Sort {
		case "updated_at":
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		case "name":
			c = strings.Compare(a.Name, b.Name)
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
	if f.Desc {
		slices.Reverse(keep)
	}
	keep = keep[min(f.Offset, len(keep)):]
	if f.Limit > 0 && len(keep) > f.Limit {
		keep = keep[:f.Limit]
	}
	return ids(keep)
}

// modelMatch reports whether c matches the filter fields of f.
func modelMatch(c *sb.Connection, f sb.ConnectionFilter) bool {
	contains := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
	return (f.ConnectorID == "" || c.ConnectorID == f.ConnectorID) &&
		(f.Status == "" || c.Status == f.Status) &&
		(f.Environment == "" || c.Environment == f.Environment) &&
		(f.ExternalXref == "" || c.ExternalXref == f.ExternalXref) &&
		(f.Tag == "" || slices.Contains(c.Tags, f.Tag)) &&
		(f.Category == "" || slices.Contains(c.Categories, f.Category)) &&
		(f.NameContains == "" || contains(c.Name, f.NameContains)) &&
		(f.DescriptionContains == "" || contains(c.Description, f.DescriptionContains)) &&
		(f.CreatedBy == "" || c.CreatedBy == f.CreatedBy) &&
		(f.CreatedFrom.IsZero() || !c.CreatedAt.Before(f.CreatedFrom)) &&
		(f.CreatedTo.IsZero() || c.CreatedAt.Before(f.CreatedTo)) &&
		(f.UpdatedFrom.IsZero() || !c.UpdatedAt.Before(f.UpdatedFrom))
}

func ids(cs []*sb.Connection) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// testConnectionSearch covers the search fields of ConnectionFilter, its orders, the Before
// cursor, Offset, and CountConnections.
func testConnectionSearch(t *testing.T, newStore func(t *testing.T) sb.Store) {
	f := setup(t, newStore)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// Ten connections whose id order (creation), name order and update order all differ.
	// Names mix cases and hold the LIKE wildcards, which must match only themselves.
	rows := []struct {
		name, description, createdBy string
		updated                      int // minutes after base
		categories                   []string
	}{
		{"Orders", "Orders topic", "user_1", 50, []string{"crm", "data"}},
		{"alpha", "100% uptime", "user_2", 10, []string{"data"}},
		{"Zeta_x", "snake_case name", "user_1", 90, nil},
		{"beta%", "EU ORDERS mirror", "user_3", 30, []string{"crm"}},
		{"ORDERS-eu", "percent sign: %", "user_2", 70, []string{"analytics", "crm"}},
		{"gamma", "nothing special", "user_1", 20, []string{}},
		{"delta_1", "under_score", "user_2", 80, []string{"data", "analytics"}},
		{"mid", "Mid-range ORDERS", "user_3", 40, []string{"crm"}},
		{"Beta", "beta", "user_1", 60, nil},
		{"omega", "last one", "user_2", 55, []string{"analytics"}},
	}
	var all []*sb.Connection
	for i, r := range rows {
		for _, ws := range []*sb.Workspace{f.a, f.b} {
			c := newConnection(ws, "kafka", r.name)
			c.Description, c.CreatedBy, c.Categories = r.description, r.createdBy, r.categories
			c.CreatedAt = base.Add(time.Duration(i) * time.Minute)
			c.UpdatedAt = base.Add(time.Duration(r.updated) * time.Minute)
			if ws == f.b {
				// B's copies match every filter of A and are newer: none may show up.
				c.UpdatedAt = c.UpdatedAt.Add(time.Second)
			}
			f.connection(t, c)
			if ws == f.a {
				all = append(all, c)
			}
		}
	}
	byName := map[string]*sb.Connection{}
	for _, c := range all {
		byName[c.Name] = c
	}
	idsOf := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, byName[n].ID)
		}
		return sorted(out)
	}
	sortedIDs := ids(all)
	slices.Sort(sortedIDs)

	list := func(t *testing.T, fl sb.ConnectionFilter) []string {
		t.Helper()
		got, err := f.s.ListConnections(f.ctx, f.a.ID, fl)
		if err != nil {
			t.Fatalf("ListConnections(%+v): %v", fl, err)
		}
		return ids(got)
	}

	// Hand-written expectations first, so that the model itself is checked.
	t.Run("Explicit", func(t *testing.T) {
		tests := []struct {
			name   string
			filter sb.ConnectionFilter
			want   []string
		}{
			{"name case-insensitive", sb.ConnectionFilter{NameContains: "orders"}, idsOf("Orders", "ORDERS-eu")},
			{"name upper needle", sb.ConnectionFilter{NameContains: "BETA"}, idsOf("beta%", "Beta")},
			{"name percent is literal", sb.ConnectionFilter{NameContains: "%"}, idsOf("beta%")},
			{"name underscore is literal", sb.ConnectionFilter{NameContains: "a_"}, idsOf("Zeta_x", "delta_1")},
			{"name lone underscore", sb.ConnectionFilter{NameContains: "_"}, idsOf("Zeta_x", "delta_1")},
			{"name backslash", sb.ConnectionFilter{NameContains: `\`}, nil},
			{"description", sb.ConnectionFilter{DescriptionContains: "ORDERS"}, idsOf("Orders", "beta%", "mid")},
			{"description percent", sb.ConnectionFilter{DescriptionContains: "0%"}, idsOf("alpha")},
			{"description underscore", sb.ConnectionFilter{DescriptionContains: "e_c"}, idsOf("Zeta_x")},
			{"created by", sb.ConnectionFilter{CreatedBy: "user_3"}, idsOf("beta%", "mid")},
			{"created by is exact", sb.ConnectionFilter{CreatedBy: "user"}, nil},
			{"category", sb.ConnectionFilter{Category: "analytics"}, idsOf("ORDERS-eu", "delta_1", "omega")},
			{"unknown category", sb.ConnectionFilter{Category: "nope"}, nil},
			// From is inclusive, To exclusive: minutes 3 to 6.
			{"created range", sb.ConnectionFilter{CreatedFrom: all[3].CreatedAt, CreatedTo: all[7].CreatedAt},
				idsOf("beta%", "ORDERS-eu", "gamma", "delta_1")},
			{"created from", sb.ConnectionFilter{CreatedFrom: all[8].CreatedAt}, idsOf("Beta", "omega")},
			{"created to", sb.ConnectionFilter{CreatedTo: all[1].CreatedAt}, idsOf("Orders")},
			{"updated from", sb.ConnectionFilter{UpdatedFrom: base.Add(70 * time.Minute)}, idsOf("Zeta_x", "ORDERS-eu", "delta_1")},
			{"combined", sb.ConnectionFilter{Category: "crm", NameContains: "O", CreatedBy: "user_1"}, idsOf("Orders")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := list(t, tt.filter)
				if diff := gocmp.Diff(tt.want, got, equateEmpty()); diff != "" {
					t.Errorf("ListConnections(%+v) (-want +got):\n%s", tt.filter, diff)
				}
				if m := modelList(all, tt.filter); !slices.Equal(m, got) && len(m)+len(got) > 0 {
					t.Errorf("the model disagrees: %v", m)
				}
				n, err := f.s.CountConnections(f.ctx, f.a.ID, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if n != len(tt.want) {
					t.Errorf("CountConnections = %d, want %d", n, len(tt.want))
				}
			})
		}
	})

	t.Run("Orders", func(t *testing.T) {
		// Explicit orders, so that a driver and the model cannot share a mistake.
		names := func(got []string) []string {
			byID := map[string]string{}
			for _, c := range all {
				byID[c.ID] = c.Name
			}
			var out []string
			for _, id := range got {
				out = append(out, byID[id])
			}
			return out
		}
		for _, tt := range []struct {
			filter sb.ConnectionFilter
			want   []string
		}{
			{sb.ConnectionFilter{Sort: "name"}, []string{"Beta", "ORDERS-eu", "Orders", "Zeta_x", "alpha", "beta%", "delta_1", "gamma", "mid", "omega"}},
			{sb.ConnectionFilter{Sort: "name", Desc: true, Offset: 2, Page: sb.Page{Limit: 3}}, []string{"gamma", "delta_1", "beta%"}},
			{sb.ConnectionFilter{Sort: "updated_at"}, []string{"alpha", "gamma", "beta%", "mid", "Orders", "omega", "Beta", "ORDERS-eu", "delta_1", "Zeta_x"}},
			{sb.ConnectionFilter{Sort: "updated_at", Desc: true, Page: sb.Page{Limit: 2}}, []string{"Zeta_x", "delta_1"}},
			{sb.ConnectionFilter{Desc: true, Offset: 7}, []string{"Zeta_x", "alpha", "Orders"}},
			{sb.ConnectionFilter{Sort: "created_at", Offset: 8, Page: sb.Page{Limit: 5}}, []string{"Beta", "omega"}},
		} {
			if got := names(list(t, tt.filter)); !slices.Equal(got, tt.want) {
				t.Errorf("ListConnections(%+v) = %v, want %v", tt.filter, got, tt.want)
			}
		}
	})

	t.Run("Combinations", func(t *testing.T) {
		filters := map[string]sb.ConnectionFilter{
			"none":     {},
			"category": {Category: "crm"},
			"user":     {CreatedBy: "user_2"},
			"updated":  {UpdatedFrom: base.Add(30 * time.Minute)},
			"name":     {NameContains: "e"},
		}
		for name, base := range filters {
			for _, sort := range []string{"", "created_at", "updated_at", "name"} {
				for _, desc := range []bool{false, true} {
					for _, offset := range []int{0, 1, 3, 9, 10, 12} {
						for _, lim := range []int{0, 1, 4} {
							fl := base
							fl.Sort, fl.Desc, fl.Offset, fl.Limit = sort, desc, offset, lim
							want := modelList(all, fl)
							if got := list(t, fl); !slices.Equal(want, got) {
								t.Errorf("%s: ListConnections(%+v) = %v, want %v", name, fl, got, want)
							}
						}
					}
				}
			}
			// The count ignores order and paging.
			want := len(modelList(all, base))
			for _, fl := range []sb.ConnectionFilter{base, withPaging(base, sortedIDs)} {
				n, err := f.s.CountConnections(f.ctx, f.a.ID, fl)
				if err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("%s: CountConnections(%+v) = %d, want %d", name, fl, n, want)
				}
			}
		}
		n, err := f.s.CountConnections(f.ctx, f.b.ID, sb.ConnectionFilter{CreatedBy: "user_3"})
		if err != nil || n != 2 {
			t.Errorf("CountConnections(B) = %d, %v; want 2", n, err)
		}
		n, err = f.s.CountConnections(f.ctx, f.workspace(t, f.tenant.ID, "C").ID, sb.ConnectionFilter{})
		if err != nil || n != 0 {
			t.Errorf("CountConnections(empty workspace) = %d, %v; want 0", n, err)
		}
	})

	t.Run("Before", func(t *testing.T) {
		id := sortedIDs
		tests := []struct {
			name   string
			filter sb.ConnectionFilter
			want   []string
		}{
			{"middle", sb.ConnectionFilter{Before: id[7], Page: sb.Page{Limit: 3}}, id[4:7]},
			{"short", sb.ConnectionFilter{Before: id[2], Page: sb.Page{Limit: 5}}, id[0:2]},
			{"first", sb.ConnectionFilter{Before: id[0], Page: sb.Page{Limit: 5}}, nil},
			{"no limit", sb.ConnectionFilter{Before: id[5]}, id[0:5]},
			{"past the end", sb.ConnectionFilter{Before: id[9] + "z", Page: sb.Page{Limit: 2}}, id[8:10]},
			{"one", sb.ConnectionFilter{Before: id[9], Page: sb.Page{Limit: 1}}, id[8:9]},
			{"filtered", sb.ConnectionFilter{Before: byName["mid"].ID, Category: "crm", Page: sb.Page{Limit: 2}},
				idsOf("beta%", "ORDERS-eu")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := list(t, tt.filter)
				if diff := gocmp.Diff(tt.want, got, equateEmpty()); diff != "" {
					t.Errorf("ListConnections(%+v) (-want +got):\n%s", tt.filter, diff)
				}
				if m := modelList(all, tt.filter); !slices.Equal(m, got) && len(m)+len(got) > 0 {
					t.Errorf("the model disagrees: %v", m)
				}
			})
		}
		// Walking back with Before from the end visits everything once, page by page.
		var seen []string
		cursor := id[9] + "z"
		for range 20 {
			page := list(t, sb.ConnectionFilter{Before: cursor, Page: sb.Page{Limit: 3}})
			if len(page) == 0 {
				break
			}
			seen = append(page, seen...)
			cursor = page[0]
		}
		if !slices.Equal(seen, id) {
			t.Errorf("walking back with Before saw %v, want %v", seen, id)
		}
	})

	t.Run("Ties", func(t *testing.T) { testConnectionTies(t, f) })

	t.Run("ItemsAreWhole", func(t *testing.T) {
		got, err := f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Category: "crm", Sort: "name", Desc: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("got %d connections, want 4", len(got))
		}
		for _, c := range got {
			if diff := gocmp.Diff(storedConnection(byName[c.Name], 0), c, opts()); diff != "" {
				t.Errorf("connection %s (-want +got):\n%s", c.Name, diff)
			}
		}
	})
}

// testConnectionTies checks sorts break ties by id, reversed too when descending.
func testConnectionTies(t *testing.T, f *fixture) {
	ws := f.workspace(t, f.tenant.ID, "Ties")
	at := sb.Now()
	var tied []string
	// One name, one update time: names are unique per connector only.
	for _, connector := range []string{"c1", "c2", "c3", "c4"} {
		c := newConnection(ws, connector, "same")
		c.UpdatedAt = at
		f.connection(t, c)
		tied = append(tied, c.ID)
	}
	reversed := slices.Clone(tied)
	slices.Reverse(reversed)
	for _, sort := range []string{"name", "updated_at"} {
		for _, desc := range []bool{false, true} {
			want := tied
			if desc {
				want = reversed
			}
			for _, offset := range []int{0, 1} {
				fl := sb.ConnectionFilter{Sort: sort, Desc: desc, Offset: offset, Page: sb.Page{Limit: 2}}
				got, err := f.s.ListConnections(f.ctx, ws.ID, fl)
				if err != nil {
					t.Fatal(err)
				}
				if g := ids(got); !slices.Equal(g, want[offset:offset+2]) {
					t.Errorf("ListConnections(%+v) = %v, want %v", fl, g, want[offset:offset+2])
				}
			}
		}
	}
}

// withPaging returns fl with every order and paging field set.
func withPaging(fl sb.ConnectionFilter, ids []string) sb.ConnectionFilter {
	fl.Sort, fl.Desc, fl.Offset, fl.Before = "name", true, 2, ids[len(ids)-1]
	fl.Page = sb.Page{Limit: 1, After: ids[0]}
	return fl
}
