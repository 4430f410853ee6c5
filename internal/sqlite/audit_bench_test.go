package sqlite

import (
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// BenchmarkAppendAudit measures the writer's cost of one audit event when the buffered read
// audit writes them in chunks of 1000 (ns/op is per event).
func BenchmarkAppendAudit(b *testing.B) {
	f := newGCFixture(b)
	ctx := b.Context()
	const chunk = 1000
	evs := make([]*sb.AuditEvent, 0, chunk)
	flush := func() {
		if err := f.s.AppendAudit(ctx, evs...); err != nil {
			b.Fatal(err)
		}
		evs = evs[:0]
	}
	b.ReportAllocs()
	for b.Loop() {
		evs = append(evs, &sb.AuditEvent{ID: sb.NewID(sb.PrefixAudit), TenantID: f.tenant.ID, WorkspaceID: f.ws.ID,
			Actor: "key_06h15vm819xsrtx0ygqatk31r8", Action: "connection.credentials.read", ObjectType: "connection",
			ObjectID: "conn_06h15vmfwdn1ye0ad1447r5rx0", RequestID: "req_06h15vmfwdn1ye0ad1447r5rww", IP: "127.0.0.1",
			Details: map[string]any{"credentials": []string{}}, CreatedAt: sb.Now()})
		if len(evs) == chunk {
			flush()
		}
	}
	if len(evs) > 0 {
		flush()
	}
}
