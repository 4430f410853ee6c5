package storetest

import (
	"context"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// NewTenancy creates a tenant and a workspace of it in s, for a driver's own tests.
func NewTenancy(tb testing.TB, s sb.Store) (*sb.Tenant, *sb.Workspace) {
	tb.Helper()
	t := &sb.Tenant{ID: sb.NewID("tnt"), Name: "Acme", CreatedAt: sb.Now()}
	if err := s.CreateTenant(context.Background(), t); err != nil {
		tb.Fatal(err)
	}
	ws := &sb.Workspace{ID: sb.NewID("ws"), TenantID: t.ID, Name: "main", CreatedAt: sb.Now()}
	if err := s.CreateWorkspace(context.Background(), ws, nil); err != nil {
		tb.Fatal(err)
	}
	return t, ws
}

// NewConnection returns a new connection named name in ws, and the audit event of its
// creation, ready for Store.CreateConnection.
func NewConnection(t *sb.Tenant, ws *sb.Workspace, name string) (*sb.Connection, *sb.AuditEvent) {
	now := sb.Now()
	c := &sb.Connection{
		ID: sb.NewID(sb.PrefixConnection), WorkspaceID: ws.ID, ConnectorID: "kafka",
		ConnectorVersion: "1.0.0", Name: name, Status: sb.StatusActive, Enabled: true,
		Config: map[string]any{"host": "kafka.example", "port": 9092.0},
		Sealed: []byte("sealed:" + name), Tags: []string{"eu"}, CreatedAt: now, UpdatedAt: now,
		CreatedBy: "user_1", UpdatedBy: "user_1",
	}
	ev := &sb.AuditEvent{
		ID: sb.NewID(sb.PrefixAudit), TenantID: t.ID, WorkspaceID: ws.ID, Actor: "user_1",
		Action: "connection.create", ObjectType: "connection", ObjectID: c.ID, CreatedAt: now,
	}
	return c, ev
}
