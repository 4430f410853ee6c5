package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

// TestWebhookEndpointsAPI: an admin registers, reads, changes, tests, rotates and deletes a
// webhook endpoint; the secret is shown on create and rotate only.
func TestWebhookEndpointsAPI(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			base := "/v1/workspaces/default/webhook-endpoints"
			r := e.Do(t, "POST", base, e.OwnerKey, map[string]any{"url": "https://hooks.example.com/in", "events": []string{"connection.created"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			created := r.Map(t)
			id, _ := created["id"].(string)
			secret, _ := created["secret"].(string)
			if !strings.HasPrefix(id, "whe_") || !strings.HasPrefix(secret, "whsec_") || r.Header.Get("Location") != base+"/"+id {
				t.Fatalf("create answer: %s (Location %q)", r.Body, r.Header.Get("Location"))
			}
			got := e.Do(t, "GET", base+"/"+id, e.OwnerKey, nil)
			if got.Status != http.StatusOK || strings.Contains(string(got.Body), secret) || strings.Contains(string(got.Body), `"secret"`) {
				t.Fatalf("get: %d %s", got.Status, got.Body)
			}
			if l := e.Do(t, "GET", base, e.OwnerKey, nil); l.Status != http.StatusOK || strings.Contains(string(l.Body), secret) || !strings.Contains(string(l.Body), id) {
				t.Fatalf("list: %d %s", l.Status, l.Body)
			}

			for _, bad := range []map[string]any{
				{"url": "ftp://hooks.example.com"}, {"url": "https://user:pw@hooks.example.com"}, {"url": "not a url"},
				{"events": []string{"connection.exploded"}}, {"events": []string{}}, {"secret": "mine"},
			} {
				if r := e.Do(t, "PATCH", base+"/"+id, e.OwnerKey, bad); r.Status != http.StatusBadRequest {
					t.Errorf("PATCH %v: %d %s, want 400", bad, r.Status, r.Body)
				}
			}
			if r := e.Do(t, "POST", base, e.OwnerKey, map[string]any{"url": "javascript:alert(1)"}); r.Status != http.StatusBadRequest {
				t.Errorf("create with a javascript: URL: %d", r.Status)
			}
			p := e.Do(t, "PATCH", base+"/"+id, e.OwnerKey, map[string]any{"enabled": false, "events": []string{"connection.deleted", "connection.status_changed"}})
			if m := p.Map(t); p.Status != http.StatusOK || m["enabled"] != false || len(m["events"].([]any)) != 2 {
				t.Fatalf("patch: %d %s", p.Status, p.Body)
			}

			rot := e.Do(t, "POST", base+"/"+id+"/rotate-secret", e.OwnerKey, nil)
			rm := rot.Map(t)
			if rot.Status != http.StatusOK || rm["secret"] == secret || !strings.HasPrefix(rm["secret"].(string), "whsec_") || rm["previous_secret_expires_at"] == nil {
				t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
			}
			if strings.Contains(e.Logs(), secret) || strings.Contains(e.Logs(), rm["secret"].(string)) {
				t.Error("a webhook secret is in the server log")
			}

			test := e.Do(t, "POST", base+"/"+id+"/test", e.OwnerKey, nil)
			if test.Status != http.StatusAccepted || test.Map(t)["event_type"] != "webhook.test" {
				t.Fatalf("test: %d %s", test.Status, test.Body)
			}
			ds := e.Do(t, "GET", base+"/"+id+"/deliveries", e.OwnerKey, nil)
			var list struct {
				Items []struct {
					EventType string `json:"event_type"`
					Status    string `json:"status"`
				} `json:"items"`
			}
			ds.JSON(t, &list)
			if ds.Status != http.StatusOK || len(list.Items) != 1 || list.Items[0].EventType != "webhook.test" || list.Items[0].Status != "pending" {
				t.Fatalf("deliveries: %d %s", ds.Status, ds.Body)
			}

			editor := e.Key(t, "default", switchboard.RoleEditor)
			if r := e.Do(t, "GET", base, editor, nil); r.Status != http.StatusForbidden {
				t.Errorf("editor lists endpoints: %d", r.Status)
			}
			if r := e.Do(t, "DELETE", base+"/"+id, e.OwnerKey, nil); r.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			for _, path := range []string{base + "/" + id, base + "/" + id + "/deliveries"} {
				if r := e.Do(t, "GET", path, e.OwnerKey, nil); r.Status != http.StatusNotFound {
					t.Errorf("GET %s after delete: %d", path, r.Status)
				}
			}
		})
	}
}

// TestVerifyPartnerWebhook: a partner's webhook signed with the connection's Slash webhook
// secret verifies once; a bad signature, a stale timestamp and a replay are refused with the
// reason.
func TestVerifyPartnerWebhook(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			const partnerSecret = "whsec_c2xhc2gtcGFydG5lci1zZWNyZXQtZm9yLXRlc3RzIQ=="
			r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "slash", "connection_name": "slash-prod",
				"config": map[string]any{
					"partnerEndpoint": "https://partner.example.com", "slashApiBaseUrl": "https://api.slash.com",
					"slashApiKey": "sk_live_x", "slashAccountId": "acct_1", "slashWebhookSecret": partnerSecret,
				},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create connection: %d %s", r.Status, r.Body)
			}
			path := "/v1/workspaces/default/connections/" + r.Map(t)["id"].(string) + "/verify-webhook"
			body := `{"type":"card.created","id":"evt_1"}`
			signed := func(id string, at time.Time, key []byte) map[string]any {
				h := http.Header{}
				webhook.Sign(h, [][]byte{key}, id, at, []byte(body))
				return map[string]any{"body": body, "headers": map[string]string{
					"webhook-id": h.Get("webhook-id"), "webhook-timestamp": h.Get("webhook-timestamp"), "webhook-signature": h.Get("webhook-signature"),
				}}
			}
			key := switchboard.WebhookKey(partnerSecret)
			editor := e.Key(t, "default", switchboard.RoleEditor)
			ok := e.Do(t, "POST", path, editor, signed("msg_1", time.Now(), key))
			if ok.Status != http.StatusOK || ok.Map(t)["valid"] != true {
				t.Fatalf("valid webhook: %d %s", ok.Status, ok.Body)
			}
			reason := func(r *testenv.Response) string {
				var b struct {
					Details []struct{ Reason string } `json:"details"`
				}
				r.JSON(t, &b)
				if len(b.Details) == 0 {
					return ""
				}
				return b.Details[0].Reason
			}
			for _, tc := range []struct {
				name string
				in   map[string]any
				want string
			}{
				{"replayed", signed("msg_1", time.Now(), key), "replayed"},
				{"other key", signed("msg_2", time.Now(), []byte("not the partner's secret")), "invalid_signature"},
				{"stale", signed("msg_3", time.Now().Add(-10*time.Minute), key), "stale_timestamp"},
				{"tampered", func() map[string]any {
					m := signed("msg_4", time.Now(), key)
					m["body"] = `{"type":"card.deleted"}`
					return m
				}(), "invalid_signature"},
				{"no headers", map[string]any{"headers": map[string]string{}, "body": body}, "missing_headers"},
				{"bad timestamp", map[string]any{"headers": map[string]string{"webhook-id": "m", "webhook-timestamp": "x" + strconv.Itoa(1), "webhook-signature": "v1,x"}, "body": body}, "bad_timestamp"},
			} {
				r := e.Do(t, "POST", path, editor, tc.in)
				if r.Status != http.StatusBadRequest || reason(r) != tc.want {
					t.Errorf("%s: %d %s, want 400 %s", tc.name, r.Status, r.Body, tc.want)
				}
				if strings.Contains(string(r.Body), partnerSecret) {
					t.Errorf("%s: the answer shows the secret", tc.name)
				}
			}
			viewer := e.Key(t, "default", switchboard.RoleViewer)
			if r := e.Do(t, "POST", path, viewer, signed("msg_9", time.Now(), key)); r.Status != http.StatusForbidden {
				t.Errorf("viewer: %d", r.Status)
			}
			// A connection without a webhook secret cannot verify anything.
			plain := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "http-bearer", "connection_name": "plain",
				"config": map[string]any{"base_url": "https://api.example.com", "token": "tok"},
			})
			r = e.Do(t, "POST", "/v1/workspaces/default/connections/"+plain.Map(t)["id"].(string)+"/verify-webhook", editor, signed("msg_5", time.Now(), key))
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "webhook secret") {
				t.Errorf("no secret: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestVerifyPartnerWebhookAcrossReplicas: a partner's signed webhook verified by one replica
// is refused as replayed by another one on the same database, at once and concurrently.
func TestVerifyPartnerWebhookAcrossReplicas(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			other := e.Replica(t)
			const partnerSecret = "whsec_c2xhc2gtcGFydG5lci1zZWNyZXQtZm9yLXRlc3RzIQ=="
			r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "slash", "connection_name": "slash-prod",
				"config": map[string]any{
					"partnerEndpoint": "https://partner.example.com", "slashApiBaseUrl": "https://api.slash.com",
					"slashApiKey": "sk_live_x", "slashAccountId": "acct_1", "slashWebhookSecret": partnerSecret,
				},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create connection: %d %s", r.Status, r.Body)
			}
			path := "/v1/workspaces/default/connections/" + r.Map(t)["id"].(string) + "/verify-webhook"
			body := `{"type":"card.created","id":"evt_1"}`
			signed := func(id string) map[string]any {
				h := http.Header{}
				webhook.Sign(h, [][]byte{switchboard.WebhookKey(partnerSecret)}, id, time.Now(), []byte(body))
				return map[string]any{"body": body, "headers": map[string]string{
					"webhook-id": h.Get("webhook-id"), "webhook-timestamp": h.Get("webhook-timestamp"), "webhook-signature": h.Get("webhook-signature"),
				}}
			}
			first := signed("msg_across")
			if r := e.Do(t, "POST", path, e.OwnerKey, first); r.Status != http.StatusOK {
				t.Fatalf("first delivery on replica 1: %d %s", r.Status, r.Body)
			}
			r = other.Do(t, "POST", path, e.OwnerKey, first)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"replayed"`) {
				t.Fatalf("the same webhook on replica 2: %d %s, want 400 replayed", r.Status, r.Body)
			}
			// A new webhook is accepted by the other replica.
			if r := other.Do(t, "POST", path, e.OwnerKey, signed("msg_next")); r.Status != http.StatusOK {
				t.Fatalf("a new webhook on replica 2: %d %s", r.Status, r.Body)
			}

			// The same webhook sent to both replicas at once is accepted exactly once.
			same := signed("msg_race")
			envs := []*testenv.Env{e, other, e, other, e, other}
			statuses := make([]int, len(envs))
			var wg sync.WaitGroup
			for i, env := range envs {
				wg.Go(func() { statuses[i] = env.Do(t, "POST", path, e.OwnerKey, same).Status })
			}
			wg.Wait()
			accepted := 0
			for _, s := range statuses {
				switch s {
				case http.StatusOK:
					accepted++
				case http.StatusBadRequest:
				default:
					t.Errorf("concurrent delivery: status %d", s)
				}
			}
			if accepted != 1 {
				t.Errorf("concurrent deliveries accepted %d times (%v), want once", accepted, statuses)
			}
		})
	}
}
