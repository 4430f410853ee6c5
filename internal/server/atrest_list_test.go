package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// One corrupt row in a list of 100 does not take the list down (activepieces#5157): every
// list that renders connections answers 200 with all 100, the 99 readable ones as usual and
// the corrupt one flagged "unreadable" with no secret (not even a mask, which would claim one
// is stored). Versori's list renders no secrets; auth0's connections are not these objects.
func TestAtRestOneCorruptRowInAList(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			raw := openRaw(t, e)
			const n = 100
			ids := make([]string, n)
			for i := range n {
				r := e.Do(t, "POST", wsPath+"/connections", e.OwnerKey, map[string]any{
					"connector_id": "slash", "connection_name": fmt.Sprintf("bank-%03d", i),
					"config": map[string]any{
						"partnerEndpoint": "https://partner.example.com/slash", "slashApiBaseUrl": "https://api.slash.com",
						"slashApiKey":        fmt.Sprintf("slash-api-key-%03d-abcdefgh", i),
						"slashAccountId":     "acct-0001",
						"slashWebhookSecret": "whsec-0123456789abcdef",
					},
				})
				if r.Status != http.StatusCreated {
					t.Fatalf("create %d: %d %s", i, r.Status, r.Body)
				}
				ids[i] = r.Map(t)["id"].(string)
			}
			bad := ids[37]
			b := raw.sealedOf(t, bad)
			b[len(b)/2] ^= 0x01
			raw.setSealed(t, bad, b)

			type family struct {
				name, path string
				items      func(t *testing.T, body []byte) []map[string]any
				secret     string // a field that holds a masked secret on readable rows
			}
			array := func(t *testing.T, body []byte) []map[string]any {
				var v []map[string]any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("decode: %v", err)
				}
				return v
			}
			field := func(name string) func(t *testing.T, body []byte) []map[string]any {
				return func(t *testing.T, body []byte) []map[string]any {
					var v map[string]json.RawMessage
					if err := json.Unmarshal(body, &v); err != nil {
						t.Fatalf("decode: %v", err)
					}
					return array(t, v[name])
				}
			}
			families := []family{
				{"native", wsPath + "/connections?page_size=100", field("items"), "config"},
				{"slash", "/web/v1/workspaces/default/slash/connections", array, "slashApiKey"},
				{"unified", "/unified/connection", array, "auth"},
				{"secmaster", "/v1/default/workspaces/default/soc/assetcredentials?limit=100", field("asset"), "config"},
			}
			for _, f := range families {
				r := e.Do(t, "GET", f.path, e.OwnerKey, nil)
				if r.Status != http.StatusOK {
					t.Errorf("%s list: %d %s", f.name, r.Status, r.Body)
					continue
				}
				items := f.items(t, r.Body)
				flagged, normal := 0, 0
				for _, it := range items {
					id, _ := it["id"].(string)
					if id == "" {
						id, _ = it["connectionBizId"].(string)
					}
					s, _ := json.Marshal(it[f.secret])
					if id == bad {
						if it["unreadable"] == true {
							flagged++
						}
						if strings.Contains(string(s), "****") || strings.Contains(string(s), "abcdefgh") {
							t.Errorf("%s: the unreadable row renders a secret or a mask: %s", f.name, s)
						}
						continue
					}
					if it["unreadable"] == nil && strings.Contains(string(s), "****") {
						normal++
					} else {
						t.Errorf("%s: readable row %s rendered as %v / %s", f.name, id, it["unreadable"], s)
					}
				}
				if len(items) != n || flagged != 1 || normal != n-1 {
					t.Errorf("%s: %d rows, %d normal, %d flagged; want %d, %d, 1", f.name, len(items), normal, flagged, n, n-1)
				}
				t.Logf("FIGURE corrupt_row_list[%s]=%d rows=%d normal=%d flagged=%d", f.name, r.Status, len(items), normal, flagged)
			}
			// Versori's list (no secrets rendered) answers every row too.
			r := e.Do(t, "GET", "/api/connect/v1/o/default/connectors/slash/connections?first=100", e.OwnerKey, nil)
			if r.Status != http.StatusOK || len(field("items")(t, r.Body)) != n {
				t.Errorf("versori list: %d %.300s", r.Status, r.Body)
			}
			// Readiness does not depend on one bad row.
			if r := e.Do(t, "GET", "/readyz", "", nil); r.Status != http.StatusOK {
				t.Errorf("/readyz: %d %s", r.Status, r.Body)
			}
			wantNoPanic(t, e)
		})
	}
}

// The same for reusable credentials: one corrupt credential in 100 is listed flagged
// "unreadable" with empty data (it was shown as an empty credential before), the others as
// usual.
func TestAtRestOneCorruptCredentialInAList(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			raw := openRaw(t, e)
			const n = 100
			ids := make([]string, n)
			for i := range n {
				r := e.Do(t, "POST", wsPath+"/credentials", e.OwnerKey, map[string]any{
					"name": fmt.Sprintf("cred-%03d", i), "type": "api_key",
					"data": map[string]string{"api_key": fmt.Sprintf("api-key-%03d-abcdefgh", i)},
				})
				if r.Status != http.StatusCreated {
					t.Fatalf("create %d: %d %s", i, r.Status, r.Body)
				}
				ids[i] = r.Map(t)["id"].(string)
			}
			bad := ids[63]
			b := raw.blob(t, `SELECT sealed FROM credentials WHERE id = ?`, bad)
			b[len(b)-1] ^= 0x80
			raw.exec(t, `UPDATE credentials SET sealed = ? WHERE id = ?`, b, bad)

			r := e.Do(t, "GET", wsPath+"/credentials?page_size=100", e.OwnerKey, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			var body struct {
				Items []struct {
					ID         string         `json:"id"`
					Data       map[string]any `json:"data"`
					Unreadable bool           `json:"unreadable"`
				} `json:"items"`
			}
			r.JSON(t, &body)
			normal, flagged := 0, 0
			for _, it := range body.Items {
				switch {
				case it.ID == bad && it.Unreadable && len(it.Data) == 0:
					flagged++
				case it.ID != bad && !it.Unreadable && it.Data["api_key"] == "****efgh":
					normal++
				default:
					t.Errorf("credential %s rendered as unreadable=%v data=%v", it.ID, it.Unreadable, it.Data)
				}
			}
			if len(body.Items) != n || normal != n-1 || flagged != 1 {
				t.Errorf("%d rows, %d normal, %d flagged; want %d, %d, 1", len(body.Items), normal, flagged, n, n-1)
			}
			t.Logf("FIGURE corrupt_row_list[credentials]=%d rows=%d normal=%d flagged=%d", r.Status, len(body.Items), normal, flagged)
			wantNoPanic(t, e)
		})
	}
}
