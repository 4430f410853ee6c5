package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// sealedColumn is a column that holds values sealed by the service's Envelope: each is under
// the data key of its row's workspace, so [seal.Envelope.Rewrap] (which re-wraps the data
// keys) covers it. object names the column of the id the value is bound to; field is the
// field name it is sealed with.
type sealedColumn struct{ object, field string }

// The re-wrap list: every column that holds a secret, and how a key rotation covers it. A
// column that is binary, or whose name says it holds key material, a secret or a token, must
// be here; a new one fails TestAtRestEverySealedColumnIsCoveredByRewrap until it is added
// (and, if it holds a secret, sealed through the service so that Rewrap covers it).
var (
	sealedColumns = map[string]sealedColumn{
		"connections.sealed":                {"id", "secrets"},
		"credentials.sealed":                {"id", "data"},
		"access_keys.sealed":                {"id", switchboard.AccessKeySecretField},
		"webhook_endpoints.sealed":          {"id", switchboard.WebhookEndpointSecretField},
		"webhook_endpoints.previous_sealed": {"id", switchboard.WebhookEndpointSecretField},
		"oauth_clients.sealed":              {"connector_id", "oauth_client"},
		"connect_sessions.sealed":           {"id", "pkce"},
		"connection_tokens.sealed":          {"connection_id", "oauth_token"},
	}
	// Columns that hold no secret that a key rotation must cover, and why.
	notSealedColumns = map[string]string{
		"data_keys.wrapped":               "the data keys themselves: what Rewrap re-wraps",
		"key_checks.check":                "key check value (SQLite name): a constant sealed under each KEK, recorded per key",
		"key_checks.check_value":          "key check value (PostgreSQL name)",
		"api_keys.hash":                   "SHA-256 of an API key: verified, never decrypted",
		"connect_sessions.token_hash":     "SHA-256 of a connect link token",
		"connect_sessions.state_hash":     "SHA-256 of an OAuth state",
		"webhook_deliveries.payload":      "the event body sent to the endpoint (ids and names, no secret; the canary scan checks)",
		"data_keys.kek_id":                "id of the KEK that wraps a data key",
		"key_checks.kek_id":               "id of a KEK",
		"connection_tokens.token_version": "a counter",
		"connection_tokens.lease_token":   "random lease id of a refresh in progress, not a credential",
		"webhook_deliveries.lease_token":  "random lease id of a delivery claim, not a credential",
		"connection_tokens.expires_at":    "a time",
		"connect_sessions.expires_at":     "a time",
		"api_keys.key_prefix":             "the public prefix of an API key, shown to identify it",
		"connection_tokens.token_type":    "the OAuth token type (Bearer)",
		"audit_events.client_hash":        "the X-Client-Hash header as sent: a client fingerprint, never an auth factor",
		"connections.idempotency_key":     "the client's Idempotency-Key header",
		"connections.request_hash":        "SHA-256 of the create request, to tell a replay from a reuse of the key",
		"connectors.key":                  "the connector's public key name (e.g. slash)",
	}
	secretish = regexp.MustCompile(`(?i)secret|token|passw|sealed|cipher|wrapped|private|hash|key_id|^key$|_key$|credential_data`)
)

// schemaColumns lists the database's columns as table.column with their declared type.
func schemaColumns(t *testing.T, raw *rawDB) map[string]string {
	t.Helper()
	q := `SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'goose_%'`
	if raw.pg {
		q = `SELECT table_name, column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name NOT LIKE 'goose_%'`
	}
	rows, err := raw.db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var tbl, col, typ string
		if err := rows.Scan(&tbl, &col, &typ); err != nil {
			t.Fatal(err)
		}
		out[tbl+"."+col] = strings.ToLower(typ)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no columns found")
	}
	return out
}

// Every column of the live schema (both drivers) that is binary or named like a secret is in
// the re-wrap list above. Then, with one of every sealed kind stored (connection secrets, a
// credential, an access key, a webhook secret and its previous one, an OAuth client secret, a
// PKCE verifier, an OAuth token), the key is rotated and re-wrapped, and EVERY stored value
// of every sealed column opens with a keyring holding only the new key: no sealed value
// depends on a retired key.
func TestAtRestEverySealedColumnIsCoveredByRewrap(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			raw := openRaw(t, e)
			cols := schemaColumns(t, raw)
			var unlisted []string
			for name, typ := range cols {
				_, sealed := sealedColumns[name]
				_, known := notSealedColumns[name]
				col := name[strings.Index(name, ".")+1:]
				binary := typ == "blob" || typ == "bytea"
				if (binary || secretish.MatchString(col)) && !sealed && !known {
					unlisted = append(unlisted, fmt.Sprintf("%s (%s)", name, typ))
				}
			}
			slices.Sort(unlisted)
			for _, c := range unlisted {
				t.Errorf("column %s is not in the re-wrap list (sealedColumns or notSealedColumns in atrest_columns_test.go): "+
					"if it holds a secret, seal it through the service so that Rewrap covers it", c)
			}
			for name := range sealedColumns {
				if typ, ok := cols[name]; !ok {
					t.Errorf("sealed column %s is not in the schema any more: update the list", name)
				} else if typ != "blob" && typ != "bytea" {
					t.Errorf("sealed column %s is %s, want a binary column", name, typ)
				}
				tbl := name[:strings.Index(name, ".")]
				if _, ok := cols[tbl+".workspace_id"]; !ok {
					t.Errorf("%s has no workspace_id: its values cannot be under a workspace's data key", tbl)
				}
			}

			// One of every sealed kind.
			ws := wsPath
			createBearer(t, e, "default", "api", "token-0123456789abcdef")
			if r := e.Do(t, "POST", ws+"/credentials", e.OwnerKey, map[string]any{
				"name": "partner", "type": "api_key", "data": map[string]string{"api_key": "cred-0123456789abcdef"},
			}); r.Status != http.StatusCreated {
				t.Fatalf("credential: %d %s", r.Status, r.Body)
			}
			hook := e.Do(t, "POST", ws+"/webhook-endpoints", e.OwnerKey, map[string]any{"url": "https://hooks.example.com/in"})
			if hook.Status != http.StatusCreated {
				t.Fatalf("webhook endpoint: %d %s", hook.Status, hook.Body)
			}
			if r := e.Do(t, "POST", ws+"/webhook-endpoints/"+hook.Map(t)["id"].(string)+"/rotate-secret", e.OwnerKey, nil); r.Status != http.StatusOK {
				t.Fatalf("rotate webhook secret: %d %s", r.Status, r.Body)
			}
			ctx := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
			if _, _, err := e.Service.CreateAccessKey(ctx, switchboard.APIKeyInput{
				WorkspaceID: switchboard.DefaultID, Role: switchboard.RoleViewer, Name: "ak",
			}); err != nil {
				t.Fatalf("access key: %v", err)
			}
			p := newProvider(t)
			ctr := oauthConnector(t, e, p)
			connected(t, e, ctr)                                      // oauth client, token
			connectSession(t, e, map[string]any{"connector_id": ctr}) // a pending session (PKCE)

			// Rotate, re-wrap, and open everything with the new key only.
			ring := e.Keyring()
			if err := ring.Add("k-columns-next"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Envelope.Rewrap(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			only := seal.New(e.Store, retireAllButActive(t, ring))
			if err := only.Verify(t.Context()); err != nil {
				t.Fatal(err)
			}
			opened := 0
			for name, sc := range sealedColumns {
				tbl, col, _ := strings.Cut(name, ".")
				rows, err := raw.db.QueryContext(t.Context(),
					fmt.Sprintf(`SELECT workspace_id, %s, %s FROM %s WHERE %s IS NOT NULL`, sc.object, col, tbl, col))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				n := 0
				for rows.Next() {
					var wsID, obj string
					var ct []byte
					if err := rows.Scan(&wsID, &obj, &ct); err != nil {
						t.Fatal(err)
					}
					n++
					if len(ct) < 1+12+16 || ct[0] != 0x01 {
						t.Errorf("%s of %s: not an envelope (%d bytes)", name, obj, len(ct))
						continue
					}
					if _, err := only.Open(context.Background(), wsID, obj, sc.field, ct); err != nil {
						t.Errorf("%s of %s does not open with only the new key: %v", name, obj, err)
						continue
					}
					opened++
				}
				rows.Close()
				if n == 0 {
					t.Errorf("%s: no value stored; the test must store one of every sealed kind", name)
				}
			}
			t.Logf("FIGURE sealed_columns=%d", len(sealedColumns))
			t.Logf("FIGURE sealed_columns_not_in_rewrap_list=%d", len(unlisted))
			t.Logf("FIGURE sealed_values_open_after_retiring_old_key=%d", opened)
		})
	}
}
