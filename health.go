package switchboard

import (
	"context"
	"strings"
	"time"
)

// HealthResult is the outcome of one health check of a connection.
type HealthResult struct {
	Healthy bool
	// NotConfigured is set when the connector version declares no check, or its templates
	// name a field the connection has no value for: nothing was sent and nothing is recorded.
	NotConfigured bool
	Error         string // why the check failed; never holds a secret
	CheckedAt     time.Time
}

// HealthChecker runs a connector version's health check against a connection (whose Secrets
// are in clear). The service is given one; the core never sends requests itself.
type HealthChecker interface {
	Check(ctx context.Context, v *ConnectorVersion, c *Connection) HealthResult
}

// HealthActor is the audit actor of checks the scheduler runs.
const HealthActor = "system:health"

// maxHealthErrorLen bounds a stored last_error.
const maxHealthErrorLen = 500

// SetHealthChecker gives the service its health checker; without one, TestConnection is a
// conflict "health.not_configured". Call it before serving.
func (s *Service) SetHealthChecker(h HealthChecker) { s.health = h }

// TestConnection runs the connection's health check now (editor role), records the result and
// returns the connection as stored with it. A connection whose connector declares no check
// (or whose check names a field the connection lacks) is a conflict "health.not_configured";
// a CLOSED one is a conflict "connection.closed".
func (s *Service) TestConnection(ctx context.Context, wsID, id string) (*Connection, HealthResult, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, HealthResult{}, err
	}
	c, err := s.store.GetConnection(ctx, ws.ID, id)
	if err != nil {
		return nil, HealthResult{}, err
	}
	if c.Status == StatusClosed {
		return nil, HealthResult{}, Conflict("connection.closed")
	}
	res, err := s.runCheck(ctx, c)
	if err != nil {
		return nil, HealthResult{}, err
	}
	if res.NotConfigured {
		return nil, res, Conflict("health.not_configured")
	}
	c, err = s.recordHealth(ctx, p, ws, c, res)
	if err != nil {
		return nil, res, err
	}
	return c, res, nil
}

// CheckDueConnections claims up to limit connections whose periodic check is due (through the
// store, so that several replicas never check the same one), runs their checks and records
// the results. It returns how many it claimed (connections with no check configured are
// claimed and skipped, so a caller that gets a full batch knows more may be due).
func (s *Service) CheckDueConnections(ctx context.Context, interval, lease time.Duration, limit int) (int, error) {
	due, err := s.store.ClaimHealthChecks(ctx, s.now(), interval, lease, limit)
	if err != nil {
		return 0, err
	}
	for _, c := range due {
		if ctx.Err() != nil {
			return len(due), ctx.Err()
		}
		res, err := s.runCheck(ctx, c)
		if err != nil || res.NotConfigured {
			continue
		}
		ws, err := s.store.GetWorkspace(ctx, c.WorkspaceID)
		if err != nil {
			continue
		}
		_, _ = s.recordHealth(ctx, nil, ws, c, res) // a failed record is retried at the next interval
	}
	return len(due), nil
}

// runCheck resolves the connection's connector version and runs its check with the secrets in
// clear.
func (s *Service) runCheck(ctx context.Context, c *Connection) (HealthResult, error) {
	if s.health == nil {
		return HealthResult{NotConfigured: true}, nil
	}
	_, _, cs, err := s.schemaFor(ctx, c.WorkspaceID, c.ConnectorID, c.ConnectorVersion)
	if err != nil {
		if ErrorCode(err) == CodeInvalid {
			return HealthResult{NotConfigured: true}, nil
		}
		return HealthResult{}, err
	}
	if cs.version == nil || len(cs.version.HealthCheck) == 0 {
		return HealthResult{NotConfigured: true}, nil
	}
	if err := s.open(ctx, c); err != nil {
		return HealthResult{}, err
	}
	if c.Unreadable {
		return HealthResult{Error: "the connection's secrets cannot be read", CheckedAt: s.now()}, nil
	}
	res := s.health.Check(ctx, cs.version, c)
	if res.CheckedAt.IsZero() {
		res.CheckedAt = s.now()
	}
	if len(res.Error) > maxHealthErrorLen {
		res.Error = strings.ToValidUTF8(res.Error[:maxHealthErrorLen], "")
	}
	return res, nil
}

// healthStatus is the status a check result moves a connection to: PENDING or FAILED become
// ACTIVE on success, PENDING or ACTIVE become FAILED on failure; any other status (set by a
// person: DISABLED, PAUSED, SUSPENDED, CLOSED) is not the checks' to change.
func healthStatus(from Status, healthy bool) Status {
	switch {
	case healthy && (from == StatusPending || from == StatusFailed):
		return StatusActive
	case !healthy && (from == StatusPending || from == StatusActive):
		return StatusFailed
	}
	return from
}

// recordHealth stores a check result on c (re-reading it when it changed meanwhile) with an
// audit event: "connection.status" when the status moves, "connection.health" otherwise.
// p is nil for the scheduler.
func (s *Service) recordHealth(ctx context.Context, p *Principal, ws *Workspace, c *Connection, res HealthResult) (*Connection, error) {
	for attempt := 0; ; attempt++ {
		at := res.CheckedAt.UTC()
		if res.Healthy {
			c.Health.LastHealthyAt, c.Health.LastError = &at, ""
		} else {
			c.Health.LastUnhealthyAt, c.Health.LastError = &at, res.Error
		}
		from := c.Status
		c.Status = healthStatus(from, res.Healthy)
		details := map[string]any{"healthy": res.Healthy}
		if !res.Healthy {
			details["error"] = res.Error
		}
		action := "connection.health"
		if c.Status != from {
			action = "connection.status"
			details["status_from"], details["status_to"] = string(from), string(c.Status)
		}
		ev := s.event(ctx, p, ws, action, "connection", c.ID, details)
		if p == nil {
			ev.Actor = HealthActor
		}
		err := s.store.UpdateConnection(ctx, c, ev)
		if ErrorCode(err) == CodePreconditionFailed && attempt < maxUpdateAttempts && ctx.Err() == nil {
			if c, err = s.store.GetConnection(ctx, ws.ID, c.ID); err != nil {
				return nil, err
			}
			if c.Status == StatusClosed {
				return nil, Conflict("connection.closed")
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := s.open(ctx, c); err != nil {
			return nil, err
		}
		return c, nil
	}
}
