package slash

import (
	"net/http"
	"slices"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// HeaderWorkspaceID is the header Slash clients repeat the target workspace in.
const HeaderWorkspaceID = "X-Workspace-Id"

// workspace returns the request's workspace and a context that records the X-Workspace-Id the
// client sent; a header naming another workspace than the path is refused (403).
func workspace(r *http.Request) (string, *http.Request, error) {
	ws := r.PathValue("workspaceId")
	h := r.Header.Get(HeaderWorkspaceID)
	if h == "" {
		return ws, r, nil
	}
	if h != ws {
		return "", r, switchboard.Errorf(switchboard.CodeForbidden, "workspace_header.mismatch")
	}
	info := switchboard.RequestInfoFrom(r.Context())
	info.WorkspaceHeader = h
	return ws, r.WithContext(switchboard.WithRequestInfo(r.Context(), info)), nil
}

// tenant is the tenant of the caller, which is the tenant of every workspace it can act in.
func tenant(r *http.Request) string {
	if p := switchboard.PrincipalFrom(r.Context()); p != nil {
		return p.TenantID
	}
	return ""
}

// create is POST /web/v1/workspaces/{workspaceId}/slash/connections: 201 with the connection
// in PENDING. The body may arrive encrypted (SecureChannel); the server has decrypted it.
func (a *API) create(w http.ResponseWriter, r *http.Request) {
	ws, r, err := workspace(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	var req createRequest
	if err := httpx.DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.TenantBizID != "" {
		// tenantBizId can only name the workspace's own tenant: the path fixes it.
		space, err := a.svc.GetWorkspace(r.Context(), ws)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if space.TenantID != req.TenantBizID {
			WriteError(w, r, switchboard.Errorf(switchboard.CodeForbidden, "tenant.mismatch"))
			return
		}
	}
	c, _, err := a.svc.CreateConnection(r.Context(), ws, req.input(), r.Header.Get("Idempotency-Key"))
	if err != nil {
		WriteError(w, r, explain(err, &req))
		return
	}
	w.Header().Set("Location", "/web/v1/workspaces/"+ws+"/slash/connections/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, toWire(c, tenant(r)))
}

// list is GET /web/v1/workspaces/{workspaceId}/slash/connections: every Slash connection of
// the workspace, oldest first, as a plain array (Slash does not page this list).
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	ws, r, err := workspace(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out := []connection{}
	f := switchboard.ConnectionFilter{ConnectorID: ConnectorKey, Page: switchboard.Page{Limit: 1000}}
	for {
		items, next, err := a.svc.ListConnections(r.Context(), ws, f)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		for _, c := range items {
			out = append(out, toWire(c, tenant(r)))
		}
		if next == "" {
			break
		}
		f.After = next
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// connection returns a Slash connection of the workspace: a connection of another connector
// is not found here.
func (a *API) connection(r *http.Request, ws, id string) (*switchboard.Connection, error) {
	c, err := a.svc.GetConnection(r.Context(), ws, id)
	if err != nil {
		return nil, err
	}
	if c.ConnectorID != ConnectorKey {
		return nil, switchboard.NotFound("connection")
	}
	return c, nil
}

// get is GET .../slash/connections/{connectionBizId}.
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	ws, r, err := workspace(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	c, err := a.connection(r, ws, r.PathValue("connectionBizId"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toWire(c, tenant(r)))
}

// transition is POST .../{connectionBizId}/activate, /suspend and /close: 200 with the
// connection in its new status. A closed connection stays closed (409, code 4090).
func (a *API) transition(t switchboard.Transition) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ws, r, err := workspace(r)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		id := r.PathValue("connectionBizId")
		if _, err := a.connection(r, ws, id); err != nil {
			WriteError(w, r, err)
			return
		}
		c, err := a.svc.TransitionConnection(r.Context(), ws, id, t)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, toWire(c, tenant(r)))
	}
}

// webhookSecret is GET /internal/slash/connections/{connectionBizId}/webhook-secret: the
// webhook secret in clear. Slash serves it without authentication to its own services; here
// it needs a principal with the credentials:read scope, and every read is audited. The path
// names no workspace: the connection is looked up in the workspace X-Workspace-Id names, or
// else in each workspace the caller can act in.
func (a *API) webhookSecret(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("connectionBizId")
	candidates, err := a.workspaces(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	for _, ws := range candidates {
		if _, err := a.connection(r, ws, id); err != nil {
			if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
				continue
			}
			WriteError(w, r, err)
			return
		}
		ctx := r.Context()
		if r.Header.Get(HeaderWorkspaceID) != "" {
			info := switchboard.RequestInfoFrom(ctx)
			info.WorkspaceHeader = ws
			ctx = switchboard.WithRequestInfo(ctx, info)
		}
		creds, err := a.svc.GetCredentials(ctx, ws, id)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, webhookSecret{
			ConnectionBizID:    id,
			SlashWebhookSecret: creds.Connection.Secrets[fieldSlashWebhookSecret].Reveal(),
		})
		return
	}
	WriteError(w, r, switchboard.NotFound("connection"))
}

// workspaces lists where webhookSecret looks: the X-Workspace-Id workspace, else the caller's.
func (a *API) workspaces(r *http.Request) ([]string, error) {
	if h := r.Header.Get(HeaderWorkspaceID); h != "" {
		return []string{h}, nil
	}
	p := switchboard.PrincipalFrom(r.Context())
	if p == nil {
		return nil, switchboard.Errorf(switchboard.CodeUnauthenticated, "unauthenticated")
	}
	if !slices.Contains(p.Workspaces, switchboard.AllWorkspaces) {
		return p.Workspaces, nil
	}
	var out []string
	page := switchboard.Page{Limit: 1000}
	for {
		items, next, err := a.svc.ListWorkspaces(r.Context(), page)
		if err != nil {
			return nil, err
		}
		for _, ws := range items {
			out = append(out, ws.ID)
		}
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}
