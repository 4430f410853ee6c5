package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// WebhookSecretOverlap is how long the secret before a rotation keeps signing deliveries
// (next to the new one), so receivers can switch without losing one.
const WebhookSecretOverlap = 24 * time.Hour

// WebhookEndpointInput creates an endpoint; on update, nil fields are left unchanged.
type WebhookEndpointInput struct {
	URL     *string
	Events  []string // nil = unchanged (on create: every event type)
	Enabled *bool
}

// checkWebhookURL accepts an absolute http or https URL that CheckOutboundURL accepts: no
// userinfo (a password in a URL would be shown back in every response), no spelling of a host
// that parsers read differently.
func checkWebhookURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return Invalid("url", "required")
	}
	if CheckOutboundURL(raw) != nil {
		return Invalid("url", "http_url")
	}
	return nil
}

func checkWebhookEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, Invalid("events", "min_items")
	}
	for i, e := range events {
		if !slices.Contains(WebhookEventTypes, e) {
			return nil, Invalid(indexField("events", i), "enum")
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(events))), nil
}

// CreateWebhookEndpoint registers an endpoint (admin role) and returns it with its signing
// secret, shown this once; the secret is stored sealed.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, wsID string, in WebhookEndpointInput) (*WebhookEndpoint, Secret, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, Secret{}, err
	}
	e := &WebhookEndpoint{
		ID: NewID(PrefixWebhookEndpoint), TenantID: ws.TenantID, WorkspaceID: ws.ID,
		Enabled: true, CreatedAt: s.now(), CreatedBy: p.Subject,
	}
	e.UpdatedAt = e.CreatedAt
	if in.URL == nil {
		return nil, Secret{}, Invalid("url", "required")
	}
	if err := checkWebhookURL(*in.URL); err != nil {
		return nil, Secret{}, err
	}
	e.URL = *in.URL
	e.Events = slices.Clone(WebhookEventTypes)
	if in.Events != nil {
		if e.Events, err = checkWebhookEvents(in.Events); err != nil {
			return nil, Secret{}, err
		}
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	secret := NewWebhookSecret()
	if e.Sealed, err = s.sealWebhookSecret(ctx, e, secret); err != nil {
		return nil, Secret{}, err
	}
	ev := s.event(ctx, p, ws, "webhook_endpoint.create", "webhook_endpoint", e.ID, map[string]any{"events": e.Events})
	if err := s.store.CreateWebhookEndpoint(ctx, e, ev); err != nil {
		return nil, Secret{}, err
	}
	return e, secret, nil
}

func (s *Service) sealWebhookSecret(ctx context.Context, e *WebhookEndpoint, secret Secret) ([]byte, error) {
	if s.sealer == nil {
		return nil, Internal(errors.New("webhook endpoints need a sealer"))
	}
	return s.sealer.Seal(ctx, e.WorkspaceID, e.ID, WebhookEndpointSecretField, []byte(secret.Reveal()))
}

// ListWebhookEndpoints lists a workspace's endpoints (admin role).
func (s *Service) ListWebhookEndpoints(ctx context.Context, wsID string, page Page) ([]*WebhookEndpoint, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	page = clampPage(page)
	es, err := s.store.ListWebhookEndpoints(ctx, ws.ID, Page{Limit: page.Limit + 1, After: page.After})
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(es, page.Limit, func(e *WebhookEndpoint) string { return e.ID })
	return items, next, nil
}

// GetWebhookEndpoint returns one endpoint (admin role). NotFound.
func (s *Service) GetWebhookEndpoint(ctx context.Context, wsID, id string) (*WebhookEndpoint, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	return s.store.GetWebhookEndpoint(ctx, ws.ID, id)
}

// UpdateWebhookEndpoint changes an endpoint's URL, events or enabled flag (admin role).
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, wsID, id string, in WebhookEndpointInput) (*WebhookEndpoint, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	e, err := s.store.GetWebhookEndpoint(ctx, ws.ID, id)
	if err != nil {
		return nil, err
	}
	var changed []string
	if in.URL != nil {
		if err := checkWebhookURL(*in.URL); err != nil {
			return nil, err
		}
		e.URL, changed = *in.URL, append(changed, "url")
	}
	if in.Events != nil {
		if e.Events, err = checkWebhookEvents(in.Events); err != nil {
			return nil, err
		}
		changed = append(changed, "events")
	}
	if in.Enabled != nil {
		e.Enabled, changed = *in.Enabled, append(changed, "enabled")
	}
	e.UpdatedAt = s.now()
	ev := s.event(ctx, p, ws, "webhook_endpoint.update", "webhook_endpoint", e.ID, map[string]any{"fields": changed})
	if err := s.store.UpdateWebhookEndpoint(ctx, e, ev); err != nil {
		return nil, err
	}
	return e, nil
}

// RotateWebhookSecret gives an endpoint a new signing secret, returned this once (admin
// role). The old one keeps signing, next to the new, for WebhookSecretOverlap.
func (s *Service) RotateWebhookSecret(ctx context.Context, wsID, id string) (*WebhookEndpoint, Secret, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, Secret{}, err
	}
	e, err := s.store.GetWebhookEndpoint(ctx, ws.ID, id)
	if err != nil {
		return nil, Secret{}, err
	}
	secret := NewWebhookSecret()
	sealed, err := s.sealWebhookSecret(ctx, e, secret)
	if err != nil {
		return nil, Secret{}, err
	}
	now := s.now()
	expires := now.Add(WebhookSecretOverlap)
	e.PreviousSealed, e.PreviousExpiresAt, e.Sealed, e.UpdatedAt = e.Sealed, &expires, sealed, now
	ev := s.event(ctx, p, ws, "webhook_endpoint.rotate_secret", "webhook_endpoint", e.ID, nil)
	if err := s.store.UpdateWebhookEndpoint(ctx, e, ev); err != nil {
		return nil, Secret{}, err
	}
	return e, secret, nil
}

// DeleteWebhookEndpoint removes an endpoint and its pending deliveries (admin role).
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, wsID, id string) error {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return err
	}
	return s.store.DeleteWebhookEndpoint(ctx, ws.ID, id, s.event(ctx, p, ws, "webhook_endpoint.delete", "webhook_endpoint", id, nil))
}

// ListWebhookDeliveries lists the deliveries of an endpoint, oldest first, with their
// attempts (admin role).
func (s *Service) ListWebhookDeliveries(ctx context.Context, wsID, endpointID string, page Page) ([]*WebhookDelivery, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.store.GetWebhookEndpoint(ctx, ws.ID, endpointID); err != nil {
		return nil, "", err
	}
	page = clampPage(page)
	ds, err := s.store.ListWebhookDeliveries(ctx, ws.ID, endpointID, Page{Limit: page.Limit + 1, After: page.After})
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(ds, page.Limit, func(d *WebhookDelivery) string { return d.ID })
	return items, next, nil
}

// TestWebhookEndpoint enqueues a "webhook.test" event for one endpoint (admin role), delivered
// like any other, and returns its delivery.
func (s *Service) TestWebhookEndpoint(ctx context.Context, wsID, id string) (*WebhookDelivery, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GetWebhookEndpoint(ctx, ws.ID, id); err != nil {
		return nil, err
	}
	ev := s.event(ctx, p, ws, "webhook_endpoint.test", "webhook_endpoint", id, nil)
	payload, err := WebhookPayload(EventWebhookTest, ev)
	if err != nil {
		return nil, Internal(err)
	}
	d := &WebhookDelivery{ID: NewID(PrefixWebhookDelivery), TenantID: ws.TenantID, WorkspaceID: ws.ID, EndpointID: id,
		EventType: EventWebhookTest, Payload: payload, Status: DeliveryPending, NextAttemptAt: ev.CreatedAt, CreatedAt: ev.CreatedAt}
	if err := s.store.EnqueueWebhookDelivery(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// WebhookTarget returns, for the delivery worker, the endpoint of a delivery and the keys to
// sign it with: the current secret first, then the previous one while it is still valid. It
// needs no principal.
func (s *Service) WebhookTarget(ctx context.Context, d *WebhookDelivery) (*WebhookEndpoint, [][]byte, error) {
	e, err := s.store.GetWebhookEndpoint(ctx, d.WorkspaceID, d.EndpointID)
	if err != nil {
		return nil, nil, err
	}
	if s.sealer == nil {
		return nil, nil, Internal(errors.New("webhook endpoints need a sealer"))
	}
	cur, err := s.sealer.Open(ctx, e.WorkspaceID, e.ID, WebhookEndpointSecretField, e.Sealed)
	if err != nil {
		return nil, nil, err
	}
	keys := [][]byte{WebhookKey(string(cur))}
	if len(e.PreviousSealed) > 0 && e.PreviousExpiresAt != nil && s.now().Before(*e.PreviousExpiresAt) {
		prev, err := s.sealer.Open(ctx, e.WorkspaceID, e.ID, WebhookEndpointSecretField, e.PreviousSealed)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, WebhookKey(string(prev)))
	}
	return e, keys, nil
}

// ConnectionWebhookSecret returns the secret a connection's partner signs its webhooks with
// (editor role): the connector's webhook secret field (Slash "slashWebhookSecret"; any other
// connector's "webhook_secret"), else the HMAC secret of its first trigger credential that
// holds one (see credentialWebhookSecret). A connection without one is invalid for this (4000
// "webhook.no_secret").
func (s *Service) ConnectionWebhookSecret(ctx context.Context, wsID, id string) (Secret, error) {
	_, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return Secret{}, err
	}
	c, err := s.store.GetConnection(ctx, ws.ID, id)
	if err != nil {
		return Secret{}, err
	}
	secrets, err := s.openMap(ctx, ws.ID, c.ID, "secrets", c.Sealed)
	if err != nil {
		return Secret{}, err
	}
	for _, field := range []string{"slashWebhookSecret", "webhook_secret"} {
		if v, ok := secrets[field]; ok && !v.IsZero() {
			return v, nil
		}
	}
	// Without one of its own, the connection's trigger credentials (Versori triggers sign with
	// an HMAC credential), in order.
	for _, cid := range c.Credentials.Trigger {
		cred, err := s.credential(ctx, ws.ID, cid)
		if err != nil {
			return Secret{}, err
		}
		if v, ok := credentialWebhookSecret(cred); ok {
			return v, nil
		}
	}
	return Secret{}, Errorf(CodeInvalid, "webhook.no_secret")
}

// CredentialAuthSchemeKey is the data key under which a credential records the auth scheme it
// serves (the JSON of a Versori AuthSchemeConfig, whose "schemeType" may be "hmac").
const CredentialAuthSchemeKey = "_versori_auth_scheme_config"

// credentialWebhookSecret returns the HMAC secret a trigger credential holds: its data under
// "webhook_secret", "hmac_secret", "hmac" or "secret"; or, for a credential serving an "hmac"
// auth scheme, its value ("api_key", a Versori string credential) or its bytes
// ("value_base64", a Versori binary one, given as a "whsec_" secret so WebhookKey decodes it).
func credentialWebhookSecret(c *Credential) (Secret, bool) {
	for _, k := range []string{"webhook_secret", "hmac_secret", "hmac", "secret"} {
		if v, ok := c.Data[k]; ok && !v.IsZero() {
			return v, true
		}
	}
	var scheme struct {
		SchemeType string `json:"schemeType"`
	}
	if cfg, ok := c.Data[CredentialAuthSchemeKey]; !ok || json.Unmarshal([]byte(cfg.Reveal()), &scheme) != nil || scheme.SchemeType != "hmac" {
		return Secret{}, false
	}
	if v, ok := c.Data["api_key"]; ok && !v.IsZero() {
		return v, true
	}
	if v, ok := c.Data["value_base64"]; ok && !v.IsZero() {
		return NewSecret("whsec_" + v.Reveal()), true
	}
	return Secret{}, false
}

// RememberWebhookID records the id of a partner's webhook verified through a connection
// (editor role) until expiresAt, and reports whether it is fresh: false when it was verified
// already (a replay). The record is in the database, so every replica sees it.
func (s *Service) RememberWebhookID(ctx context.Context, wsID, connectionID, webhookID string, expiresAt time.Time) (bool, error) {
	_, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return false, err
	}
	return s.store.RememberWebhookID(ctx, ws.ID, connectionID, webhookID, expiresAt)
}
