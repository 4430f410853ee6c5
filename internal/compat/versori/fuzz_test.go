package versori_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The operations of FuzzVersoriRequest, chosen by its first argument.
const (
	vCreate     = iota // POST connections, body fuzzed
	vUpdate            // PUT connections/{id}, body fuzzed
	vCredential        // PUT credentials/{id}, body fuzzed
	vList              // GET connections?s (first, after and before cursors)
	vDelete            // DELETE connections/nope-{s}?force=true
	vOps
)

// FuzzVersoriRequest drives the Versori routes of a real server on SQLite with fuzzed
// bodies, list cursors (first/after/before) and ids. No input may panic or get a 5xx; every
// refusal is a 4xx in Versori's Error body ({"code","message","fields"?}) whose code names
// its status.
func FuzzVersoriRequest(f *testing.F) {
	e := testenv.New(f, "sqlite")
	r := e.Do(f, "POST", "/v1/workspaces/default/connectors", e.OwnerKey, map[string]any{
		"key": "my-api", "name": "My API", "version": "1", "schema": map[string]any{"type": "object"},
	})
	if r.Status != http.StatusCreated {
		f.Fatalf("create connector: %d %s", r.Status, r.Body)
	}
	r = e.Do(f, "POST", base, e.OwnerKey, seedCreate("fuzz-target", "fuzz-secret-value-0001"))
	if r.Status != http.StatusOK {
		f.Fatalf("create: %d %s", r.Status, r.Body)
	}
	c := r.Map(f)
	connID := c["id"].(string)
	credID := get(c, "credentials", "action", 0, "credential", "id").(string)
	seed, _ := json.Marshal(seedCreate("seed", "seed-secret-value-0001"))
	for _, s := range []struct {
		op   uint8
		s    string
		body string
	}{
		{vCreate, "", string(seed)},
		{vCreate, "", `{"name":"ref","credentials":{"action":[{"authSchemeConfig":{"schemeType":"api-key","in":"header","name":"X-API-Key"},"credential":{"id":"` + credID + `"}}]}}`},
		{vCreate, "", `{"name":"bad","credentials":{"action":[{"credential":{"type":"oauth2-client","data":{"clientId":1}}}],"trigger":[{}]},"variables":[{"name":"","value":null}]}`},
		{vCreate, "", `{"name":"x","id":"conn_x","createdAt":"2020-01-01T00:00:00Z","organisationId":"other"}`},
		{vUpdate, "", `{"name":"renamed","variables":[{"name":"region","value":"us"}]}`},
		{vUpdate, "", `{"credentials":{"action":[{"credential":{"id":"cred_nope"}}]}}`},
		{vCredential, "", `{"id":"` + credID + `","name":"k","type":"string","data":{"value":"new-secret-value-0002"}}`},
		{vCredential, "", `{"id":"` + credID + `","name":"k","type":"oauth2-token","data":{"value":"**********"}}`},
		{vList, "first=2", ``},
		{vList, "first=1&after=" + connID, ``},
		{vList, "before=" + connID + "&after=" + connID, ``},
		{vList, "first=0&before=%ff", ``},
		{vList, "first=99999999999999999999", ``},
		{vDelete, "conn_nope", ``},
		{vDelete, "x/../" + connID, ``},
	} {
		f.Add(s.op, s.s, []byte(s.body))
	}
	h := e.Server.Handler()
	f.Fuzz(func(t *testing.T, op uint8, s string, body []byte) {
		var req *http.Request
		switch op % vOps {
		case vCreate:
			req = httptest.NewRequestWithContext(t.Context(), "POST", base, bytes.NewReader(body))
		case vUpdate:
			req = httptest.NewRequestWithContext(t.Context(), "PUT", base+"/"+connID, bytes.NewReader(body))
		case vCredential:
			req = httptest.NewRequestWithContext(t.Context(), "PUT", "/api/connect/v1/o/default/credentials/"+credID, bytes.NewReader(body))
		case vList:
			req = httptest.NewRequestWithContext(t.Context(), "GET", base, nil)
			req.URL.RawQuery = s
		case vDelete:
			// Only ids that cannot be the target's, so the other operations keep it.
			req = httptest.NewRequestWithContext(t.Context(), "DELETE", base+"/"+url.PathEscape("nope-"+s)+"?force=true", nil)
		}
		if req.Method == "POST" || req.Method == "PUT" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkVersori(t, w)
	})
}

// versoriCodes are the codes of Versori's error body by status.
var versoriCodes = map[int]string{
	400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
	412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests",
}

// checkVersori fails t unless w is a success or a 4xx with Versori's Error body.
func checkVersori(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Fields  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Message == "" || versoriCodes[w.Code] != body.Code {
		t.Fatalf("status %d: not Versori's Error body (%v)", w.Code, err)
	}
	for _, f := range body.Fields {
		if f.Field == "" || f.Message == "" {
			t.Fatalf("status %d: field error without field or message: %s", w.Code, w.Body.String())
		}
	}
}
