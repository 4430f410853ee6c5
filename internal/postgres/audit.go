package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// AppendAudit inserts audit events on their own, in one transaction (with the webhook
// deliveries announcing them).
func (s *Store) AppendAudit(ctx context.Context, evs ...*switchboard.AuditEvent) error {
	return s.inTx(ctx, nil, func(tx pgx.Tx) error {
		for _, ev := range evs {
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertAudit(ctx context.Context, q querier, ev *switchboard.AuditEvent) error {
	details, err := marshal(ev.Details)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_events
		(id, tenant_id, workspace_id, actor, action, object_type, object_id, request_id, ip, client_hash,
		 details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		ev.ID, ev.TenantID, ev.WorkspaceID, ev.Actor, ev.Action, ev.ObjectType, ev.ObjectID, ev.RequestID,
		ev.IP, ev.ClientHash, details, ev.CreatedAt)
	if err != nil {
		return err
	}
	return enqueueWebhooks(ctx, q, ev)
}

func scanAudit(row pgx.Row) (*switchboard.AuditEvent, error) {
	var (
		ev      switchboard.AuditEvent
		details []byte
	)
	err := row.Scan(&ev.ID, &ev.TenantID, &ev.WorkspaceID, &ev.Actor, &ev.Action, &ev.ObjectType, &ev.ObjectID,
		&ev.RequestID, &ev.IP, &ev.ClientHash, &details, &ev.CreatedAt)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(details, &ev.Details); err != nil {
		return nil, err
	}
	ev.CreatedAt = ev.CreatedAt.UTC()
	return &ev, nil
}

// ListAudit lists a workspace's audit events matching f.
func (s *Store) ListAudit(ctx context.Context, workspaceID string, f switchboard.AuditFilter) ([]*switchboard.AuditEvent, error) {
	sql, args := listAuditQuery(workspaceID, f)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanAudit)
}

func listAuditQuery(workspaceID string, f switchboard.AuditFilter) (string, []any) {
	where := []string{"workspace_id = $1", "id > $2"}
	args := []any{workspaceID, f.After}
	filter := func(column, v string) {
		if v == "" {
			return
		}
		args = append(args, v)
		where = append(where, fmt.Sprintf("%s = $%d", column, len(args)))
	}
	filter("object_id", f.ObjectID)
	filter("action", f.Action)
	args = append(args, limit(f.Limit))
	sql := fmt.Sprintf(`SELECT id, tenant_id, workspace_id, actor, action, object_type, object_id, request_id,
		ip, client_hash, details, created_at FROM audit_events WHERE %s ORDER BY id LIMIT $%d`,
		strings.Join(where, " AND "), len(args))
	return sql, args
}
