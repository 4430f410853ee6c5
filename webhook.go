package switchboard

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Webhook ids: endpoints are "whe_...", deliveries (outbox rows, the Standard Webhooks
// message id sent as webhook-id) are "msg_...".
const (
	PrefixWebhookEndpoint = "whe"
	PrefixWebhookDelivery = "msg"
)

// Webhook event types a WebhookEndpoint can subscribe to.
const (
	EventConnectionCreated       = "connection.created"
	EventConnectionUpdated       = "connection.updated"
	EventConnectionDeleted       = "connection.deleted"
	EventConnectionStatusChanged = "connection.status_changed"
	EventConnectionRefreshFailed = "connection.refresh_failed"
	EventConnectionCredsRead     = "connection.credentials_read"
	// EventWebhookTest is sent by the test action of an endpoint only; no subscription needed.
	EventWebhookTest = "webhook.test"
)

// WebhookEventTypes lists the event types an endpoint can subscribe to, in a stable order.
var WebhookEventTypes = []string{
	EventConnectionCreated, EventConnectionUpdated, EventConnectionDeleted,
	EventConnectionStatusChanged, EventConnectionRefreshFailed, EventConnectionCredsRead,
}

// WebhookEventType maps an audit action to the webhook event type it announces, "" when it
// announces none. Both store drivers call it when they write an audit event, so the outbox
// row of every event is written in the transaction of the change itself.
func WebhookEventType(action string) string {
	switch action {
	case "connection.create":
		return EventConnectionCreated
	case "connection.update":
		return EventConnectionUpdated
	case "connection.delete":
		return EventConnectionDeleted
	case "connection.status":
		return EventConnectionStatusChanged
	case "connection.credentials.read":
		return EventConnectionCredsRead
	case "connection.refresh_failed":
		return EventConnectionRefreshFailed
	}
	return ""
}

// WebhookEvents returns the event types an audit event announces, each delivered as its own
// event: the type of its action, and also connection.status_changed for a refresh failure that
// moved the connection's status (so a subscriber to status changes sees every failure).
func WebhookEvents(ev *AuditEvent) []string {
	typ := WebhookEventType(ev.Action)
	if typ == "" {
		return nil
	}
	out := []string{typ}
	if typ == EventConnectionRefreshFailed {
		if from, ok := ev.Details["status_from"]; ok && from != ev.Details["status_to"] {
			out = append(out, EventConnectionStatusChanged)
		}
	}
	return out
}

// webhookPayload is the body of every delivery.
type webhookPayload struct {
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// WebhookPayload returns the JSON body announcing ev as an event of type typ. It is built from
// the audit event only, which never holds a secret. A status change says "from" and "to", so a
// failure and a recovery are both visible.
func WebhookPayload(typ string, ev *AuditEvent) ([]byte, error) {
	data := map[string]any{
		"event_id":     ev.ID,
		"workspace_id": ev.WorkspaceID,
		"actor":        ev.Actor,
		"request_id":   ev.RequestID,
	}
	if ev.ObjectType == "connection" {
		data["connection_id"] = ev.ObjectID
	}
	details := map[string]any{}
	for k, v := range ev.Details {
		if k == "workspace_header" {
			continue // transport detail of the request, not of the event
		}
		details[k] = v
	}
	data["details"] = details
	if from, ok := ev.Details["status_from"]; ok {
		data["from"], data["to"] = from, ev.Details["status_to"]
	}
	return json.Marshal(webhookPayload{Type: typ, Timestamp: ev.CreatedAt.UTC(), Data: data})
}

// WebhookEndpoint is where a workspace's connection events are delivered, signed. The outbox
// holds one WebhookDelivery per event and subscribed, enabled endpoint.
type WebhookEndpoint struct {
	ID          string // "whe_..."
	TenantID    string
	WorkspaceID string
	URL         string   // http or https
	Events      []string // subscribed event types
	Enabled     bool
	// Sealed is the signing secret ("whsec_..." text) sealed for (workspace, ID, "secret").
	Sealed []byte
	// PreviousSealed is the secret before the last rotation, still signing until
	// PreviousExpiresAt, so receivers can switch without losing a delivery.
	PreviousSealed    []byte
	PreviousExpiresAt *time.Time
	CreatedAt         time.Time
	CreatedBy         string
	UpdatedAt         time.Time
}

// WebhookEndpointSecretField is the field name a signing secret is sealed under.
const WebhookEndpointSecretField = "secret"

// Subscribed reports whether e wants events of type typ.
func (e *WebhookEndpoint) Subscribed(typ string) bool {
	for _, t := range e.Events {
		if t == typ {
			return true
		}
	}
	return false
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one outbox row: an event to deliver to one endpoint, with its attempts.
type WebhookDelivery struct {
	ID            string // "msg_...", sent as webhook-id, the same on every retry
	TenantID      string
	WorkspaceID   string
	EndpointID    string
	EventType     string
	Payload       []byte // the exact body sent
	Status        string // DeliveryPending, DeliveryDelivered, DeliveryFailed
	Attempts      int
	NextAttemptAt time.Time // when pending: when it is due (a claim moves it past its lease)
	LastStatus    int       // HTTP status of the last attempt, 0 when none answered
	LastError     string
	AttemptLog    []WebhookAttempt
	CreatedAt     time.Time
	DeliveredAt   *time.Time
	// LeaseToken identifies the claim a worker holds; Finish succeeds only with it.
	LeaseToken string
}

// WebhookAttempt records one delivery attempt. Error never holds a secret.
type WebhookAttempt struct {
	At         time.Time     `json:"at"`
	StatusCode int           `json:"status_code,omitempty"`
	Error      string        `json:"error,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
}

// NewWebhookSecret returns a new signing secret in the Standard Webhooks form: "whsec_" and
// the base64 of 32 random bytes.
func NewWebhookSecret() Secret {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("switchboard: no randomness: " + err.Error())
	}
	return NewSecret("whsec_" + base64.StdEncoding.EncodeToString(b[:]))
}

// WebhookKey returns the HMAC key of a signing secret: the decoded bytes of a "whsec_" secret,
// the bytes of any other text as they are (partners' secrets come in many forms).
func WebhookKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if b, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return b
		}
	}
	return []byte(secret)
}
