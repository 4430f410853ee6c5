package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// enqueueWebhooks writes, inside tx, one pending delivery of ev for each event type it
// announces and each enabled endpoint of its workspace subscribed to that type.
func (s *Store) enqueueWebhooks(ctx context.Context, tx *sql.Tx, ev *sb.AuditEvent) error {
	if ev.WorkspaceID == "" {
		return nil
	}
	for _, typ := range sb.WebhookEvents(ev) {
		if err := s.enqueueWebhook(ctx, tx, ev, typ); err != nil {
			return err
		}
	}
	return nil
}

// scanIDs reads a one-column result of ids and closes rows.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// enqueueWebhook writes the deliveries of ev as an event of type typ.
func (s *Store) enqueueWebhook(ctx context.Context, tx *sql.Tx, ev *sb.AuditEvent, typ string) error {
	ids, err := s.watch.subs.endpoints(ctx, tx, ev.WorkspaceID, typ)
	if err != nil || len(ids) == 0 {
		return err
	}
	payload, err := sb.WebhookPayload(typ, ev)
	if err != nil {
		return sb.Internal(err)
	}
	for _, id := range ids {
		d := &sb.WebhookDelivery{ID: sb.NewID(sb.PrefixWebhookDelivery), TenantID: ev.TenantID, WorkspaceID: ev.WorkspaceID,
			EndpointID: id, EventType: typ, Payload: payload, Status: sb.DeliveryPending, NextAttemptAt: ev.CreatedAt, CreatedAt: ev.CreatedAt}
		if err := insertDelivery(ctx, tx, d); err != nil {
			return err
		}
	}
	return nil
}

func insertDelivery(ctx context.Context, tx *sql.Tx, d *sb.WebhookDelivery) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, workspace_id, endpoint_id, event_type,
		payload, status, attempts, next_attempt_at, lease_token, last_status, last_error, attempt_log, created_at, delivered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '', 0, '', '[]', ?, NULL)`,
		d.ID, d.TenantID, d.WorkspaceID, d.EndpointID, d.EventType, d.Payload, d.Status, micros(d.NextAttemptAt), micros(d.CreatedAt))
	return err
}

const endpointColumns = `id, tenant_id, workspace_id, url, events, enabled, sealed, previous_sealed, previous_expires_at,
	created_at, created_by, updated_at`

func scanEndpoint(r rowScanner) (*sb.WebhookEndpoint, error) {
	var e sb.WebhookEndpoint
	var created, updated int64
	var prevExp sql.NullInt64
	err := r.Scan(&e.ID, &e.TenantID, &e.WorkspaceID, &e.URL, jsonCol{&e.Events}, &e.Enabled, &e.Sealed, &e.PreviousSealed,
		&prevExp, &created, &e.CreatedBy, &updated)
	if err != nil {
		return nil, err
	}
	e.CreatedAt, e.UpdatedAt, e.PreviousExpiresAt = fromMicros(created), fromMicros(updated), fromNullMicros(prevExp)
	return &e, nil
}

// CreateWebhookEndpoint inserts e, after checking its workspace exists in its tenant.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *sb.WebhookEndpoint, ev *sb.AuditEvent) error {
	events, err := toJSON(e.Events)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ? AND tenant_id = ?`,
			e.WorkspaceID, e.TenantID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.TenantID, e.WorkspaceID, e.URL, events, e.Enabled, e.Sealed, e.PreviousSealed,
			nullMicros(e.PreviousExpiresAt), micros(e.CreatedAt), e.CreatedBy, micros(e.UpdatedAt))
		return err
	})
}

// GetWebhookEndpoint returns one endpoint of a workspace.
func (s *Store) GetWebhookEndpoint(ctx context.Context, workspaceID, id string) (*sb.WebhookEndpoint, error) {
	e, err := scanEndpoint(s.read.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	if err != nil {
		return nil, s.notFound(err, "webhook_endpoint")
	}
	return e, nil
}

// ListWebhookEndpoints lists a workspace's endpoints.
func (s *Store) ListWebhookEndpoints(ctx context.Context, workspaceID string, p sb.Page) ([]*sb.WebhookEndpoint, error) {
	return list(ctx, s, scanEndpoint, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, p.After, limit(p))
}

// UpdateWebhookEndpoint stores e's mutable fields.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, e *sb.WebhookEndpoint, ev *sb.AuditEvent) error {
	events, err := toJSON(e.Events)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = ?, events = ?, enabled = ?, sealed = ?,
			previous_sealed = ?, previous_expires_at = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
			e.URL, events, e.Enabled, e.Sealed, e.PreviousSealed, nullMicros(e.PreviousExpiresAt), micros(e.UpdatedAt),
			e.WorkspaceID, e.ID)
		if err != nil {
			return err
		}
		return affected(res, "webhook_endpoint")
	})
}

// DeleteWebhookEndpoint removes an endpoint; its deliveries go with it (ON DELETE CASCADE).
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, workspaceID, id string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return err
		}
		return affected(res, "webhook_endpoint")
	})
}

// EnqueueWebhookDelivery inserts one pending delivery to an endpoint of its workspace.
func (s *Store) EnqueueWebhookDelivery(ctx context.Context, d *sb.WebhookDelivery) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "webhook_endpoint", `SELECT 1 FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`,
			d.WorkspaceID, d.EndpointID); err != nil {
			return err
		}
		return insertDelivery(ctx, tx, d)
	})
}

const deliveryColumns = `id, tenant_id, workspace_id, endpoint_id, event_type, payload, status, attempts, next_attempt_at,
	lease_token, last_status, last_error, attempt_log, created_at, delivered_at`

func scanDelivery(r rowScanner) (*sb.WebhookDelivery, error) {
	var d sb.WebhookDelivery
	var next, created int64
	var delivered sql.NullInt64
	err := r.Scan(&d.ID, &d.TenantID, &d.WorkspaceID, &d.EndpointID, &d.EventType, &d.Payload, &d.Status, &d.Attempts,
		&next, &d.LeaseToken, &d.LastStatus, &d.LastError, jsonCol{&d.AttemptLog}, &created, &delivered)
	if err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = fromMicros(next), fromMicros(created), fromNullMicros(delivered)
	if len(d.AttemptLog) == 0 {
		d.AttemptLog = nil
	}
	return &d, nil
}

// ListWebhookDeliveries lists the deliveries of one endpoint of a workspace.
func (s *Store) ListWebhookDeliveries(ctx context.Context, workspaceID, endpointID string, p sb.Page) ([]*sb.WebhookDelivery, error) {
	return list(ctx, s, scanDelivery, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE workspace_id = ? AND endpoint_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, endpointID, p.After, limit(p))
}

// ClaimWebhookDeliveries claims due deliveries in one UPDATE ... RETURNING: SQLite has one
// writer at a time, so two claims cannot interleave.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]*sb.WebhookDelivery, error) {
	var out []*sb.WebhookDelivery
	token := sb.NewID("lease")
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?, lease_token = ?
			WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
				WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND e.enabled = 1 ORDER BY d.id LIMIT ?)
			RETURNING `+deliveryColumns, micros(now.Add(lease)), token, micros(now), n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *sb.WebhookDelivery) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishWebhookDelivery records an attempt of a delivery claimed with d.LeaseToken.
func (s *Store) FinishWebhookDelivery(ctx context.Context, d *sb.WebhookDelivery, a sb.WebhookAttempt) error {
	attempt, err := toJSON(a)
	if err != nil {
		return sb.Internal(err)
	}
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,
			next_attempt_at = ?, lease_token = '', last_status = ?, last_error = ?, delivered_at = ?,
			attempt_log = json_insert(attempt_log, '$[#]', json(?))
			WHERE workspace_id = ? AND id = ? AND lease_token = ? AND lease_token <> ''`,
			d.Status, micros(d.NextAttemptAt), d.LastStatus, d.LastError, nullMicros(d.DeliveredAt), attempt,
			d.WorkspaceID, d.ID, d.LeaseToken)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		if err := exists(ctx, tx, "webhook_delivery", `SELECT 1 FROM webhook_deliveries WHERE workspace_id = ? AND id = ?`,
			d.WorkspaceID, d.ID); err != nil {
			return err
		}
		return sb.Conflict("webhook_delivery.lease_lost")
	})
}

// RememberWebhookID records a partner's webhook id for a connection until expiresAt. SQLite
// has one writer at a time, so of concurrent calls with one id exactly one is fresh. An
// expired record is taken over; the connection's other expired ones are pruned.
func (s *Store) RememberWebhookID(ctx context.Context, workspaceID, connectionID, webhookID string, expiresAt time.Time) (bool, error) {
	now := micros(time.Now())
	fresh := false
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`,
			workspaceID, connectionID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, `INSERT INTO inbound_webhook_ids (workspace_id, connection_id, webhook_id, expires_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (workspace_id, connection_id, webhook_id) DO UPDATE SET expires_at = excluded.expires_at
				WHERE inbound_webhook_ids.expires_at <= ?
			RETURNING 1`, workspaceID, connectionID, webhookID, micros(expiresAt), now).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		fresh = true
		_, err = tx.ExecContext(ctx, `DELETE FROM inbound_webhook_ids
			WHERE workspace_id = ? AND connection_id = ? AND expires_at <= ?`, workspaceID, connectionID, now)
		return err
	})
	return fresh, err
}
