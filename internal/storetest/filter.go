package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func testConnectionFilter(t *testing.T, newStore func(t *testing.T) sb.Store) {
	f := setup(t, newStore)
	// Twelve connections spread over every filtered field, so each filter keeps a different
	// subset; workspace B holds copies that no filter on A may return.
	type row struct {
		connector, env, xref string
		status               sb.Status
		tags                 []string
	}
	rows := []row{
		{"kafka", "production", "cust-1", sb.StatusActive, []string{"eu", "billing"}},
		{"kafka", "production", "cust-2", sb.StatusPending, []string{"eu"}},
		{"kafka", "staging", "cust-1", sb.StatusFailed, nil},
		{"slash", "production", "cust-3", sb.StatusActive, []string{"us", "billing"}},
		{"slash", "staging", "cust-1", sb.StatusDisabled, []string{"eu", "us"}},
		{"slash", "", "", sb.StatusPaused, []string{"billing"}},
		{"auth0", "production", "cust-2", sb.StatusActive, []string{"eu"}},
		{"auth0", "staging", "cust-3", sb.StatusActive, nil},
		{"kafka", "production", "cust-1", sb.StatusActive, []string{"eu", "billing", "us"}},
		{"auth0", "", "cust-1", sb.StatusPending, []string{"billing"}},
		{"slash", "production", "", sb.StatusFailed, []string{"eu"}},
		{"kafka", "staging", "cust-2", sb.StatusActive, []string{"us"}},
	}
	var all []*sb.Connection
	for i, r := range rows {
		for _, ws := range []*sb.Workspace{f.a, f.b} {
			c := newConnection(ws, r.connector, fmt.Sprintf("c%02d", i))
			c.Environment, c.ExternalXref, c.Status, c.Tags = r.env, r.xref, r.status, r.tags
			f.connection(t, c)
			if ws == f.a {
				all = append(all, c)
			}
		}
	}
	match := func(keep func(c *sb.Connection) bool) []string {
		var ids []string
		for _, c := range all {
			if keep(c) {
				ids = append(ids, c.ID)
			}
		}
		return sorted(ids)
	}
	hasTag := func(c *sb.Connection, tag string) bool {
		for _, t := range c.Tags {
			if t == tag {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name   string
		filter sb.ConnectionFilter
		want   []string
	}{
		{"none", sb.ConnectionFilter{}, match(func(*sb.Connection) bool { return true })},
		{"connector", sb.ConnectionFilter{ConnectorID: "kafka"}, match(func(c *sb.Connection) bool { return c.ConnectorID == "kafka" })},
		{"status", sb.ConnectionFilter{Status: sb.StatusActive}, match(func(c *sb.Connection) bool { return c.Status == sb.StatusActive })},
		{"environment", sb.ConnectionFilter{Environment: "staging"}, match(func(c *sb.Connection) bool { return c.Environment == "staging" })},
		{"external_xref", sb.ConnectionFilter{ExternalXref: "cust-1"}, match(func(c *sb.Connection) bool { return c.ExternalXref == "cust-1" })},
		{"tag", sb.ConnectionFilter{Tag: "eu"}, match(func(c *sb.Connection) bool { return hasTag(c, "eu") })},
		{"tag billing", sb.ConnectionFilter{Tag: "billing"}, match(func(c *sb.Connection) bool { return hasTag(c, "billing") })},
		{"all fields", sb.ConnectionFilter{ConnectorID: "kafka", Status: sb.StatusActive, Environment: "production", ExternalXref: "cust-1", Tag: "billing"},
			match(func(c *sb.Connection) bool {
				return c.ConnectorID == "kafka" && c.Status == sb.StatusActive && c.Environment == "production" &&
					c.ExternalXref == "cust-1" && hasTag(c, "billing")
			})},
		{"connector and tag", sb.ConnectionFilter{ConnectorID: "slash", Tag: "us"},
			match(func(c *sb.Connection) bool { return c.ConnectorID == "slash" && hasTag(c, "us") })},
		{"no match", sb.ConnectionFilter{ConnectorID: "kafka", Status: sb.StatusDisabled}, nil},
		{"unknown tag", sb.ConnectionFilter{Tag: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Pages of 2 make sure filters and paging combine (a tag join must not repeat
			// or skip rows across pages).
			got := walk(t, 2, func(p sb.Page) ([]*sb.Connection, error) {
				fl := tt.filter
				fl.Page = p
				return f.s.ListConnections(f.ctx, f.a.ID, fl)
			}, func(c *sb.Connection) string { return c.ID })
			if diff := cmp.Diff(tt.want, got, equateEmpty()); diff != "" {
				t.Errorf("ListConnections(%+v) (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
	// Filtered items are whole: the tag filter returns every tag of a match, not only the
	// one asked for.
	list, err := f.s.ListConnections(f.ctx, f.a.ID, sb.ConnectionFilter{Tag: "us", Page: sb.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*sb.Connection{}
	for _, c := range all {
		byID[c.ID] = c
	}
	for _, got := range list {
		if diff := cmp.Diff(storedConnection(byID[got.ID], 0), got, opts()); diff != "" {
			t.Errorf("filtered connection %s (-want +got):\n%s", got.ID, diff)
		}
	}
}
