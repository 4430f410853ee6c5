package switchboard

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"sync"
	"time"
)

// Service applies Switchboard's rules: it authorizes the principal in the context against the
// workspace, validates input, seals secrets before they reach the Store, runs the lifecycle and
// writes audit events. The native API and every compatibility API go through it.
type Service struct {
	store  Store
	sealer Sealer

	builtins     map[string]*builtinConnector // by key
	builtinOrder []string                     // keys, sorted

	mu      sync.RWMutex
	schemas map[string]*configSchema // workspace connector schemas by "ws/connector/version"

	now func() time.Time

	health HealthChecker // nil: no checks (see SetHealthChecker)
	oauth  *oauthState   // nil: no OAuth2 flows (see SetOAuth)
	reads  *readAudit    // nil: credential reads write their audit event before answering

	keyring KeyringInfo // nil: KeyringStatus is unavailable (see SetKeyring)
}

type builtinConnector struct {
	def     ConnectorDefinition
	schemas map[string]*configSchema // by version
}

// NewService returns a Service over store and sealer with the given built-in connectors. It
// fails when a built-in schema does not compile.
func NewService(store Store, sealer Sealer, builtins []ConnectorDefinition) (*Service, error) {
	s := &Service{
		store:    store,
		sealer:   sealer,
		builtins: make(map[string]*builtinConnector, len(builtins)),
		schemas:  make(map[string]*configSchema),
		now:      Now,
	}
	for _, d := range builtins {
		b := &builtinConnector{def: d, schemas: make(map[string]*configSchema)}
		for _, v := range d.Versions {
			cs, err := compileSchema("schema", v.Schema)
			if err != nil {
				return nil, fmt.Errorf("built-in connector %s %s: %w", d.Connector.Key, v.Version, err)
			}
			cs.version = &v
			b.schemas[v.Version] = cs
		}
		s.builtins[d.Connector.Key] = b
		s.builtinOrder = append(s.builtinOrder, d.Connector.Key)
	}
	sort.Strings(s.builtinOrder)
	return s, nil
}

// Store returns the store the service uses (for health checks and admin commands).
func (s *Service) Store() Store { return s.store }

// access authorizes the context's principal in workspace wsID with at least role min. A
// workspace the principal cannot see is not found, so ids of other workspaces don't leak.
func (s *Service) access(ctx context.Context, wsID string, min Role) (*Principal, *Workspace, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, nil, Errorf(CodeUnauthenticated, "unauthenticated")
	}
	ws, err := s.store.GetWorkspace(ctx, wsID)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, nil, NotFound("workspace")
		}
		return nil, nil, err
	}
	if !p.CanAct(ws) {
		return nil, nil, NotFound("workspace")
	}
	if !p.Role.AtLeast(min) {
		return nil, nil, Errorf(CodeForbidden, "forbidden.role", "Role", string(min))
	}
	return p, ws, nil
}

// event builds an audit event for an action of p in ws.
func (s *Service) event(ctx context.Context, p *Principal, ws *Workspace, action, objType, objID string, details map[string]any) *AuditEvent {
	info := RequestInfoFrom(ctx)
	if info.WorkspaceHeader != "" {
		details = maps.Clone(details)
		if details == nil {
			details = map[string]any{}
		}
		details["workspace_header"] = info.WorkspaceHeader
	}
	ev := &AuditEvent{
		ID:         NewID(PrefixAudit),
		Action:     action,
		ObjectType: objType,
		ObjectID:   objID,
		RequestID:  info.RequestID,
		IP:         info.IP,
		ClientHash: info.ClientHash,
		Details:    details,
		CreatedAt:  s.now(),
	}
	if p != nil {
		ev.Actor = p.Subject
		ev.TenantID = p.TenantID
	}
	if ws != nil {
		ev.WorkspaceID = ws.ID
		ev.TenantID = ws.TenantID
	}
	return ev
}

// clampPage applies the default and maximum page size.
func clampPage(p Page) Page {
	switch {
	case p.Limit <= 0:
		p.Limit = 50
	case p.Limit > 1000:
		p.Limit = 1000
	}
	return p
}

// pageOf asks the store for one more item than the page holds, to know whether there is a
// next page; it returns the page and the id to continue after ("" at the end).
func pageOf[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, id(items[limit-1])
}
