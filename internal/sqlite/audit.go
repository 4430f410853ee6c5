package sqlite

import (
	"context"
	"database/sql"

	sb "github.com/switchboardhq/switchboard"
)

// insertAudit writes ev inside tx, the transaction of the change it records, with the webhook
// deliveries announcing it.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, ev *sb.AuditEvent) error {
	details, err := toJSON(ev.Details)
	if err != nil {
		return sb.Internal(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (id, tenant_id, workspace_id, actor, action, object_type,
		object_id, request_id, ip, client_hash, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.TenantID, ev.WorkspaceID, ev.Actor, ev.Action, ev.ObjectType, ev.ObjectID, ev.RequestID,
		ev.IP, ev.ClientHash, details, micros(ev.CreatedAt))
	if err != nil {
		return err
	}
	return s.enqueueWebhooks(ctx, tx, ev)
}

// AppendAudit inserts audit events on their own, in one transaction.
func (s *Store) AppendAudit(ctx context.Context, evs ...*sb.AuditEvent) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		for _, ev := range evs {
			if err := s.insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
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
