package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

// newConnector returns a workspace connector with key and its first version "1.0.0".
func newConnector(ws *sb.Workspace, key string) (*sb.Connector, *sb.ConnectorVersion) {
	c := &sb.Connector{
		ID:            sb.NewID(sb.PrefixConnector),
		WorkspaceID:   ws.ID,
		Key:           key,
		Name:          "Kafka " + key,
		Description:   "Streams events",
		Categories:    []string{"messaging", "streaming"},
		LatestVersion: "1.0.0",
		CreatedAt:     sb.Now(),
		CreatedBy:     "user_1",
	}
	return c, newVersion(c, "1.0.0", sb.Now())
}

func newVersion(c *sb.Connector, version string, at time.Time) *sb.ConnectorVersion {
	return &sb.ConnectorVersion{
		ConnectorID: c.ID,
		WorkspaceID: c.WorkspaceID,
		Version:     version,
		Schema:      json.RawMessage(`{"type":"object","properties":{"host":{"type":"string"},"password":{"type":"string","writeOnly":true}}}`),
		AuthSchemes: []string{"api_key", "basic"},
		Slots:       []string{"action", "trigger"},
		Permissions: []string{"read", "write"},
		HealthCheck: json.RawMessage(`{"method":"GET","path":"/health"}`),
		OAuth2:      json.RawMessage(`{"authorize_url":"https://x.example/auth","scopes":["a","b"]}`),
		CreatedAt:   at,
	}
}

func testConnector(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c, v := newConnector(f.a, "kafka")
		ev := event(f.a, "connector.create", "connector", c.ID)
		if err := f.s.CreateConnector(f.ctx, c, v, ev); err != nil {
			t.Fatal(err)
		}
		for _, idOrKey := range []string{c.ID, c.Key} {
			got, err := f.s.GetConnector(f.ctx, f.a.ID, idOrKey)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c, got, opts()); diff != "" {
				t.Errorf("GetConnector(%q) (-want +got):\n%s", idOrKey, diff)
			}
			_, err = f.s.GetConnector(f.ctx, f.b.ID, idOrKey)
			wantCode(t, err, sb.CodeNotFound)
		}
		gotV, err := f.s.GetConnectorVersion(f.ctx, f.a.ID, c.ID, v.Version)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v, gotV, opts()); diff != "" {
			t.Errorf("GetConnectorVersion (-want +got):\n%s", diff)
		}
		_, err = f.s.GetConnectorVersion(f.ctx, f.b.ID, c.ID, v.Version)
		wantCode(t, err, sb.CodeNotFound)
		_, err = f.s.GetConnectorVersion(f.ctx, f.a.ID, c.ID, "9.9.9")
		wantCode(t, err, sb.CodeNotFound)
		_, err = f.s.GetConnector(f.ctx, f.a.ID, "nope")
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		f.wantAudit(t, f.b)
	})

	t.Run("KeyTaken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c, v := newConnector(f.a, "kafka")
		if err := f.s.CreateConnector(f.ctx, c, v, nil); err != nil {
			t.Fatal(err)
		}
		dup, dupV := newConnector(f.a, "kafka")
		wantConflict(t, f.s.CreateConnector(f.ctx, dup, dupV, event(f.a, "connector.create", "connector", dup.ID)), "connector.key_taken", "Key", "kafka")
		_, err := f.s.GetConnector(f.ctx, f.a.ID, dup.ID)
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a)
		// Keys are unique per workspace only.
		inB, inBV := newConnector(f.b, "kafka")
		if err := f.s.CreateConnector(f.ctx, inB, inBV, nil); err != nil {
			t.Fatalf("same key in another workspace: %v", err)
		}
		got, err := f.s.GetConnector(f.ctx, f.b.ID, "kafka")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != inB.ID {
			t.Errorf("GetConnector(B, kafka) = %s, want %s", got.ID, inB.ID)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		var want []string
		for i := range 9 {
			c, v := newConnector(f.a, "k"+string(rune('a'+i)))
			if err := f.s.CreateConnector(f.ctx, c, v, nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
			c, v = newConnector(f.b, "k"+string(rune('a'+i)))
			if err := f.s.CreateConnector(f.ctx, c, v, nil); err != nil {
				t.Fatal(err)
			}
		}
		got := walk(t, 4, func(p sb.Page) ([]*sb.Connector, error) {
			return f.s.ListConnectors(f.ctx, f.a.ID, p)
		}, func(c *sb.Connector) string { return c.ID })
		if diff := cmp.Diff(sorted(want), got); diff != "" {
			t.Errorf("ListConnectors (-want +got):\n%s", diff)
		}
		none, err := f.s.ListConnectors(f.ctx, sb.NewID("ws"), sb.Page{Limit: 100})
		wantNone(t, none, err)
	})

	t.Run("Versions", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c, v1 := newConnector(f.a, "kafka")
		if err := f.s.CreateConnector(f.ctx, c, v1, nil); err != nil {
			t.Fatal(err)
		}
		// Version strings do not sort ("10.0.0" < "2.0.0"), so oldest first means by creation.
		v2 := newVersion(c, "2.0.0", v1.CreatedAt.Add(time.Second))
		v10 := newVersion(c, "10.0.0", v1.CreatedAt.Add(2*time.Second))
		v10.Schema = json.RawMessage(`{"type":"object"}`)
		v10.HealthCheck, v10.OAuth2, v10.Permissions = nil, nil, nil
		var evs []*sb.AuditEvent
		for _, v := range []*sb.ConnectorVersion{v2, v10} {
			ev := event(f.a, "connector.version.create", "connector", c.ID)
			evs = append(evs, ev)
			if err := f.s.CreateConnectorVersion(f.ctx, v, ev); err != nil {
				t.Fatal(err)
			}
			got, err := f.s.GetConnector(f.ctx, f.a.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LatestVersion != v.Version {
				t.Errorf("LatestVersion = %q, want %q", got.LatestVersion, v.Version)
			}
		}
		got, err := f.s.ListConnectorVersions(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*sb.ConnectorVersion{v1, v2, v10}, got, opts()); diff != "" {
			t.Errorf("ListConnectorVersions (-want +got):\n%s", diff)
		}
		gotV, err := f.s.GetConnectorVersion(f.ctx, f.a.ID, c.ID, "10.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v10, gotV, opts()); diff != "" {
			t.Errorf("GetConnectorVersion (-want +got):\n%s", diff)
		}
		other, err := f.s.ListConnectorVersions(f.ctx, f.b.ID, c.ID)
		wantNone(t, other, err)

		bad := event(f.a, "connector.version.create", "connector", c.ID)
		dup := newVersion(c, "2.0.0", sb.Now())
		wantConflict(t, f.s.CreateConnectorVersion(f.ctx, dup, bad), "connector_version.exists", "Version", "2.0.0")
		missing := newVersion(&sb.Connector{ID: sb.NewID(sb.PrefixConnector), WorkspaceID: f.a.ID}, "1.0.0", sb.Now())
		wantCode(t, f.s.CreateConnectorVersion(f.ctx, missing, bad), sb.CodeNotFound)
		// A version claiming workspace B for A's connector is refused as not found.
		crossed := newVersion(c, "3.0.0", sb.Now())
		crossed.WorkspaceID = f.b.ID
		wantCode(t, f.s.CreateConnectorVersion(f.ctx, crossed, bad), sb.CodeNotFound)
		latest, err := f.s.GetConnector(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if latest.LatestVersion != "10.0.0" {
			t.Errorf("LatestVersion after failed creates = %q, want 10.0.0", latest.LatestVersion)
		}
		f.wantAudit(t, f.a, evs...)
	})
}
