package unified_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The operations of FuzzUnifiedRequest, chosen by its first argument.
const (
	uCreate = iota // POST /unified/connection, body fuzzed
	uPut           // PUT /unified/connection/{id}, body fuzzed
	uPatch         // PATCH /unified/connection/{id}, body fuzzed
	uList          // GET /unified/connection?s (offset, limit, sort, order, updated_gte, env, ...)
	uOps
)

// FuzzUnifiedRequest drives the Unified.to connection routes of a real server on SQLite with
// fuzzed bodies and list queries. No input may panic or get a 5xx; every refusal is a 4xx in
// Unified.to's error body, {"statusCode":400,"error":"Bad Request","message":"..."}, whose
// statusCode and error are the response's status.
func FuzzUnifiedRequest(f *testing.F) {
	e := testenv.New(f, "sqlite")
	r := e.Do(f, "POST", "/unified/connection", e.OwnerKey, seedCreate)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		f.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.Map(f)["id"].(string)
	for _, s := range []struct {
		op   uint8
		s    string
		body string
	}{
		{uCreate, "", seedCreate},
		{uCreate, "", `{"integration_type":"hubspot","permissions":[],"categories":["crm"],"auth":{"token":"t","refresh_token":"r","expiry_date":"2026-01-01T00:00:00Z"}}`},
		{uCreate, "", `{"integration_type":"hubspot","permissions":["nope"],"categories":["crm","crm"],"auth_hashi_vault_path":"secret/data/x","secretsmanager_id":"sm"}`},
		{uCreate, "", `{"integration_type":"","id":"x","workspace_id":"other","is_paused":true,"created_at":"2020-01-01T00:00:00Z"}`},
		{uCreate, "", `{"integration_type":"hubspot","auth":"x","environment":1}`},
		{uPut, "", seedPatch},
		{uPut, "", `{"integration_type":"salesforce","permissions":["crm_contact_read"],"categories":["crm"]}`},
		{uPatch, "", `{"external_xref":"patched","auth":{"token":"new"}}`},
		{uPatch, "", `{"auth":null,"categories":null}`},
		{uList, "limit=10&offset=0&sort=updated_at&order=asc", ""},
		{uList, "limit=-1&offset=99999999999999999999&sort=name&order=sideways", ""},
		{uList, "updated_gte=2026-01-01T00:00:00Z&env=Production&external_xref=x&categories=crm", ""},
		{uList, "updated_gte=yesterday&limit=1e3", ""},
	} {
		f.Add(s.op, s.s, []byte(s.body))
	}
	h := e.Server.Handler()
	one := "/unified/connection/" + id
	f.Fuzz(func(t *testing.T, op uint8, s string, body []byte) {
		var req *http.Request
		switch op % uOps {
		case uCreate:
			req = httptest.NewRequestWithContext(t.Context(), "POST", "/unified/connection", bytes.NewReader(body))
		case uPut:
			req = httptest.NewRequestWithContext(t.Context(), "PUT", one, bytes.NewReader(body))
		case uPatch:
			req = httptest.NewRequestWithContext(t.Context(), "PATCH", one, bytes.NewReader(body))
		case uList:
			req = httptest.NewRequestWithContext(t.Context(), "GET", "/unified/connection", nil)
			req.URL.RawQuery = s
		}
		if req.Method != "GET" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkUnified(t, w)
	})
}

// checkUnified fails t unless w is a success or a 4xx in Unified.to's error body.
func checkUnified(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.StatusCode != w.Code || body.Error != http.StatusText(w.Code) || body.Message == "" {
		t.Fatalf("status %d: not Unified.to's error body (%v): %s", w.Code, err, w.Body)
	}
}
