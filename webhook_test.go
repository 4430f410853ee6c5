package switchboard

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestWebhookEvents(t *testing.T) {
	for _, tc := range []struct {
		action  string
		details map[string]any
		want    []string
	}{
		{"connection.create", nil, []string{EventConnectionCreated}},
		{"connection.update", nil, []string{EventConnectionUpdated}},
		{"connection.delete", nil, []string{EventConnectionDeleted}},
		{"connection.status", map[string]any{"status_from": "ACTIVE", "status_to": "FAILED"}, []string{EventConnectionStatusChanged}},
		{"connection.credentials.read", nil, []string{EventConnectionCredsRead}},
		{"connection.refresh_failed", map[string]any{"status_from": "ACTIVE", "status_to": "FAILED"},
			[]string{EventConnectionRefreshFailed, EventConnectionStatusChanged}},
		{"connection.refresh_failed", map[string]any{"status_from": "FAILED", "status_to": "FAILED"}, []string{EventConnectionRefreshFailed}},
		{"connection.health", nil, nil},
		{"credential.create", nil, nil},
		{"webhook_endpoint.create", nil, nil},
	} {
		if got := WebhookEvents(&AuditEvent{Action: tc.action, Details: tc.details}); !slices.Equal(got, tc.want) {
			t.Errorf("WebhookEvents(%s, %v) = %v, want %v", tc.action, tc.details, got, tc.want)
		}
	}
	for _, typ := range WebhookEventTypes {
		if typ == EventWebhookTest {
			t.Error("webhook.test must not be subscribable")
		}
	}
}

func TestWebhookPayload(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ev := &AuditEvent{ID: "evt_1", WorkspaceID: "ws", Actor: "key_1", Action: "connection.status", ObjectType: "connection",
		ObjectID: "conn_1", RequestID: "req_1", CreatedAt: at,
		Details: map[string]any{"status_from": "FAILED", "status_to": "ACTIVE", "workspace_header": "x"}}
	b, err := WebhookPayload(EventConnectionStatusChanged, ev)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Type      string
		Timestamp time.Time
		Data      map[string]any
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != EventConnectionStatusChanged || !p.Timestamp.Equal(at) || p.Data["connection_id"] != "conn_1" ||
		p.Data["from"] != "FAILED" || p.Data["to"] != "ACTIVE" || p.Data["actor"] != "key_1" || p.Data["workspace_id"] != "ws" {
		t.Errorf("payload = %s", b)
	}
	if _, ok := p.Data["details"].(map[string]any)["workspace_header"]; ok {
		t.Errorf("payload carries the request's workspace header: %s", b)
	}
}

func TestWebhookSecret(t *testing.T) {
	s := NewWebhookSecret()
	if key := WebhookKey(s.Reveal()); len(key) != 32 {
		t.Errorf("key of a new secret has %d bytes, want 32", len(key))
	}
	if NewWebhookSecret().Reveal() == s.Reveal() {
		t.Error("two secrets are equal")
	}
	if got := string(WebhookKey("plain-partner-secret")); got != "plain-partner-secret" {
		t.Errorf("WebhookKey of a plain secret = %q", got)
	}
}
