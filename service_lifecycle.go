package switchboard

import (
	"context"
	"slices"
)

// Transition is a lifecycle action a client asks for.
type Transition string

// Transitions. Activate makes a connection ACTIVE (enabled, not paused); Suspend makes it
// SUSPENDED until activated again; Close makes it CLOSED, for good: a closed connection can
// only be read or deleted.
const (
	TransitionActivate Transition = "activate"
	TransitionSuspend  Transition = "suspend"
	TransitionClose    Transition = "close"
)

// TransitionConnection applies a lifecycle action (editor role). Any action on a CLOSED
// connection is a conflict "connection.closed".
func (s *Service) TransitionConnection(ctx context.Context, wsID, id string, t Transition) (*Connection, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	var to Status
	switch t {
	case TransitionActivate:
		to = StatusActive
	case TransitionSuspend:
		to = StatusSuspended
	case TransitionClose:
		to = StatusClosed
	default:
		return nil, Invalid("action", "enum")
	}
	for attempt := 0; ; attempt++ {
		c, err := s.store.GetConnection(ctx, ws.ID, id)
		if err != nil {
			return nil, err
		}
		if c.Status == StatusClosed {
			return nil, Conflict("connection.closed")
		}
		from := c.Status
		c.Status = to
		if t == TransitionActivate {
			c.Enabled, c.Paused = true, false
		}
		c.UpdatedAt, c.UpdatedBy = s.now(), p.Subject
		ev := s.event(ctx, p, ws, "connection.status", "connection", c.ID, map[string]any{
			"status_from": string(from), "status_to": string(to), "action": string(t),
		})
		err = s.store.UpdateConnection(ctx, c, ev)
		if ErrorCode(err) == CodePreconditionFailed && attempt < maxUpdateAttempts && ctx.Err() == nil {
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

// checkGrants makes sure a connection's permissions and categories are among those its
// connector declares (a connector that declares none allows none to be asked for... except
// that an empty declaration leaves categories free, as most connectors declare none).
func checkGrants(c *Connection, connector *Connector, version *ConnectorVersion) error {
	for i, perm := range c.Permissions {
		if version == nil || !slices.Contains(version.Permissions, perm) {
			return Invalid(indexField("permissions", i), "enum")
		}
	}
	for i, cat := range c.Categories {
		if len(connector.Categories) > 0 && !slices.Contains(connector.Categories, cat) {
			return Invalid(indexField("categories", i), "enum")
		}
	}
	return nil
}
