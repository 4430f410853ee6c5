package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type webhookEndpointJSON struct {
	ID                string     `json:"id"`
	WorkspaceID       string     `json:"workspace_id"`
	URL               string     `json:"url"`
	Events            []string   `json:"events"`
	Enabled           bool       `json:"enabled"`
	Secret            string     `json:"secret,omitempty"` // only when created or rotated
	PreviousExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	CreatedBy         string     `json:"created_by"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func webhookEndpointOut(e *switchboard.WebhookEndpoint) webhookEndpointJSON {
	out := webhookEndpointJSON{
		ID: e.ID, WorkspaceID: e.WorkspaceID, URL: e.URL, Events: e.Events, Enabled: e.Enabled,
		CreatedAt: e.CreatedAt, CreatedBy: e.CreatedBy, UpdatedAt: e.UpdatedAt,
	}
	if e.PreviousExpiresAt != nil && time.Now().Before(*e.PreviousExpiresAt) {
		out.PreviousExpiresAt = e.PreviousExpiresAt
	}
	if out.Events == nil {
		out.Events = []string{}
	}
	return out
}

type webhookAttemptJSON struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

type webhookDeliveryJSON struct {
	ID            string               `json:"id"`
	EndpointID    string               `json:"endpoint_id"`
	EventType     string               `json:"event_type"`
	Status        string               `json:"status"`
	Attempts      int                  `json:"attempts"`
	NextAttemptAt *time.Time           `json:"next_attempt_at,omitempty"`
	LastStatus    int                  `json:"last_status_code,omitempty"`
	LastError     string               `json:"last_error,omitempty"`
	AttemptLog    []webhookAttemptJSON `json:"attempt_log"`
	CreatedAt     time.Time            `json:"created_at"`
	DeliveredAt   *time.Time           `json:"delivered_at,omitempty"`
}

func webhookDeliveryOut(d *switchboard.WebhookDelivery) webhookDeliveryJSON {
	out := webhookDeliveryJSON{
		ID: d.ID, EndpointID: d.EndpointID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, AttemptLog: []webhookAttemptJSON{},
		CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt,
	}
	if d.Status == switchboard.DeliveryPending {
		next := d.NextAttemptAt
		out.NextAttemptAt = &next
	}
	for _, a := range d.AttemptLog {
		out.AttemptLog = append(out.AttemptLog, webhookAttemptJSON{At: a.At, StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.Duration.Milliseconds()})
	}
	return out
}

func (a *API) createWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL     *string  `json:"url"`
		Events  []string `json:"events"`
		Enabled *bool    `json:"enabled"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID := r.PathValue("workspace_id")
	e, secret, err := a.svc.CreateWebhookEndpoint(r.Context(), wsID, switchboard.WebhookEndpointInput{URL: in.URL, Events: in.Events, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	out := webhookEndpointOut(e)
	out.Secret = secret.Reveal()
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/webhook-endpoints/"+e.ID)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) listWebhookEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListWebhookEndpoints(r.Context(), r.PathValue("workspace_id"), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, webhookEndpointOut)
	return nil
}

func (a *API) getWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := a.svc.GetWebhookEndpoint(r.Context(), r.PathValue("workspace_id"), r.PathValue("endpoint_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, webhookEndpointOut(e))
	return nil
}

func (a *API) updateWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	var m mergePatch
	if err := httpx.DecodeJSON(w, r, &m, a.bodyLimit); err != nil {
		return err
	}
	if err := m.check("url", "events", "enabled"); err != nil {
		return err
	}
	var in switchboard.WebhookEndpointInput
	var err error
	if in.URL, err = patchField[string](m, "url"); err != nil {
		return err
	}
	events, err := patchField[[]string](m, "events")
	if err != nil {
		return err
	}
	if events != nil {
		in.Events = append([]string{}, *events...) // present but empty: refused, not "unchanged"
	}
	if in.Enabled, err = patchField[bool](m, "enabled"); err != nil {
		return err
	}
	e, err := a.svc.UpdateWebhookEndpoint(r.Context(), r.PathValue("workspace_id"), r.PathValue("endpoint_id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, webhookEndpointOut(e))
	return nil
}

func (a *API) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteWebhookEndpoint(r.Context(), r.PathValue("workspace_id"), r.PathValue("endpoint_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	e, secret, err := a.svc.RotateWebhookSecret(r.Context(), r.PathValue("workspace_id"), r.PathValue("endpoint_id"))
	if err != nil {
		return err
	}
	out := webhookEndpointOut(e)
	out.Secret = secret.Reveal()
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListWebhookDeliveries(r.Context(), r.PathValue("workspace_id"), r.PathValue("endpoint_id"), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, webhookDeliveryOut)
	return nil
}

func (a *API) testWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	d, err := a.svc.TestWebhookEndpoint(r.Context(), r.PathValue("workspace_id"), r.PathValue("endpoint_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, webhookDeliveryOut(d))
	return nil
}

// WebhookVerifier checks a signed webhook (Standard Webhooks headers) with an HMAC key,
// recording its id with remember (fresh: not verified before), and returns why it is refused
// ("" when it is valid): missing_headers, bad_timestamp, stale_timestamp, invalid_signature or
// replayed; or the error of remember. The server gives one (internal/webhook).
type WebhookVerifier func(key []byte, headers http.Header, body []byte,
	remember func(id string, expires time.Time) (fresh bool, err error)) (reason string, err error)

// SetWebhookVerifier sets the verifier of POST .../verify-webhook.
func (a *API) SetWebhookVerifier(v WebhookVerifier) { a.verify = v }

// verifyWebhook checks a partner's signed webhook, given as the headers and raw body the
// partner sent, with the connection's webhook secret. Its id is recorded in the database, so a
// replay is refused by every replica.
func (a *API) verifyWebhook(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Headers map[string]string `json:"headers"`
		Body    *string           `json:"body"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	if in.Body == nil {
		return switchboard.Invalid("body", "required")
	}
	wsID, connID := r.PathValue("workspace_id"), r.PathValue("connection_id")
	secret, err := a.svc.ConnectionWebhookSecret(r.Context(), wsID, connID)
	if err != nil {
		return err
	}
	if a.verify == nil {
		return switchboard.Internal(errors.New("api: no webhook verifier configured"))
	}
	h := http.Header{}
	for k, v := range in.Headers {
		h.Set(k, v)
	}
	remember := func(id string, expires time.Time) (bool, error) {
		return a.svc.RememberWebhookID(r.Context(), wsID, connID, id, expires)
	}
	reason, err := a.verify(switchboard.WebhookKey(secret.Reveal()), h, []byte(*in.Body), remember)
	if err != nil {
		return err
	}
	if reason != "" {
		return verifyError(reason)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"valid": true})
	return nil
}

// verifyError names why a webhook was refused, as a 4000 with the header at fault.
func verifyError(reason string) error {
	field := "headers.webhook-signature"
	switch reason {
	case "missing_headers":
		field = "headers"
	case "bad_timestamp", "stale_timestamp":
		field = "headers.webhook-timestamp"
	case "replayed":
		field = "headers.webhook-id"
	default:
		reason = "invalid_signature"
	}
	return &switchboard.Error{
		Code: switchboard.CodeInvalid, Message: "webhook." + reason,
		Details: []switchboard.FieldError{{Field: field, Reason: reason}},
	}
}
