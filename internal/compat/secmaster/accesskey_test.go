package secmaster_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// signHuawei signs req like Huawei's SDK (SDK-HMAC-SHA256), from the documented algorithm:
// canonical request = method, path ending in "/", sorted escaped query, "name:value\n" for
// each signed header, the signed header list, hex SHA-256 of the body; string to sign =
// "SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex SHA-256 of the canonical request>"; signature = hex
// HMAC-SHA256 with the SK.
func signHuawei(req *http.Request, body []byte, ak, sk string, at time.Time) {
	signed := []string{"user-agent", "x-project-id", "x-sdk-date"}
	req.Header.Set("X-Sdk-Date", at.UTC().Format("20060102T150405Z"))
	esc := func(s string) string {
		return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") // the SDK escapes like this, "~" kept
	}
	var segs []string
	for _, s := range strings.Split(req.URL.Path, "/") {
		segs = append(segs, esc(s))
	}
	path := strings.Join(segs, "/") + "/"
	q := req.URL.Query()
	var names, pairs []string
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			pairs = append(pairs, esc(k)+"="+esc(v))
		}
	}
	var hdrs strings.Builder
	for _, h := range signed {
		fmt.Fprintf(&hdrs, "%s:%s\n", h, strings.TrimSpace(req.Header.Get(h)))
	}
	bh := sha256.Sum256(body)
	cr := sha256.Sum256([]byte(strings.Join([]string{req.Method, path, strings.Join(pairs, "&"), hdrs.String(), strings.Join(signed, ";"), hex.EncodeToString(bh[:])}, "\n")))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + req.Header.Get("X-Sdk-Date") + "\n" + hex.EncodeToString(cr[:])))
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+hex.EncodeToString(mac.Sum(nil)))
}

// signedCall sends a request signed with the access key, the way the Huawei SDK sends it.
// tamper, when set, changes the request after signing.
func signedCall(t *testing.T, e *testenv.Env, method, path, ak, sk string, body any, tamper func(*http.Request)) *testenv.Response {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
		raw = append(raw, '\n') // the SDK's encoder ends the body with a newline
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0; os/linux#amd64 go/go1.26; app/test")
	req.Header.Set("X-Project-Id", project)
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	signHuawei(req, raw, ak, sk, time.Now())
	if tamper != nil {
		tamper(req)
	}
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

func TestAccessKeySigning(t *testing.T) {
	for _, driver := range testenv.Drivers {
		t.Run(driver, func(t *testing.T) {
			e := testenv.New(t, driver)
			e.Workspace(t, "ws-b")
			owner := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
			k, sk, err := e.Service.CreateAccessKey(owner, switchboard.APIKeyInput{
				WorkspaceID: "default", Role: switchboard.RoleEditor, Scopes: []string{switchboard.ScopeCredentialsRead}, Name: "sdk",
			})
			if err != nil {
				t.Fatal(err)
			}
			ak, secret := k.ID, sk.Reveal()
			asset := map[string]any{
				"name": "signed-1", "description": "created with an access key", "component_id": seedComponent,
				"component_version_id": seedVersion,
				"config":               `{"kafkaAddr":"127.0.0.1:9092","userName":"sb","password":"signed-secret-123"}`,
			}
			r := signedCall(t, e, "POST", soc("default")+"/assetcredentials", ak, secret, asset, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("signed create: %d %s", r.Status, r.Body)
			}
			var created struct {
				Asset map[string]any `json:"asset"`
			}
			r.JSON(t, &created)
			id, _ := created.Asset["id"].(string)
			if id == "" || created.Asset["creator_id"] != ak {
				t.Errorf("created asset: id %q, creator %v", id, created.Asset["creator_id"])
			}
			r = signedCall(t, e, "GET", soc("default")+"/assetcredentials?limit=10&offset=0&name=signed-1", ak, secret, nil, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("signed list: %d %s", r.Status, r.Body)
			}
			var list struct {
				Total int              `json:"total"`
				Asset []map[string]any `json:"asset"`
			}
			r.JSON(t, &list)
			if list.Total != 1 || len(list.Asset) != 1 || list.Asset[0]["id"] != id {
				t.Errorf("signed list: %s", r.Body)
			}
			// The same object through the native API with the owner key.
			if r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil); r.Status != http.StatusOK {
				t.Errorf("native get of the signed create: %d", r.Status)
			}

			wantRefused := func(name string, r *testenv.Response) {
				t.Helper()
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s: %d %s, want 401", name, r.Status, r.Body)
					return
				}
				var body map[string]any
				r.JSON(t, &body)
				if body["code"] != "SecMaster.20040101" || body["message"] == "" {
					t.Errorf("%s: body %s, want SecMaster's error shape", name, r.Body)
				}
				if bytes.Contains(r.Body, []byte(secret)) {
					t.Errorf("%s: the SK is in the response", name)
				}
			}
			// The last character changed (to one it is not: a fixed "x" was the same key once in
			// the alphabet's size, and then the test failed).
			last := "x"
			if strings.HasSuffix(secret, last) {
				last = "y"
			}
			wrong := secret[:len(secret)-1] + last
			wantRefused("wrong SK", signedCall(t, e, "GET", soc("default")+"/assetcredentials", ak, wrong, nil, nil))
			wantRefused("tampered query", signedCall(t, e, "GET", soc("default")+"/assetcredentials?limit=10", ak, secret, nil,
				func(r *http.Request) { r.URL.RawQuery = "limit=11" }))
			wantRefused("tampered body", signedCall(t, e, "POST", soc("default")+"/assetcredentials", ak, secret, asset,
				func(r *http.Request) {
					b := []byte(`{"name":"other"}`)
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				}))
			wantRefused("stale date", func() *testenv.Response {
				return signedCall(t, e, "GET", soc("default")+"/assetcredentials", ak, secret, nil, func(r *http.Request) {
					signHuawei(r, nil, ak, secret, time.Now().Add(-20*time.Minute))
				})
			}())
			if strings.Contains(e.Logs(), secret) {
				t.Errorf("the SK is in the logs")
			}

			// A key of workspace default on workspace ws-b's path: not found, in SecMaster's
			// shape (400, SecMaster.20041001), as for any credential of another workspace.
			r = signedCall(t, e, "GET", soc("ws-b")+"/assetcredentials", ak, secret, nil, nil)
			if r.Status != http.StatusBadRequest || !bytes.Contains(r.Body, []byte(`"SecMaster.20041001"`)) {
				t.Errorf("key of default on ws-b: %d %s, want workspace not found", r.Status, r.Body)
			}
			// Over the body limit: 413 in SecMaster's shape, before any signature work.
			big := map[string]any{"name": strings.Repeat("x", 2<<20)}
			r = signedCall(t, e, "POST", soc("default")+"/assetcredentials", ak, secret, big, nil)
			if r.Status != http.StatusRequestEntityTooLarge || !bytes.Contains(r.Body, []byte("SecMaster.")) {
				t.Errorf("oversized signed body: %d %.200s", r.Status, r.Body)
			}

			// Revoked: refused from then on.
			if err := e.Service.RevokeAccessKey(owner, "default", ak); err != nil {
				t.Fatal(err)
			}
			wantRefused("revoked", signedCall(t, e, "GET", soc("default")+"/assetcredentials", ak, secret, nil, nil))
			// The native routes never take a signature.
			r = signedCall(t, e, "GET", "/v1/workspaces/default/connections", ak, secret, nil, nil)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("signed request on a native route: %d", r.Status)
			}
		})
	}
}
