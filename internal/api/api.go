// Package api serves the native /v1 API over the switchboard Service: it decodes requests,
// calls the service and renders snake_case JSON. Every rule lives in the service; this
// package only translates.
package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// DefaultBodyLimit is the largest request body the API accepts unless configured otherwise.
const DefaultBodyLimit = 1 << 20

// API is the native /v1 API.
type API struct {
	svc       *switchboard.Service
	bodyLimit int64
	verify    WebhookVerifier
}

// New returns the API over svc. bodyLimit <= 0 means DefaultBodyLimit.
func New(svc *switchboard.Service, bodyLimit int64) *API {
	if bodyLimit <= 0 {
		bodyLimit = DefaultBodyLimit
	}
	return &API{svc: svc, bodyLimit: bodyLimit}
}

// Route is one route of the API: a method and a ServeMux path pattern.
type Route struct {
	Method  string
	Path    string
	Handler http.Handler
}

// Pattern is the ServeMux pattern of the route ("GET /v1/...").
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		httpx.WriteError(w, r, err)
	}
}

// Routes returns every route of the native API. Each one needs an authenticated principal.
func (a *API) Routes() []Route {
	const ws = "/v1/workspaces/{workspace_id}"
	const conn = ws + "/connections/{connection_id}"
	r := func(method, path string, h handlerFunc) Route { return Route{method, path, h} }
	return []Route{
		r("POST", "/v1/workspaces", a.createWorkspace),
		r("GET", "/v1/workspaces", a.listWorkspaces),
		r("GET", ws, a.getWorkspace),

		r("GET", "/v1/keyring", a.getKeyring),

		r("GET", "/v1/connectors", a.listConnectors),
		r("GET", "/v1/connectors/{connector_id}", a.getConnector),
		r("GET", ws+"/connectors", a.listConnectors),
		r("POST", ws+"/connectors", a.createConnector),
		r("GET", ws+"/connectors/{connector_id}", a.getConnector),
		r("POST", ws+"/connectors/{connector_id}/versions", a.createConnectorVersion),
		r("PUT", ws+"/connectors/{connector_id}/oauth-client", a.putOAuthClient),
		r("GET", ws+"/connectors/{connector_id}/oauth-client", a.getOAuthClient),
		r("DELETE", ws+"/connectors/{connector_id}/oauth-client", a.deleteOAuthClient),
		r("POST", ws+"/connect-sessions", a.createConnectSession),

		r("POST", ws+"/credentials", a.createCredential),
		r("GET", ws+"/credentials", a.listCredentials),
		r("GET", ws+"/credentials/{credential_id}", a.getCredential),
		r("PATCH", ws+"/credentials/{credential_id}", a.updateCredential),
		r("DELETE", ws+"/credentials/{credential_id}", a.deleteCredential),

		r("POST", ws+"/connections", a.createConnection),
		r("GET", ws+"/connections", a.listConnections),
		r("GET", conn, a.getConnection),
		r("PATCH", conn, a.updateConnection),
		r("DELETE", conn, a.deleteConnection),
		r("GET", conn+"/credentials", a.getConnectionCredentials),
		r("POST", conn+"/test", a.testConnection),
		r("GET", conn+"/usages", a.listUsages),
		r("POST", conn+"/usages", a.addUsage),
		r("DELETE", conn+"/usages/{usage_id}", a.deleteUsage),
		r("POST", conn+"/verify-webhook", a.verifyWebhook),

		r("POST", ws+"/organizations", a.createOrganization),
		r("GET", ws+"/organizations", a.listOrganizations),
		r("GET", ws+"/organizations/{organization_id}", a.getOrganization),
		r("PATCH", ws+"/organizations/{organization_id}", a.updateOrganization),
		r("DELETE", ws+"/organizations/{organization_id}", a.deleteOrganization),

		r("POST", ws+"/api-keys", a.createAPIKey),
		r("GET", ws+"/api-keys", a.listAPIKeys),
		r("DELETE", ws+"/api-keys/{key_id}", a.revokeAPIKey),

		r("GET", ws+"/audit", a.listAudit),

		r("POST", ws+"/webhook-endpoints", a.createWebhookEndpoint),
		r("GET", ws+"/webhook-endpoints", a.listWebhookEndpoints),
		r("GET", ws+"/webhook-endpoints/{endpoint_id}", a.getWebhookEndpoint),
		r("PATCH", ws+"/webhook-endpoints/{endpoint_id}", a.updateWebhookEndpoint),
		r("DELETE", ws+"/webhook-endpoints/{endpoint_id}", a.deleteWebhookEndpoint),
		r("POST", ws+"/webhook-endpoints/{endpoint_id}/rotate-secret", a.rotateWebhookSecret),
		r("GET", ws+"/webhook-endpoints/{endpoint_id}/deliveries", a.listWebhookDeliveries),
		r("POST", ws+"/webhook-endpoints/{endpoint_id}/test", a.testWebhookEndpoint),
	}
}

// page reads page_size and page_token.
func page(r *http.Request) (switchboard.Page, error) {
	var p switchboard.Page
	q := r.URL.Query()
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return p, switchboard.Invalid("page_size", "type")
		case n < 1:
			return p, switchboard.Invalid("page_size", "minimum")
		case n > 1000:
			return p, switchboard.Invalid("page_size", "maximum")
		}
		p.Limit = n
	}
	if t := q.Get("page_token"); t != "" {
		after, err := httpx.DecodePageToken(t)
		if err != nil {
			return p, err
		}
		p.After = after
	}
	return p, nil
}

// writeList writes a page of items with the token of the next page.
func writeList[T, J any](w http.ResponseWriter, items []T, next string, out func(T) J) {
	body := listJSON[J]{Items: make([]J, 0, len(items))}
	for _, it := range items {
		body.Items = append(body.Items, out(it))
	}
	if next != "" {
		body.NextPageToken = httpx.EncodePageToken(next)
	}
	httpx.WriteJSON(w, http.StatusOK, body)
}

// ifMatch reads If-Match as a revision (0 when absent).
func ifMatch(r *http.Request) (int64, error) {
	rev, present, err := httpx.ParseIfMatch(r.Header.Get("If-Match"))
	if err != nil || !present {
		return 0, err
	}
	return rev, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, switchboard.Invalid(name, "type")
}
