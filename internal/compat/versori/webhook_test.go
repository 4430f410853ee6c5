package versori_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/webhook"
)

// TestVerifyWebhookWithTriggerHMAC: a connection created through this family with an HMAC
// trigger credential verifies its partner's webhooks with that credential's secret (a string
// credential's value, a binary one's bytes) through the native verify-webhook; a webhook
// signed with another secret is refused, and the answer never shows the secret.
func TestVerifyWebhookWithTriggerHMAC(t *testing.T) {
	const secret = "versori-trigger-hmac-secret-for-tests"
	raw := []byte("binary-trigger-hmac-key-\x00\x01\x02")
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := env(t, d)
			hmacScheme := map[string]any{
				"id": "01M894Y23CYJY0X258MN3RYDWA", "description": "Signed triggers", "schemeType": "hmac",
				"name": "X-Signature", "in": "header", "algorithm": "sha256", "digestInputs": []any{"body"},
			}
			withTrigger := func(name, typ string, data map[string]any) string {
				body := seedCreate(name, "sk_action")
				body["credentials"].(map[string]any)["trigger"] = []any{map[string]any{
					"authSchemeConfig": hmacScheme,
					"credential":       map[string]any{"name": name + "-hmac", "type": typ, "data": data},
				}}
				return create(t, e, body)["id"].(string)
			}
			editor := e.Key(t, "default", switchboard.RoleEditor)
			verify := func(connID string, key []byte, id string) *testenv.Response {
				body := `{"event":"trigger.fired"}`
				h := http.Header{}
				webhook.Sign(h, [][]byte{key}, id, time.Now(), []byte(body))
				return e.Do(t, "POST", "/v1/workspaces/default/connections/"+connID+"/verify-webhook", editor, map[string]any{
					"body": body, "headers": map[string]string{
						"webhook-id": h.Get("webhook-id"), "webhook-timestamp": h.Get("webhook-timestamp"),
						"webhook-signature": h.Get("webhook-signature"),
					},
				})
			}
			for _, tc := range []struct {
				name, typ string
				data      map[string]any
				key       []byte
			}{
				{"string", "string", map[string]any{"value": secret}, []byte(secret)},
				{"binary", "binary", map[string]any{"valueBase64": base64.StdEncoding.EncodeToString(raw)}, raw},
			} {
				id := withTrigger("hooks-"+tc.name, tc.typ, tc.data)
				if r := verify(id, tc.key, "msg_ok"); r.Status != http.StatusOK || r.Map(t)["valid"] != true {
					t.Errorf("%s: signed with the trigger secret: %d %s", tc.name, r.Status, r.Body)
				}
				r := verify(id, []byte("not the trigger secret"), "msg_bad")
				if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "invalid_signature") {
					t.Errorf("%s: signed with another secret: %d %s", tc.name, r.Status, r.Body)
				}
				if strings.Contains(string(r.Body), secret) {
					t.Errorf("%s: the answer shows the secret", tc.name)
				}
			}
			// The action credential (an api-key) is no webhook secret: a connection with no
			// trigger credential cannot verify.
			plain := create(t, e, seedCreate("no-trigger", secret))["id"].(string)
			if r := verify(plain, []byte(secret), "msg_plain"); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "no webhook secret") {
				t.Errorf("no trigger credential: %d %s", r.Status, r.Body)
			}
		})
	}
}
