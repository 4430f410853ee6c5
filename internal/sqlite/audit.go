package sqlite

import (
	"context"
	"database/sql"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// insertAudit writes ev inside tx, the transaction of the change it records, with the webhook
// deliveries announcing it.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, ev *sb.AuditEvent) error {
	return s.insertAudits(ctx, tx, []*sb.AuditEvent{ev})
}

// auditColumns are the columns of an audit_events row, auditsPerInsert how many rows one
// INSERT writes: one statement per row cost the bulk writes of credential-read events about
// as much as the rows themselves.
const (
	auditColumns    = `id, tenant_id, workspace_id, actor, action, object_type, object_id, request_id, ip, client_hash, details, created_at`
	auditsPerInsert = 32
)

// auditInserts[n] is the INSERT of n audit rows, built once.
var auditInserts = func() (q [auditsPerInsert + 1]string) {
	row := "(" + strings.Repeat("?, ", 11) + "?)"
	for n := 1; n <= auditsPerInsert; n++ {
		q[n] = `INSERT INTO audit_events (` + auditColumns + `) VALUES ` + row + strings.Repeat(", "+row, n-1)
	}
	return q
}()

// insertAudits writes evs inside tx, up to auditsPerInsert rows per statement (the statement
// texts are the full chunk and one per size of the rest, each kept prepared), then their
// webhook deliveries.
func (s *Store) insertAudits(ctx context.Context, tx *sql.Tx, evs []*sb.AuditEvent) error {
	for rest := evs; len(rest) > 0; {
		chunk := rest[:min(len(rest), auditsPerInsert)]
		rest = rest[len(chunk):]
		args := make([]any, 0, 12*len(chunk))
		for _, ev := range chunk {
			details, err := toJSON(ev.Details)
			if err != nil {
				return sb.Internal(err)
			}
			args = append(args, ev.ID, ev.TenantID, ev.WorkspaceID, ev.Actor, ev.Action, ev.ObjectType, ev.ObjectID,
				ev.RequestID, ev.IP, ev.ClientHash, details, micros(ev.CreatedAt))
		}
		if _, err := tx.ExecContext(ctx, auditInserts[len(chunk)], args...); err != nil {
			return err
		}
	}
	for _, ev := range evs {
		if err := s.enqueueWebhooks(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

// AppendAudit inserts audit events on their own, in one transaction.
func (s *Store) AppendAudit(ctx context.Context, evs ...*sb.AuditEvent) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error { return s.insertAudits(ctx, tx, evs) })
}

func scanAudit(r rowScanner) (*sb.AuditEvent, error) {
	var ev sb.AuditEvent
	var created int64
	err := r.Scan(&ev.ID, &ev.TenantID, &ev.WorkspaceID, &ev.Actor, &ev.Action, &ev.ObjectType, &ev.ObjectID,
		&ev.RequestID, &ev.IP, &ev.ClientHash, jsonCol{&ev.Details}, &created)
	if err != nil {
		return nil, err
	}
	ev.CreatedAt = fromMicros(created)
	return &ev, nil
}

// ListAudit lists a workspace's audit events matching f.
func (s *Store) ListAudit(ctx context.Context, workspaceID string, f sb.AuditFilter) ([]*sb.AuditEvent, error) {
	// A condition "? = '' OR column = ?" would keep SQLite from using the filter's index, so
	// each combination gets its own WHERE.
	where := "workspace_id = ? AND id > ?"
	args := []any{workspaceID, f.After}
	if f.ObjectID != "" {
		where += " AND object_id = ?"
		args = append(args, f.ObjectID)
	}
	if f.Action != "" {
		where += " AND action = ?"
		args = append(args, f.Action)
	}
	return list(ctx, s, scanAudit, `SELECT id, tenant_id, workspace_id, actor, action, object_type, object_id,
		request_id, ip, client_hash, details, created_at FROM audit_events WHERE `+where+` ORDER BY id LIMIT ?`,
		append(args, limit(f.Page))...)
}
