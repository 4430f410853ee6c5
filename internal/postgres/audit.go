package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// AppendAudit inserts audit events on their own, in one transaction (with the webhook
// deliveries announcing them).
//
// Several events (the buffered credential-read audit writes them by the thousand) go in one
// statement and their webhook subscriptions are read in one query: a statement per event
// made each flush a round trip per event.
func (s *Store) AppendAudit(ctx context.Context, evs ...*switchboard.AuditEvent) error {
	return s.inTx(ctx, nil, func(tx pgx.Tx) error {
		if len(evs) == 1 {
			return insertAudit(ctx, tx, evs[0])
		}
		return insertAudits(ctx, tx, evs)
	})
}

// insertAudits writes evs with one INSERT over arrays, then their webhook deliveries.
func insertAudits(ctx context.Context, q querier, evs []*switchboard.AuditEvent) error {
	var cols [11][]string
	created := make([]time.Time, len(evs))
	workspaces := map[string]bool{}
	for i, ev := range evs {
		details, err := marshal(ev.Details)
		if err != nil {
			return err
		}
		for c, v := range []string{ev.ID, ev.TenantID, ev.WorkspaceID, ev.Actor, ev.Action, ev.ObjectType, ev.ObjectID,
			ev.RequestID, ev.IP, ev.ClientHash, string(details)} {
			cols[c] = append(cols[c], v)
		}
		created[i] = ev.CreatedAt
		if ev.WorkspaceID != "" {
			workspaces[ev.WorkspaceID] = true
		}
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_events
		(id, tenant_id, workspace_id, actor, action, object_type, object_id, request_id, ip, client_hash, details, created_at)
		SELECT id, tenant_id, workspace_id, actor, action, object_type, object_id, request_id, ip, client_hash, details::jsonb, created_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::timestamptz[])
		AS t(id, tenant_id, workspace_id, actor, action, object_type, object_id, request_id, ip, client_hash, details, created_at)`,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], cols[9], cols[10], created)
	if err != nil {
		return err
	}
	subs, err := subscriptions(ctx, q, slices.Collect(maps.Keys(workspaces)))
	if err != nil {
		return err
	}
	for _, ev := range evs {
		for _, typ := range switchboard.WebhookEvents(ev) {
			var ids []string
			for _, sub := range subs[ev.WorkspaceID] {
				if slices.Contains(sub.events, typ) {
					ids = append(ids, sub.id)
				}
			}
			if err := insertDeliveries(ctx, q, ev, typ, ids); err != nil {
				return err
			}
		}
	}
	return nil
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
