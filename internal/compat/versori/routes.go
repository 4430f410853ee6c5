// Package versori serves Versori's Connect API v1 connections
// (/api/connect/v1/o/{organisation_id}/connectors/{connector_id}/connections) and its
// UpdateCredential operation over the Switchboard core: organisation_id is a workspace id,
// connector_id a connector id or key. Versori credentials are core credentials; their Versori
// type and the AuthSchemeConfig they are used with are kept in their sealed data under reserved
// keys (see convert.go). Responses follow versori-connect-v1-openapi.yaml; errors are Versori's
// {"code","message","fields"} body.
package versori

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// Handler serves the Versori family.
type Handler struct {
	svc *switchboard.Service
}

// New returns the Versori family over svc.
func New(svc *switchboard.Service) *Handler { return &Handler{svc: svc} }

// handlerFunc is a handler that returns its error, written in Versori's shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (f handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		writeError(w, r, err)
	}
}

// Routes lists the family's routes, authenticated by "Authorization: Bearer <key or JWT>".
func (h *Handler) Routes() []httpx.Route {
	const org = "/api/connect/v1/o/{organisation_id}"
	const conns = org + "/connectors/{connector_id}/connections"
	r := func(method, path string, f handlerFunc) httpx.Route {
		return httpx.Route{Method: method, Path: path, Handler: f, Token: httpx.TokenBearer, WriteError: writeError}
	}
	return []httpx.Route{
		r("GET", conns, h.list),
		r("POST", conns, h.create),
		r("GET", conns+"/{connection_id}", h.get),
		r("PUT", conns+"/{connection_id}", h.update),
		r("DELETE", conns+"/{connection_id}", h.delete),
		r("PUT", org+"/credentials/{credential_id}", h.updateCredential),
	}
}
