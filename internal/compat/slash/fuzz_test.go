package slash_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// FuzzSlashRequest drives the Slash routes of a real server on SQLite: create with a fuzzed
// body (op 0, s = X-Workspace-Id), and the connection routes with a fuzzed connectionBizId
// (op 1 get, 2 activate, 3 suspend, 4 close). No input may panic or get a 5xx; every refusal
// is a 4xx in the Slash error body, {"code":"4000","message":"..."}, its code the status's.
func FuzzSlashRequest(f *testing.F) {
	e := testenv.New(f, "sqlite")
	seed, err := json.Marshal(seedBody("Primary Slash Connection"))
	if err != nil {
		f.Fatal(err)
	}
	r := e.Do(f, "POST", base, e.OwnerKey, seedBody("fuzz-target"))
	if r.Status != http.StatusCreated {
		f.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.Map(f)["connectionBizId"].(string)
	for _, s := range []struct {
		op   uint8
		s    string
		body string
	}{
		{0, "", string(seed)},
		{0, "default", `{"connectionName":"b","partnerEndpoint":"https://partner.example.com/api","slashApiBaseUrl":"https://api.slash.com","slashApiKey":"k","slashAccountId":"a","slashWebhookSecret":"w","tenantBizId":"default"}`},
		{0, "other", string(seed)},
		{0, "", `{"connectionName":"","partnerEndpoint":" ","slashApiBaseUrl":"ftp://x","slashApiKey":"k","slashAccountId":"a","slashWebhookSecret":"w","tenantBizId":"t2"}`},
		{0, "", `{"connectionName":"c","partnerEndpoint":"http://10.0.0.1/","slashApiBaseUrl":"http://[::ffff:127.0.0.1]/","slashApiKey":"k","slashAccountId":"a","slashWebhookSecret":"w"}`},
		{0, "", `{"connectionName":"d","connectionname":"e","connectionStatus":20010202}`},
		{0, "", `{"connectionName":1}`},
		{1, id, ``},
		{2, id, ``},
		{3, id, ``},
		{4, id, ``},
		{1, "conn_00000000000000000000000000", ``},
		{2, "../../x", ``},
	} {
		f.Add(s.op, s.s, []byte(s.body))
	}
	h := e.Server.Handler()
	f.Fuzz(func(t *testing.T, op uint8, s string, body []byte) {
		if op%5 != 0 && (s == "" || strings.Contains(s, "/")) {
			// ".../connections/" with no id, or an id that is a path ("/" decodes back into
			// one), is no Slash route: the server's route-not-found answers it, in the native
			// error body (a vendor-shaped 404 under vendor prefixes is still to do).
			return
		}
		var req *http.Request
		one := base + "/" + url.PathEscape(s)
		switch op % 5 {
		case 0:
			req = httptest.NewRequestWithContext(t.Context(), "POST", base, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if s != "" {
				req.Header[slashWorkspaceHeader] = []string{s}
			}
		case 1:
			req = httptest.NewRequestWithContext(t.Context(), "GET", one, nil)
		case 2:
			req = httptest.NewRequestWithContext(t.Context(), "POST", one+"/activate", nil)
		case 3:
			req = httptest.NewRequestWithContext(t.Context(), "POST", one+"/suspend", nil)
		case 4:
			req = httptest.NewRequestWithContext(t.Context(), "POST", one+"/close", nil)
		}
		req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkSlash(t, w)
	})
}

const slashWorkspaceHeader = "X-Workspace-Id"

// checkSlash fails t unless w is a success or a 4xx with exactly Slash's code and message.
func checkSlash(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 2 || body["message"] == "" {
		t.Fatalf("status %d: not the Slash error body: %s", w.Code, w.Body)
	}
	if httpx.StatusOf(switchboard.Code(body["code"])) != w.Code {
		t.Fatalf("status %d with code %q", w.Code, body["code"])
	}
}
