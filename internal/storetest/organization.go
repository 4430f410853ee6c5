package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newOrganization(ws *sb.Workspace, name string) *sb.Organization {
	now := sb.Now()
	return &sb.Organization{
		ID:          sb.NewID(sb.PrefixOrg),
		WorkspaceID: ws.ID,
		Name:        name,
		DisplayName: "Display " + name,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

func (f *fixture) organization(t testing.TB, o *sb.Organization) *sb.Organization {
	t.Helper()
	if err := f.s.CreateOrganization(f.ctx, o, nil); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	return o
}

func (f *fixture) wantOrganization(t testing.TB, want *sb.Organization) {
	t.Helper()
	for _, key := range []string{want.ID, want.Name} {
		got, err := f.s.GetOrganization(f.ctx, want.WorkspaceID, key)
		if err != nil {
			t.Fatalf("GetOrganization(%s): %v", key, err)
		}
		if diff := cmp.Diff(want, got, opts()); diff != "" {
			t.Errorf("GetOrganization(%s) (-want +got):\n%s", key, diff)
		}
	}
}

func testOrganization(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := newOrganization(f.a, "acme")
		ev := event(f.a, "organization.create", "organization", o.ID)
		if err := f.s.CreateOrganization(f.ctx, o, ev); err != nil {
			t.Fatal(err)
		}
		f.wantOrganization(t, o)
		for _, key := range []string{o.ID, o.Name} {
			_, err := f.s.GetOrganization(f.ctx, f.b.ID, key)
			wantCode(t, err, sb.CodeNotFound)
		}
		_, err := f.s.GetOrganization(f.ctx, f.a.ID, sb.NewID(sb.PrefixOrg))
		wantCode(t, err, sb.CodeNotFound)
		_, err = f.s.GetOrganization(f.ctx, f.a.ID, "ACME")
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		// A name equal to another organization's id: the id wins.
		tricky := f.organization(t, newOrganization(f.a, o.ID))
		f.wantOrganization(t, o)
		got, err := f.s.GetOrganization(f.ctx, f.a.ID, tricky.ID)
		if err != nil || got.ID != tricky.ID {
			t.Errorf("GetOrganization(%s) = %v, %v", tricky.ID, got, err)
		}
	})

	t.Run("NameTaken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		dup := newOrganization(f.a, "acme")
		wantConflict(t, f.s.CreateOrganization(f.ctx, dup, event(f.a, "organization.create", "organization", dup.ID)),
			"organization.name_taken", "Name", "acme")
		_, err := f.s.GetOrganization(f.ctx, f.a.ID, dup.ID)
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a)
		// Unique per workspace only; names are case-sensitive.
		f.organization(t, newOrganization(f.b, "acme"))
		f.organization(t, newOrganization(f.a, "Acme"))
		f.wantOrganization(t, o)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		var want []string
		for i := range 7 {
			o := f.organization(t, newOrganization(f.a, fmt.Sprintf("org-%d", 7-i)))
			want = append(want, o.ID)
			f.organization(t, newOrganization(f.b, o.Name))
		}
		got := walk(t, 3, func(p sb.Page) ([]*sb.Organization, error) {
			return f.s.ListOrganizations(f.ctx, f.a.ID, p)
		}, func(o *sb.Organization) string { return o.ID })
		if diff := cmp.Diff(sorted(want), got); diff != "" {
			t.Errorf("ListOrganizations pages (-want +got):\n%s", diff)
		}
		all, err := f.s.ListOrganizations(f.ctx, f.a.ID, sb.Page{})
		if err != nil || len(all) != 7 {
			t.Fatalf("ListOrganizations(no limit) = %d items, %v; want 7", len(all), err)
		}
		all[0].Name = "changed"
		o, err := f.s.GetOrganization(f.ctx, f.a.ID, all[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Name == "changed" {
			t.Error("a listed organization shares memory with the store")
		}
		none, err := f.s.ListOrganizations(f.ctx, f.workspace(t, f.tenant.ID, "C").ID, sb.Page{Limit: 10})
		wantNone(t, none, err)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		f.organization(t, newOrganization(f.a, "taken"))
		before := *o
		upd := *o
		upd.Name, upd.DisplayName, upd.UpdatedAt = "acme-2", "Acme Two", o.UpdatedAt.Add(time.Minute)
		bad := event(f.a, "organization.update", "organization", o.ID)
		clash := upd
		clash.Name = "taken"
		wantConflict(t, f.s.UpdateOrganization(f.ctx, &clash, bad), "organization.name_taken", "Name", "taken")
		missing := upd
		missing.ID = sb.NewID(sb.PrefixOrg)
		wantCode(t, f.s.UpdateOrganization(f.ctx, &missing, bad), sb.CodeNotFound)
		moved := upd
		moved.WorkspaceID = f.b.ID
		wantCode(t, f.s.UpdateOrganization(f.ctx, &moved, bad), sb.CodeNotFound)
		f.wantOrganization(t, &before)
		f.wantAudit(t, f.a)

		ev := event(f.a, "organization.update", "organization", o.ID)
		if err := f.s.UpdateOrganization(f.ctx, &upd, ev); err != nil {
			t.Fatal(err)
		}
		f.wantOrganization(t, &upd)
		_, err := f.s.GetOrganization(f.ctx, f.a.ID, "acme")
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		// The old name is free again.
		f.organization(t, newOrganization(f.a, "acme"))
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		kept := f.organization(t, newOrganization(f.a, "kept"))
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		for _, org := range []*sb.Organization{o, kept} {
			if err := f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(org, c, true), nil); err != nil {
				t.Fatal(err)
			}
		}
		bad := event(f.a, "organization.delete", "organization", o.ID)
		wantCode(t, f.s.DeleteOrganization(f.ctx, f.a.ID, sb.NewID(sb.PrefixOrg), bad), sb.CodeNotFound)
		wantCode(t, f.s.DeleteOrganization(f.ctx, f.b.ID, o.ID, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		f.wantAudit(t, f.b)
		ev := event(f.a, "organization.delete", "organization", o.ID)
		if err := f.s.DeleteOrganization(f.ctx, f.a.ID, o.ID, ev); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.GetOrganization(f.ctx, f.a.ID, o.ID)
		wantCode(t, err, sb.CodeNotFound)
		wantCode(t, f.s.DeleteOrganization(f.ctx, f.a.ID, o.ID, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		// Its organization connections went with it; the other organization's stayed.
		_, err = f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
		list, total, err := f.s.ListOrganizationConnections(f.ctx, f.a.ID, o.ID, sb.OrganizationConnectionFilter{})
		if err == nil && (len(list) != 0 || total != 0) {
			t.Errorf("connections of a deleted organization: %d, total %d", len(list), total)
		} else if err != nil {
			wantCode(t, err, sb.CodeNotFound)
		}
		if _, err := f.s.GetOrganizationConnection(f.ctx, f.a.ID, kept.ID, c.ID); err != nil {
			t.Errorf("connection of the other organization: %v", err)
		}
		f.wantConnection(t, c, 0)
		// Recreated with the same name and id, it starts with no connections.
		again := *o
		f.organization(t, &again)
		_, err = f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
	})
}

func newOrganizationConnection(o *sb.Organization, c *sb.Connection, enabled bool) *sb.OrganizationConnection {
	now := sb.Now()
	return &sb.OrganizationConnection{
		WorkspaceID:             o.WorkspaceID,
		OrganizationID:          o.ID,
		ConnectionID:            c.ID,
		Name:                    "login-" + c.Name,
		AssignMembershipOnLogin: true,
		ShowAsButton:            false,
		IsSignupEnabled:         true,
		AccessLevel:             sb.AccessLimited,
		IsEnabled:               enabled,
		CreatedAt:               now,
		UpdatedAt:               now,
	}
}

func testOrganizationConnection(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		oc := newOrganizationConnection(o, c, true)
		ev := event(f.a, "organization.connection.create", "organization", o.ID)
		if err := f.s.CreateOrganizationConnection(f.ctx, oc, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(oc, got, opts()); diff != "" {
			t.Errorf("GetOrganizationConnection (-want +got):\n%s", diff)
		}
		// Every flag false reads back false.
		c2 := f.connection(t, newConnection(f.a, "kafka", "plain"))
		plain := &sb.OrganizationConnection{WorkspaceID: f.a.ID, OrganizationID: o.ID, ConnectionID: c2.ID,
			AccessLevel: sb.AccessNone, CreatedAt: sb.Now(), UpdatedAt: sb.Now()}
		if err := f.s.CreateOrganizationConnection(f.ctx, plain, nil); err != nil {
			t.Fatal(err)
		}
		got, err = f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(plain, got, opts()); diff != "" {
			t.Errorf("GetOrganizationConnection (-want +got):\n%s", diff)
		}
		_, err = f.s.GetOrganizationConnection(f.ctx, f.b.ID, o.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
		_, err = f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, sb.NewID(sb.PrefixConnection))
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
	})

	t.Run("CreateErrors", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		oB := f.organization(t, newOrganization(f.b, "acme"))
		cB := f.connection(t, newConnection(f.b, "kafka", "orders"))
		if err := f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(o, c, true), nil); err != nil {
			t.Fatal(err)
		}
		bad := event(f.a, "organization.connection.create", "organization", o.ID)
		wantConflict(t, f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(o, c, false), bad),
			"organization_connection.exists")
		missingOrg := newOrganizationConnection(o, c, true)
		missingOrg.OrganizationID = sb.NewID(sb.PrefixOrg)
		missingConn := newOrganizationConnection(o, c, true)
		missingConn.ConnectionID = sb.NewID(sb.PrefixConnection)
		orgOfB := newOrganizationConnection(oB, c, true)
		orgOfB.WorkspaceID = f.a.ID
		connOfB := newOrganizationConnection(o, cB, true)
		connOfB.WorkspaceID = f.a.ID
		inB := newOrganizationConnection(o, c, true) // A's objects, named from B
		inB.WorkspaceID = f.b.ID
		for name, oc := range map[string]*sb.OrganizationConnection{
			"missing organization": missingOrg, "missing connection": missingConn,
			"organization of B": orgOfB, "connection of B": connOfB, "from B": inB,
		} {
			if err := f.s.CreateOrganizationConnection(f.ctx, oc, bad); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("%s: error %v, want not found", name, err)
			}
		}
		f.wantAudit(t, f.a)
		f.wantAudit(t, f.b)
		got, err := f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID)
		if err != nil || !got.IsEnabled {
			t.Errorf("the first organization connection changed: %+v, %v", got, err)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		other := f.organization(t, newOrganization(f.a, "other"))
		var all, enabled, disabled []string
		// Created in reverse id order: the list is ordered by connection id, not insertion.
		var conns []*sb.Connection
		for i := range 7 {
			conns = append(conns, f.connection(t, newConnection(f.a, "kafka", fmt.Sprintf("c%d", i))))
		}
		for i := len(conns) - 1; i >= 0; i-- {
			c := conns[i]
			on := i%3 != 0
			if err := f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(o, c, on), nil); err != nil {
				t.Fatal(err)
			}
			all = append(all, c.ID)
			if on {
				enabled = append(enabled, c.ID)
			} else {
				disabled = append(disabled, c.ID)
			}
		}
		if err := f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(other, conns[0], true), nil); err != nil {
			t.Fatal(err)
		}
		all, enabled, disabled = sorted(all), sorted(enabled), sorted(disabled)
		yes, no := true, false
		tests := []struct {
			name   string
			filter sb.OrganizationConnectionFilter
			want   []string
			total  int
		}{
			{"all", sb.OrganizationConnectionFilter{}, all, 7},
			{"enabled", sb.OrganizationConnectionFilter{IsEnabled: &yes}, enabled, len(enabled)},
			{"disabled", sb.OrganizationConnectionFilter{IsEnabled: &no}, disabled, len(disabled)},
			{"page", sb.OrganizationConnectionFilter{Offset: 2, Limit: 3}, all[2:5], 7},
			{"last page", sb.OrganizationConnectionFilter{Offset: 5, Limit: 3}, all[5:], 7},
			{"offset only", sb.OrganizationConnectionFilter{Offset: 4}, all[4:], 7},
			{"limit only", sb.OrganizationConnectionFilter{Limit: 2}, all[:2], 7},
			{"past the end", sb.OrganizationConnectionFilter{Offset: 7, Limit: 3}, nil, 7},
			{"enabled page", sb.OrganizationConnectionFilter{IsEnabled: &yes, Offset: 1, Limit: 2}, enabled[1:3], len(enabled)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, total, err := f.s.ListOrganizationConnections(f.ctx, f.a.ID, o.ID, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, oc := range list {
					if oc.OrganizationID != o.ID || oc.WorkspaceID != f.a.ID {
						t.Errorf("item of %s/%s", oc.WorkspaceID, oc.OrganizationID)
					}
					got = append(got, oc.ConnectionID)
					if oc.Name == "" {
						t.Errorf("item %s lost its name", oc.ConnectionID)
					}
				}
				if diff := cmp.Diff(tt.want, got, equateEmpty()); diff != "" {
					t.Errorf("ListOrganizationConnections(%+v) (-want +got):\n%s", tt.filter, diff)
				}
				if total != tt.total {
					t.Errorf("total = %d, want %d", total, tt.total)
				}
			})
		}
		list, total, err := f.s.ListOrganizationConnections(f.ctx, f.b.ID, o.ID, sb.OrganizationConnectionFilter{})
		if err == nil && (len(list) != 0 || total != 0) {
			t.Errorf("another workspace lists %d connections, total %d", len(list), total)
		} else if err != nil {
			wantCode(t, err, sb.CodeNotFound)
		}
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		oc := newOrganizationConnection(o, c, true)
		if err := f.s.CreateOrganizationConnection(f.ctx, oc, nil); err != nil {
			t.Fatal(err)
		}
		upd := *oc
		upd.AssignMembershipOnLogin, upd.ShowAsButton, upd.IsSignupEnabled = false, true, false
		upd.AccessLevel, upd.IsEnabled, upd.UpdatedAt = sb.AccessFull, false, oc.UpdatedAt.Add(time.Minute)
		upd.Name = "renamed"
		bad := event(f.a, "organization.connection.update", "organization", o.ID)
		missing := upd
		missing.ConnectionID = sb.NewID(sb.PrefixConnection)
		wantCode(t, f.s.UpdateOrganizationConnection(f.ctx, &missing, bad), sb.CodeNotFound)
		moved := upd
		moved.WorkspaceID = f.b.ID
		wantCode(t, f.s.UpdateOrganizationConnection(f.ctx, &moved, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		ev := event(f.a, "organization.connection.update", "organization", o.ID)
		if err := f.s.UpdateOrganizationConnection(f.ctx, &upd, ev); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&upd, got, opts()); diff != "" {
			t.Errorf("after update (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a, ev)
		yes := true
		_, total, err := f.s.ListOrganizationConnections(f.ctx, f.a.ID, o.ID, sb.OrganizationConnectionFilter{IsEnabled: &yes})
		if err != nil || total != 0 {
			t.Errorf("enabled after disabling: total %d, %v", total, err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		kept := f.connection(t, newConnection(f.a, "kafka", "kept"))
		for _, conn := range []*sb.Connection{c, kept} {
			if err := f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(o, conn, true), nil); err != nil {
				t.Fatal(err)
			}
		}
		bad := event(f.a, "organization.connection.delete", "organization", o.ID)
		wantCode(t, f.s.DeleteOrganizationConnection(f.ctx, f.b.ID, o.ID, c.ID, bad), sb.CodeNotFound)
		wantCode(t, f.s.DeleteOrganizationConnection(f.ctx, f.a.ID, o.ID, sb.NewID(sb.PrefixConnection), bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		ev := event(f.a, "organization.connection.delete", "organization", o.ID)
		if err := f.s.DeleteOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID, ev); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.GetOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
		wantCode(t, f.s.DeleteOrganizationConnection(f.ctx, f.a.ID, o.ID, c.ID, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		// The connection itself is untouched and can be added again.
		f.wantConnection(t, c, 0)
		if err := f.s.CreateOrganizationConnection(f.ctx, newOrganizationConnection(o, c, false), nil); err != nil {
			t.Fatalf("re-adding: %v", err)
		}
	})

	t.Run("DeleteConnectionCascades", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		o := f.organization(t, newOrganization(f.a, "acme"))
		o2 := f.organization(t, newOrganization(f.a, "beta"))
		c := f.connection(t, newConnection(f.a, "kafka", "orders"))
		kept := f.connection(t, newConnection(f.a, "kafka", "kept"))
		for _, oc := range []*sb.OrganizationConnection{
			newOrganizationConnection(o, c, true), newOrganizationConnection(o2, c, true), newOrganizationConnection(o, kept, true),
		} {
			if err := f.s.CreateOrganizationConnection(f.ctx, oc, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.s.DeleteConnection(f.ctx, f.a.ID, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, org := range []*sb.Organization{o, o2} {
			_, err := f.s.GetOrganizationConnection(f.ctx, f.a.ID, org.ID, c.ID)
			wantCode(t, err, sb.CodeNotFound)
		}
		list, total, err := f.s.ListOrganizationConnections(f.ctx, f.a.ID, o.ID, sb.OrganizationConnectionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(list) != 1 || list[0].ConnectionID != kept.ID {
			t.Errorf("after deleting a connection: %d items, total %d", len(list), total)
		}
		f.wantOrganization(t, o)
	})
}
