// Package storetest is the conformance suite of switchboard.Store. Every driver's tests call
// Run with a constructor of fresh, empty stores; a behaviour the service relies on is added
// here first, then to the drivers.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

// Run runs the conformance suite against the stores newStore returns. Each call to newStore
// must return a new, empty store; the caller arranges its cleanup (Close may be called on it
// by the suite before that cleanup runs, so Close must tolerate a second call). Subtests run
// in parallel, each on a store of its own.
func Run(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Helper()
	areas := []struct {
		name string
		run  func(t *testing.T, newStore func(t *testing.T) sb.Store)
	}{
		{"Store", testStore},
		{"Tenant", testTenant},
		{"Workspace", testWorkspace},
		{"APIKey", testAPIKey},
		{"AccessKey", testAccessKey},
		{"DataKey", testDataKey},
		{"KeyCheck", testKeyCheck},
		{"Connector", testConnector},
		{"Credential", testCredential},
		{"Connection", testConnection},
		{"HealthClaim", testHealthClaim},
		{"ConnectionFilter", testConnectionFilter},
		{"ConnectionSearch", testConnectionSearch},
		{"Organization", testOrganization},
		{"OrganizationConnection", testOrganizationConnection},
		{"Usage", testUsage},
		{"Audit", testAudit},
		{"OAuth", testOAuth},
		{"Webhook", testWebhook},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.run(t, newStore)
		})
	}
}

// fixture is a fresh store holding one tenant with two workspaces: A, where a test puts its
// objects, and B, which must never see them.
type fixture struct {
	ctx    context.Context
	s      sb.Store
	tenant *sb.Tenant
	a, b   *sb.Workspace
}

func setup(t *testing.T, newStore func(t *testing.T) sb.Store) *fixture {
	t.Helper()
	f := &fixture{ctx: t.Context(), s: newStore(t)}
	f.tenant = &sb.Tenant{ID: sb.NewID("tnt"), Name: "Acme", CreatedAt: sb.Now()}
	if err := f.s.CreateTenant(f.ctx, f.tenant); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	f.a = f.workspace(t, f.tenant.ID, "A")
	f.b = f.workspace(t, f.tenant.ID, "B")
	return f
}

func (f *fixture) workspace(t testing.TB, tenantID, name string) *sb.Workspace {
	t.Helper()
	w := &sb.Workspace{ID: sb.NewID("ws"), TenantID: tenantID, Name: name, CreatedAt: sb.Now()}
	if err := f.s.CreateWorkspace(f.ctx, w, nil); err != nil {
		t.Fatalf("CreateWorkspace: %v", err)
	}
	return w
}

// event returns a fully populated audit event about an object of workspace ws.
func event(ws *sb.Workspace, action, objectType, objectID string) *sb.AuditEvent {
	return &sb.AuditEvent{
		ID:          sb.NewID(sb.PrefixAudit),
		TenantID:    ws.TenantID,
		WorkspaceID: ws.ID,
		Actor:       "user_1",
		Action:      action,
		ObjectType:  objectType,
		ObjectID:    objectID,
		RequestID:   sb.NewID(sb.PrefixRequest),
		IP:          "192.0.2.7",
		ClientHash:  "hash-1",
		Details:     map[string]any{"name": "x", "n": 1.0, "nested": map[string]any{"ok": true}},
		CreatedAt:   sb.Now(),
	}
}

// wantAudit fails unless the audit events of ws are exactly those with the given ids.
func (f *fixture) wantAudit(t testing.TB, ws *sb.Workspace, want ...*sb.AuditEvent) {
	t.Helper()
	got, err := f.s.ListAudit(f.ctx, ws.ID, sb.AuditFilter{Page: sb.Page{Limit: 1000}})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var gotIDs, wantIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	for _, e := range want {
		wantIDs = append(wantIDs, e.ID)
	}
	sort.Strings(wantIDs)
	if diff := cmp.Diff(wantIDs, gotIDs, equateEmpty()); diff != "" {
		t.Errorf("audit events of %s (-want +got):\n%s", ws.Name, diff)
	}
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code sb.Code) {
	t.Helper()
	if got := sb.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// wantConflict fails unless err is a conflict with the message key and, given as key/value
// pairs, the Args its message template shows ("a connection named {{.Name}} ...").
func wantConflict(t testing.TB, err error, key string, args ...any) {
	t.Helper()
	wantCode(t, err, sb.CodeConflict)
	e := sb.AsError(err)
	if e.Message != key {
		t.Fatalf("conflict message = %q, want %q", e.Message, key)
	}
	for i := 0; i+1 < len(args); i += 2 {
		if name := args[i].(string); e.Args[name] != args[i+1] {
			t.Errorf("conflict %s: Args[%s] = %v, want %v", key, name, e.Args[name], args[i+1])
		}
	}
}

// wantNone fails unless a list call either found nothing or said the parent is not found:
// both are acceptable ways of not showing another workspace's objects.
func wantNone[T any](t testing.TB, got []T, err error) {
	t.Helper()
	if err != nil {
		wantCode(t, err, sb.CodeNotFound)
		return
	}
	if len(got) != 0 {
		t.Fatalf("got %d items, want none", len(got))
	}
}

// opts compares stored objects with what was written: times by instant, JSON documents by
// value (a driver may reformat them), and nil equal to empty for slices and maps (a driver
// may not keep the difference).
func opts() cmp.Options {
	// The filter is by exact type: a Comparer of json.RawMessage alone would apply to every
	// []byte (assignable), ciphertext included.
	isJSON := func(p cmp.Path) bool { return p.Last().Type() == reflect.TypeFor[json.RawMessage]() }
	return cmp.Options{equateEmpty(), cmp.FilterPath(isJSON, cmp.Comparer(jsonEqual))}
}

// equateEmpty is cmpopts.EquateEmpty minus json.RawMessage, which jsonEqual handles; two
// options applying to one value would make cmp panic.
func equateEmpty() cmp.Option {
	return cmp.FilterValues(func(x, y any) bool {
		vx, vy := reflect.ValueOf(x), reflect.ValueOf(y)
		if !vx.IsValid() || !vy.IsValid() || vx.Type() != vy.Type() || vx.Type() == reflect.TypeFor[json.RawMessage]() {
			return false
		}
		k := vx.Kind()
		return (k == reflect.Slice || k == reflect.Map) && vx.Len() == 0 && vy.Len() == 0
	}, cmp.Comparer(func(_, _ any) bool { return true }))
}

func jsonEqual(a, b json.RawMessage) bool {
	decode := func(m json.RawMessage) any {
		if len(bytes.TrimSpace(m)) == 0 {
			return nil
		}
		var v any
		if err := json.Unmarshal(m, &v); err != nil {
			return string(m)
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

// walk lists every page of size n with list, checks each page is ascending by id, continues
// the previous one and is no longer than n, and returns the ids seen in order.
func walk[T any](t testing.TB, n int, list func(p sb.Page) ([]T, error), id func(T) string) []string {
	t.Helper()
	var seen []string
	p := sb.Page{Limit: n}
	for range 1000 {
		items, err := list(p)
		if err != nil {
			t.Fatalf("list after %q: %v", p.After, err)
		}
		if len(items) > n {
			t.Fatalf("page after %q has %d items, limit %d", p.After, len(items), n)
		}
		for _, it := range items {
			if i := id(it); i <= p.After {
				t.Fatalf("id %q not after %q", i, p.After)
			} else {
				seen = append(seen, i)
				p.After = i
			}
		}
		if len(items) < n {
			return seen
		}
	}
	t.Fatal("pagination does not end")
	return nil
}

// sorted returns a sorted copy of ids.
func sorted(ids []string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// ptr returns a pointer to t, for optional times.
func ptr(t time.Time) *time.Time { return &t }
