package switchboard

import (
	"context"
	"slices"
	"strings"
)

// Bootstrap creates, on an empty store, the tenant and workspace "default" and an owner API key
// for all of the tenant's workspaces with the credentials:read scope. It returns the key in
// clear (shown once) and true; on a store that holds data it does nothing and returns "", false.
func (s *Service) Bootstrap(ctx context.Context) (key string, created bool, err error) {
	has, err := s.store.HasData(ctx)
	if err != nil || has {
		return "", false, err
	}
	now := s.now()
	if err := s.store.CreateTenant(ctx, &Tenant{ID: DefaultID, Name: "Default", CreatedAt: now}); err != nil {
		if ErrorCode(err) == CodeConflict {
			// Another process bootstrapped first.
			return "", false, nil
		}
		return "", false, err
	}
	ws := &Workspace{ID: DefaultID, TenantID: DefaultID, Name: "Default", CreatedAt: now}
	sys := SystemPrincipal(DefaultID)
	if err := s.store.CreateWorkspace(ctx, ws, s.event(ctx, sys, ws, "workspace.create", "workspace", ws.ID, nil)); err != nil {
		return "", false, err
	}
	_, key, err = s.createAPIKey(ctx, sys, ws.TenantID, APIKeyInput{
		WorkspaceID: AllWorkspaces, Role: RoleOwner, Scopes: []string{ScopeCredentialsRead}, Name: "bootstrap owner",
	}, ws)
	if err != nil {
		return "", false, err
	}
	return key, true, nil
}

// SystemPrincipal is the principal of local admin commands (the CLI talking to the database
// directly): owner of every workspace of the tenant, with every scope.
func SystemPrincipal(tenantID string) *Principal {
	return &Principal{
		Subject:    "system",
		TenantID:   tenantID,
		Workspaces: []string{AllWorkspaces},
		Role:       RoleOwner,
		Scopes:     []string{ScopeCredentialsRead},
	}
}

// WorkspaceInput is what a client gives to create a workspace.
type WorkspaceInput struct {
	ID   string // optional; generated when empty
	Name string
}

// CreateWorkspace creates a workspace in the principal's tenant. It needs the admin role over
// all of the tenant's workspaces.
func (s *Service) CreateWorkspace(ctx context.Context, in WorkspaceInput) (*Workspace, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, Errorf(CodeUnauthenticated, "unauthenticated")
	}
	if !p.Role.AtLeast(RoleAdmin) || !slices.Contains(p.Workspaces, AllWorkspaces) {
		return nil, Errorf(CodeForbidden, "forbidden.role", "Role", string(RoleAdmin))
	}
	in.ID = strings.TrimSpace(in.ID)
	if in.ID == "" {
		in.ID = NewID("ws")
	} else if !ValidWorkspaceID(in.ID) {
		return nil, Invalid("id", "pattern")
	}
	in.Name = strings.TrimSpace(in.Name)
	if len(in.Name) > 200 {
		return nil, Invalid("name", "max_length")
	}
	if in.Name == "" {
		in.Name = in.ID
	}
	ws := &Workspace{ID: in.ID, TenantID: p.TenantID, Name: in.Name, CreatedAt: s.now()}
	ev := s.event(ctx, p, ws, "workspace.create", "workspace", ws.ID, map[string]any{"name": ws.Name})
	if err := s.store.CreateWorkspace(ctx, ws, ev); err != nil {
		if ErrorCode(err) == CodeConflict {
			return nil, Conflict("workspace.exists", "ID", ws.ID)
		}
		return nil, err
	}
	return ws, nil
}

// GetWorkspace returns a workspace the principal can act in.
func (s *Service) GetWorkspace(ctx context.Context, id string) (*Workspace, error) {
	_, ws, err := s.access(ctx, id, RoleViewer)
	return ws, err
}

// ListWorkspaces lists the workspaces the principal can act in.
func (s *Service) ListWorkspaces(ctx context.Context, page Page) ([]*Workspace, string, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, "", Errorf(CodeUnauthenticated, "unauthenticated")
	}
	page = clampPage(page)
	var out []*Workspace
	// Principals bound to some workspaces see only those; filter while paging.
	after := page.After
	for len(out) <= page.Limit {
		batch, err := s.store.ListWorkspaces(ctx, p.TenantID, Page{Limit: page.Limit + 1, After: after})
		if err != nil {
			return nil, "", err
		}
		for _, ws := range batch {
			if p.CanAct(ws) {
				out = append(out, ws)
			}
		}
		if len(batch) <= page.Limit {
			break
		}
		after = batch[len(batch)-1].ID
	}
	items, next := pageOf(out, page.Limit, func(w *Workspace) string { return w.ID })
	return items, next, nil
}

// APIKeyInput is what a client gives to create an API key.
type APIKeyInput struct {
	WorkspaceID string // a workspace id, or "*" for all of the tenant's
	Role        Role
	Scopes      []string
	Name        string
}

// CreateAPIKey creates an API key and returns it with the key in clear, shown this once. The
// caller needs the admin role where the key will act and cannot grant a role or scope it does
// not hold.
func (s *Service) CreateAPIKey(ctx context.Context, in APIKeyInput) (*APIKey, string, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, "", Errorf(CodeUnauthenticated, "unauthenticated")
	}
	var ws *Workspace
	if in.WorkspaceID == AllWorkspaces {
		if !slices.Contains(p.Workspaces, AllWorkspaces) {
			return nil, "", Errorf(CodeForbidden, "role.too_high")
		}
	} else {
		var err error
		if _, ws, err = s.access(ctx, in.WorkspaceID, RoleAdmin); err != nil {
			return nil, "", err
		}
	}
	if !p.Role.AtLeast(RoleAdmin) {
		return nil, "", Errorf(CodeForbidden, "forbidden.role", "Role", string(RoleAdmin))
	}
	return s.createAPIKey(ctx, p, p.TenantID, in, ws)
}

func (s *Service) createAPIKey(ctx context.Context, p *Principal, tenantID string, in APIKeyInput, ws *Workspace) (*APIKey, string, error) {
	if err := checkGrant(p, &in); err != nil {
		return nil, "", err
	}
	key, hash := GenerateAPIKey()
	k := &APIKey{
		ID:          NewID(PrefixAPIKey),
		TenantID:    tenantID,
		WorkspaceID: in.WorkspaceID,
		Name:        in.Name,
		Role:        in.Role,
		Scopes:      slices.Compact(slices.Sorted(slices.Values(in.Scopes))),
		Hash:        hash,
		Prefix:      key[:len(APIKeyPrefix)+6],
		CreatedAt:   s.now(),
		CreatedBy:   p.Subject,
	}
	ev := s.event(ctx, p, ws, "api_key.create", "api_key", k.ID, map[string]any{"role": string(k.Role), "scopes": k.Scopes, "workspace": k.WorkspaceID})
	ev.TenantID = tenantID
	if err := s.store.CreateAPIKey(ctx, k, ev); err != nil {
		return nil, "", err
	}
	return k, key, nil
}

// checkGrant validates the role, scopes and name of a new key (trimming the name) and checks
// that p holds what the key would be granted.
func checkGrant(p *Principal, in *APIKeyInput) error {
	if !in.Role.Valid() {
		return Invalid("role", "enum")
	}
	if !p.Role.AtLeast(in.Role) {
		return Errorf(CodeForbidden, "role.too_high")
	}
	for _, sc := range in.Scopes {
		if sc != ScopeCredentialsRead {
			return Invalid("scopes", "enum")
		}
		if !p.HasScope(sc) {
			return Errorf(CodeForbidden, "role.too_high")
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if len(in.Name) > 200 {
		return Invalid("name", "max_length")
	}
	return nil
}

// ListAPIKeys lists the API keys bound to a workspace (admin role).
func (s *Service) ListAPIKeys(ctx context.Context, wsID string, page Page) ([]*APIKey, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	page = clampPage(page)
	keys, err := s.store.ListAPIKeys(ctx, ws.TenantID, ws.ID, Page{Limit: page.Limit + 1, After: page.After})
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(keys, page.Limit, func(k *APIKey) string { return k.ID })
	return items, next, nil
}

// RevokeAPIKey revokes an API key bound to a workspace (admin role).
func (s *Service) RevokeAPIKey(ctx context.Context, wsID, id string) error {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return err
	}
	// Keys are few per workspace: find this one among the workspace's, so a key of another
	// workspace of the tenant is not found.
	found := false
	for after := ""; !found; {
		keys, err := s.store.ListAPIKeys(ctx, ws.TenantID, ws.ID, Page{Limit: 500, After: after})
		if err != nil {
			return err
		}
		for _, k := range keys {
			found = found || k.ID == id
		}
		if len(keys) < 500 {
			break
		}
		after = keys[len(keys)-1].ID
	}
	if !found {
		return NotFound("api_key")
	}
	return s.store.RevokeAPIKey(ctx, ws.TenantID, id, s.now(), s.event(ctx, p, ws, "api_key.revoke", "api_key", id, nil))
}
