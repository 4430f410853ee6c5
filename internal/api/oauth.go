package api

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type oauthClientJSON struct {
	ConnectorID  string    `json:"connector_id"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"` // masked
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	UpdatedBy    string    `json:"updated_by"`
}

func oauthClientOut(c *switchboard.OAuthClient) oauthClientJSON {
	return oauthClientJSON{ConnectorID: c.ConnectorID, ClientID: c.ClientID, ClientSecret: c.ClientSecret.Mask(),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
}

func (a *API) putOAuthClient(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	c, err := a.svc.PutOAuthClient(r.Context(), r.PathValue("workspace_id"), r.PathValue("connector_id"),
		in.ClientID, switchboard.NewSecret(in.ClientSecret))
	if err != nil {
		return err
	}
	c.ClientSecret = switchboard.NewSecret(in.ClientSecret)
	httpx.WriteJSON(w, http.StatusOK, oauthClientOut(c))
	return nil
}

func (a *API) getOAuthClient(w http.ResponseWriter, r *http.Request) error {
	c, err := a.svc.GetOAuthClient(r.Context(), r.PathValue("workspace_id"), r.PathValue("connector_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, oauthClientOut(c))
	return nil
}

func (a *API) deleteOAuthClient(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOAuthClient(r.Context(), r.PathValue("workspace_id"), r.PathValue("connector_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type connectSessionJSON struct {
	ID           string    `json:"id"`
	ConnectorID  string    `json:"connector_id"`
	ConnectionID string    `json:"connection_id,omitempty"`
	URL          string    `json:"url"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func (a *API) createConnectSession(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ConnectorID    string   `json:"connector_id"`
		ConnectionName string   `json:"connection_name"`
		ConnectionID   string   `json:"connection_id"`
		SuccessURL     string   `json:"success_url"`
		FailureURL     string   `json:"failure_url"`
		Scopes         []string `json:"scopes"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	cs, link, err := a.svc.CreateConnectSession(r.Context(), r.PathValue("workspace_id"), switchboard.ConnectSessionInput{
		ConnectorID: in.ConnectorID, ConnectionName: in.ConnectionName, ConnectionID: in.ConnectionID,
		SuccessURL: in.SuccessURL, FailureURL: in.FailureURL, Scopes: in.Scopes,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, connectSessionJSON{ID: cs.ID, ConnectorID: cs.ConnectorID,
		ConnectionID: cs.ConnectionID, URL: link, ExpiresAt: cs.ExpiresAt})
	return nil
}

// PublicRoutes returns the routes served without authentication: the connect link (its
// token is the credential) and the OAuth2 callback (its state is).
func (a *API) PublicRoutes() []Route {
	return []Route{
		{"GET", "/connect/callback", handlerFunc(a.connectCallback)},
		{"GET", "/connect/{token}", handlerFunc(a.openConnect)},
	}
}

// redirect sends the browser on with a 302 and keeps the URL (which carries a credential)
// out of caches and Referer headers.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, to, http.StatusFound)
}

func (a *API) openConnect(w http.ResponseWriter, r *http.Request) error {
	to, err := a.svc.OpenConnectLink(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	redirect(w, r, to)
	return nil
}

func (a *API) connectCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	to, err := a.svc.CompleteConnect(r.Context(), q.Get("code"), q.Get("state"), q.Get("error"))
	if err != nil {
		return err
	}
	redirect(w, r, to)
	return nil
}
