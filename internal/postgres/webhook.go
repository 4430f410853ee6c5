package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// enqueueWebhooks writes, inside tx, one pending delivery of ev for each event type it
// announces and each enabled endpoint of its workspace subscribed to that type.
func enqueueWebhooks(ctx context.Context, q querier, ev *switchboard.AuditEvent) error {
	if ev.WorkspaceID == "" {
		return nil
	}
	for _, typ := range switchboard.WebhookEvents(ev) {
		if err := enqueueWebhook(ctx, q, ev, typ); err != nil {
			return err
		}
	}
	return nil
}

// enqueueWebhook writes the deliveries of ev as an event of type typ.
func enqueueWebhook(ctx context.Context, q querier, ev *switchboard.AuditEvent, typ string) error {
	rows, err := q.Query(ctx, `SELECT id FROM webhook_endpoints WHERE workspace_id = $1 AND enabled
		AND events ? $2 ORDER BY id`, ev.WorkspaceID, typ)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	return insertDeliveries(ctx, q, ev, typ, ids)
}

// subscription is an enabled webhook endpoint and the event types it is subscribed to.
type subscription struct {
	id     string
	events []string
}

// subscriptions reads the enabled endpoints of the workspaces, in id order.
func subscriptions(ctx context.Context, q querier, workspaces []string) (map[string][]subscription, error) {
	rows, err := q.Query(ctx, `SELECT workspace_id, id, events FROM webhook_endpoints
		WHERE workspace_id = ANY($1) AND enabled ORDER BY workspace_id, id`, workspaces)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]subscription{}
	for rows.Next() {
		var ws string
		var sub subscription
		var events []byte
		if err := rows.Scan(&ws, &sub.id, &events); err != nil {
			return nil, err
		}
		if err := unmarshal(events, &sub.events); err != nil {
			return nil, err
		}
		out[ws] = append(out[ws], sub)
	}
	return out, rows.Err()
}

// insertDeliveries writes a pending delivery of ev, as an event of type typ, to each endpoint.
func insertDeliveries(ctx context.Context, q querier, ev *switchboard.AuditEvent, typ string, endpoints []string) error {
	if len(endpoints) == 0 {
		return nil
	}
	payload, err := switchboard.WebhookPayload(typ, ev)
	if err != nil {
		return switchboard.Internal(err)
	}
	for _, id := range endpoints {
		d := &switchboard.WebhookDelivery{ID: switchboard.NewID(switchboard.PrefixWebhookDelivery), TenantID: ev.TenantID,
			WorkspaceID: ev.WorkspaceID, EndpointID: id, EventType: typ, Payload: payload, Status: switchboard.DeliveryPending,
			NextAttemptAt: ev.CreatedAt, CreatedAt: ev.CreatedAt}
		if err := insertDelivery(ctx, q, d); err != nil {
			return err
		}
	}
	return nil
}

func insertDelivery(ctx context.Context, q querier, d *switchboard.WebhookDelivery) error {
	_, err := q.Exec(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, workspace_id, endpoint_id, event_type,
		payload, status, attempts, next_attempt_at, lease_token, last_status, last_error, attempt_log, created_at, delivered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, '', 0, '', '[]', $9, NULL)`,
		d.ID, d.TenantID, d.WorkspaceID, d.EndpointID, d.EventType, d.Payload, d.Status, d.NextAttemptAt, d.CreatedAt)
	return err
}

const endpointColumns = `id, tenant_id, workspace_id, url, events, enabled, sealed, previous_sealed, previous_expires_at,
	created_at, created_by, updated_at`

func scanEndpoint(row pgx.Row) (*switchboard.WebhookEndpoint, error) {
	var (
		e      switchboard.WebhookEndpoint
		events []byte
	)
	err := row.Scan(&e.ID, &e.TenantID, &e.WorkspaceID, &e.URL, &events, &e.Enabled, &e.Sealed, &e.PreviousSealed,
		&e.PreviousExpiresAt, &e.CreatedAt, &e.CreatedBy, &e.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(events, &e.Events); err != nil {
		return nil, err
	}
	e.CreatedAt, e.UpdatedAt, e.PreviousExpiresAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC(), utc(e.PreviousExpiresAt)
	return &e, nil
}

// CreateWebhookEndpoint inserts e. NotFound when its workspace does not exist in its tenant.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *switchboard.WebhookEndpoint, ev *switchboard.AuditEvent) error {
	events, err := marshal(e.Events)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM workspaces WHERE id = $1 AND tenant_id = $2)`,
			e.WorkspaceID, e.TenantID)
		if err != nil {
			return err
		}
		if !ok {
			return switchboard.NotFound("workspace")
		}
		_, err = tx.Exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			e.ID, e.TenantID, e.WorkspaceID, e.URL, events, e.Enabled, e.Sealed, e.PreviousSealed, e.PreviousExpiresAt,
			e.CreatedAt, e.CreatedBy, e.UpdatedAt)
		return err
	})
}

// GetWebhookEndpoint returns one endpoint of a workspace. NotFound.
func (s *Store) GetWebhookEndpoint(ctx context.Context, workspaceID, id string) (*switchboard.WebhookEndpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, translate(err, "webhook_endpoint")
	}
	return e, nil
}

// ListWebhookEndpoints lists a workspace's endpoints.
func (s *Store) ListWebhookEndpoints(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.WebhookEndpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanEndpoint)
}

// UpdateWebhookEndpoint stores e's mutable fields. NotFound.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, e *switchboard.WebhookEndpoint, ev *switchboard.AuditEvent) error {
	events, err := marshal(e.Events)
	if err != nil {
		return err
	}
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET url = $3, events = $4, enabled = $5, sealed = $6,
			previous_sealed = $7, previous_expires_at = $8, updated_at = $9 WHERE workspace_id = $1 AND id = $2`,
			e.WorkspaceID, e.ID, e.URL, events, e.Enabled, e.Sealed, e.PreviousSealed, e.PreviousExpiresAt, e.UpdatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("webhook_endpoint")
		}
		return nil
	})
}

// DeleteWebhookEndpoint removes an endpoint; its deliveries go with it (ON DELETE CASCADE).
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, workspaceID, id string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("webhook_endpoint")
		}
		return nil
	})
}

// EnqueueWebhookDelivery inserts one pending delivery to an endpoint of its workspace.
func (s *Store) EnqueueWebhookDelivery(ctx context.Context, d *switchboard.WebhookDelivery) error {
	return s.inTx(ctx, nil, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2)`,
			d.WorkspaceID, d.EndpointID)
		if err != nil {
			return err
		}
		if !ok {
			return switchboard.NotFound("webhook_endpoint")
		}
		return insertDelivery(ctx, tx, d)
	})
}

const deliveryColumns = `id, tenant_id, workspace_id, endpoint_id, event_type, payload, status, attempts, next_attempt_at,
	lease_token, last_status, last_error, attempt_log, created_at, delivered_at`

func scanDelivery(row pgx.Row) (*switchboard.WebhookDelivery, error) {
	var (
		d   switchboard.WebhookDelivery
		log []byte
	)
	err := row.Scan(&d.ID, &d.TenantID, &d.WorkspaceID, &d.EndpointID, &d.EventType, &d.Payload, &d.Status, &d.Attempts,
		&d.NextAttemptAt, &d.LeaseToken, &d.LastStatus, &d.LastError, &log, &d.CreatedAt, &d.DeliveredAt)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(log, &d.AttemptLog); err != nil {
		return nil, err
	}
	if len(d.AttemptLog) == 0 {
		d.AttemptLog = nil
	}
	for i := range d.AttemptLog {
		d.AttemptLog[i].At = d.AttemptLog[i].At.UTC()
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), utc(d.DeliveredAt)
	return &d, nil
}

// ListWebhookDeliveries lists the deliveries of one endpoint of a workspace.
func (s *Store) ListWebhookDeliveries(ctx context.Context, workspaceID, endpointID string, p switchboard.Page) ([]*switchboard.WebhookDelivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE workspace_id = $1 AND endpoint_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		workspaceID, endpointID, p.After, limit(p.Limit))
	if err != nil {
		return nil, translate(err, "")
	}
	return collect(rows, scanDelivery)
}

// ClaimWebhookDeliveries claims due deliveries: FOR UPDATE SKIP LOCKED lets concurrent claims
// (other replicas) pass over the rows this one takes instead of waiting for or repeating them.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]*switchboard.WebhookDelivery, error) {
	token := switchboard.NewID("lease")
	rows, err := s.pool.Query(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1, lease_token = $2
		WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND e.enabled
			ORDER BY d.id LIMIT $4 FOR UPDATE OF d SKIP LOCKED)
		RETURNING `+deliveryColumns, now.Add(lease), token, now, n)
	if err != nil {
		return nil, translate(err, "")
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *switchboard.WebhookDelivery) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishWebhookDelivery records an attempt of a delivery claimed with d.LeaseToken.
func (s *Store) FinishWebhookDelivery(ctx context.Context, d *switchboard.WebhookDelivery, a switchboard.WebhookAttempt) error {
	attempt, err := marshal(a)
	if err != nil {
		return err
	}
	return s.inTx(ctx, nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $4, attempts = attempts + 1,
			next_attempt_at = $5, lease_token = '', last_status = $6, last_error = $7, delivered_at = $8,
			attempt_log = attempt_log || jsonb_build_array($9::jsonb)
			WHERE workspace_id = $1 AND id = $2 AND lease_token = $3 AND lease_token <> ''`,
			d.WorkspaceID, d.ID, d.LeaseToken, d.Status, d.NextAttemptAt, d.LastStatus, d.LastError, d.DeliveredAt, attempt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		ok, err := exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE workspace_id = $1 AND id = $2)`,
			d.WorkspaceID, d.ID)
		if err != nil {
			return err
		}
		if !ok {
			return switchboard.NotFound("webhook_delivery")
		}
		return switchboard.Conflict("webhook_delivery.lease_lost")
	})
}

// RememberWebhookID records a partner's webhook id for a connection until expiresAt, in one
// INSERT ... ON CONFLICT: concurrent calls with one id serialize on the key, so exactly one
// is fresh. An expired record is taken over; the connection's other expired ones are pruned.
func (s *Store) RememberWebhookID(ctx context.Context, workspaceID, connectionID, webhookID string, expiresAt time.Time) (bool, error) {
	now := time.Now()
	var fresh bool
	err := s.pool.QueryRow(ctx, `INSERT INTO inbound_webhook_ids (workspace_id, connection_id, webhook_id, expires_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, connection_id, webhook_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
			WHERE inbound_webhook_ids.expires_at <= $5
		RETURNING true`, workspaceID, connectionID, webhookID, expiresAt, now).Scan(&fresh)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err, "connection")
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM inbound_webhook_ids
		WHERE workspace_id = $1 AND connection_id = $2 AND expires_at <= $3`, workspaceID, connectionID, now); err != nil {
		return false, translate(err, "")
	}
	return true, nil
}
