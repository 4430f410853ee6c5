package switchboard

import (
	"context"
	"slices"
	"time"
)

// Role is what a principal may do inside the workspaces it can act in.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

// ScopeCredentialsRead is the extra scope that allows reading secrets in clear.
const ScopeCredentialsRead = "credentials:read"

// AllWorkspaces in Principal.Workspaces means every workspace of the principal's tenant.
const AllWorkspaces = "*"

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleEditor:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is as powerful as min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.Valid() }

// Principal is an authenticated caller: a user from a JWT or an API key.
type Principal struct {
	Subject    string   // "key_..." for an API key, the JWT sub otherwise
	TenantID   string   // the tenant the principal belongs to
	Workspaces []string // workspace ids it may act in; ["*"] = all of its tenant's
	Role       Role
	Scopes     []string
	APIKeyID   string // set when authenticated by API key
	// AccessKeyID is set when authenticated by an access key's signature (SDK-HMAC-SHA256).
	AccessKeyID string
}

// HasScope reports whether the principal holds scope.
func (p *Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// CanAct reports whether the principal may act in workspace ws.
func (p *Principal) CanAct(ws *Workspace) bool {
	if p == nil || ws == nil || ws.TenantID != p.TenantID {
		return false
	}
	return slices.Contains(p.Workspaces, AllWorkspaces) || slices.Contains(p.Workspaces, ws.ID)
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// RequestInfo describes where a request came from, for audit events.
type RequestInfo struct {
	RequestID  string
	IP         string
	ClientHash string // X-Client-Hash, when sent
	UserAgent  string
	// WorkspaceHeader is the X-Workspace-Id a client sent (Slash clients do), already checked
	// against the workspace of the request; audit events record it in Details.
	WorkspaceHeader string
}

type requestInfoKey struct{}

// WithRequestInfo returns a context carrying info.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the request info of ctx (zero when absent).
func RequestInfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// APIKey is a stored API key. The key itself is shown once at creation; only its SHA-256
// hash is stored.
type APIKey struct {
	ID          string
	TenantID    string
	WorkspaceID string
	Name        string
	Role        Role
	Scopes      []string
	Hash        []byte // SHA-256 of the whole key
	Prefix      string // first characters of the key, to recognise it in a list
	CreatedAt   time.Time
	CreatedBy   string
	RevokedAt   *time.Time
}

// Principal returns the principal an API key authenticates as.
func (k *APIKey) Principal() *Principal {
	return &Principal{
		Subject:    k.ID,
		TenantID:   k.TenantID,
		Workspaces: []string{k.WorkspaceID},
		Role:       k.Role,
		Scopes:     slices.Clone(k.Scopes),
		APIKeyID:   k.ID,
	}
}
