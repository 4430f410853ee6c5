// Package slash serves the Slash (SlaunchX) platform-connection API over the core: create,
// list, get and the activate/suspend/close lifecycle under
// /web/v1/workspaces/{workspaceId}/slash/connections, and the webhook-secret read, with the
// vendor's camelCase fields, numeric status codes, first-4/last-4 masking and
// {"code","message"} errors. Connections are of the built-in "slash" connector; the
// workspaceId of the path is the workspace, tenantBizId its tenant.
package slash

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// ConnectorKey is the built-in connector every Slash connection uses.
const ConnectorKey = "slash"

// Base is the path of a workspace's Slash connections.
const Base = "/web/v1/workspaces/{workspaceId}/slash/connections"

// API is the Slash compatibility API.
type API struct {
	svc *switchboard.Service
}

// New returns the Slash API over svc.
func New(svc *switchboard.Service) *API { return &API{svc: svc} }

// Routes lists the Slash routes: a bearer token (API key or JWT) on each, errors in the Slash
// shape, and SecureChannel (an encrypted body) accepted on create.
func (a *API) Routes() []httpx.Route {
	r := func(method, path string, h http.HandlerFunc) httpx.Route {
		return httpx.Route{Method: method, Path: path, Handler: h, Token: httpx.TokenBearer, WriteError: WriteError}
	}
	create := r("POST", Base, a.create)
	create.SecureChannel = httpx.SecureChannelAccept
	return []httpx.Route{
		create,
		r("GET", Base, a.list),
		r("GET", Base+"/{connectionBizId}", a.get),
		r("POST", Base+"/{connectionBizId}/activate", a.transition(switchboard.TransitionActivate)),
		r("POST", Base+"/{connectionBizId}/suspend", a.transition(switchboard.TransitionSuspend)),
		r("POST", Base+"/{connectionBizId}/close", a.transition(switchboard.TransitionClose)),
		r("GET", "/internal/slash/connections/{connectionBizId}/webhook-secret", a.webhookSecret),
	}
}
