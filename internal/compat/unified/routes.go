// Package unified serves Unified.to's connection API (/unified/connection) over the
// Switchboard core: a connection's integration_type is the connector key, its auth object the
// connection's config (secret fields sealed by the core and masked on read), its vault
// references (auth_aws_arn and the like) a credential with an external reference in the
// connection's action slot. The workspace is the caller's: the one its API key is bound to.
package unified

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// bodyLimit bounds a request body: a connection with its auth object is small.
const bodyLimit = 256 << 10

// API is the Unified.to connection API.
type API struct {
	svc *switchboard.Service
}

// New returns the API over svc.
func New(svc *switchboard.Service) *API { return &API{svc: svc} }

// Routes lists the routes to mount. The SDK sends its key as "authorization: <key>" without
// a scheme; "bearer <key>" is taken too.
func (a *API) Routes() []httpx.Route {
	route := func(method, path string, h func(http.ResponseWriter, *http.Request) error) httpx.Route {
		return httpx.Route{
			Method: method, Path: path, Token: httpx.TokenBearerOrBare, WriteError: writeError,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := h(w, r); err != nil {
					writeError(w, r, err)
				}
			}),
		}
	}
	return []httpx.Route{
		route("GET", "/unified/connection", a.list),
		route("POST", "/unified/connection", a.create),
		route("GET", "/unified/connection/{id}", a.get),
		route("PUT", "/unified/connection/{id}", a.put),
		route("PATCH", "/unified/connection/{id}", a.patch),
		route("DELETE", "/unified/connection/{id}", a.remove),
	}
}
