// Package auth0 serves Auth0's Management API for organization connections
// (/api/v2/organizations/{id}/connections and its legacy twin .../enabled_connections) and
// POST /api/v2/organizations, as a thin adapter over the switchboard Service: organizations
// and their connections are core objects, every rule is the service's; this package only
// translates paths, field names, paging and the error body.
//
// Auth0 has no workspace in its paths: {id} is an organization of the caller's workspace —
// the one workspace an API key is bound to, or for a principal of several workspaces the one
// named by the X-Workspace-Id header, "default" without it.
package auth0

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// bodyLimit is the largest request body the family accepts.
const bodyLimit = 1 << 20

// Adapter is the Auth0-compatible API.
type Adapter struct {
	svc *switchboard.Service
}

// New returns the adapter over svc.
func New(svc *switchboard.Service) *Adapter { return &Adapter{svc: svc} }

// Auth0's Management API scopes, named in a 403.
const (
	scopeCreateOrganizations = "create:organizations"
	scopeCreate              = "create:organization_connections"
	scopeRead                = "read:organization_connections"
	scopeUpdate              = "update:organization_connections"
	scopeDelete              = "delete:organization_connections"
)

// Routes returns every route of the family.
func (a *Adapter) Routes() []httpx.Route {
	route := func(method, path, scope string, h func(w http.ResponseWriter, r *http.Request) error) httpx.Route {
		write := errorWriter(scope)
		return httpx.Route{
			Method: method, Path: path, Token: httpx.TokenBearer, WriteError: write,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := h(w, r); err != nil {
					write(w, r, err)
				}
			}),
		}
	}
	routes := []httpx.Route{route("POST", "/api/v2/organizations", scopeCreateOrganizations, a.createOrganization)}
	for _, f := range []struct {
		path    string
		listKey string
	}{
		{"/api/v2/organizations/{id}/connections", "connections"},
		{"/api/v2/organizations/{id}/enabled_connections", "enabled_connections"},
	} {
		one := f.path + "/{connection_id}"
		routes = append(routes,
			route("POST", f.path, scopeCreate, a.addConnection),
			route("GET", f.path, scopeRead, a.listConnections(f.listKey)),
			route("GET", one, scopeRead, a.getConnection),
			route("PATCH", one, scopeUpdate, a.updateConnection),
			route("DELETE", one, scopeDelete, a.deleteConnection),
		)
	}
	return routes
}

// HeaderWorkspace names the workspace of a principal that may act in several.
const HeaderWorkspace = "X-Workspace-Id"

// workspaceOf returns the caller's workspace: the one it is bound to, else the one the
// X-Workspace-Id header names, else "default". The service still authorizes it.
func workspaceOf(r *http.Request) string {
	if p := switchboard.PrincipalFrom(r.Context()); p != nil && len(p.Workspaces) == 1 && p.Workspaces[0] != switchboard.AllWorkspaces {
		return p.Workspaces[0]
	}
	if ws := r.Header.Get(HeaderWorkspace); ws != "" {
		return ws
	}
	return "default"
}
