package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// The operations FuzzNativeRequest drives, chosen by its first argument.
const (
	opCreate = iota // POST /connections with body (a = Content-Type)
	opUpdate        // PATCH /connections/{id} with body (a = Content-Type, b = If-Match)
	opList          // GET /connections?page_size=a&page_token=b
	opCount
)

// FuzzNativeRequest drives the native /v1 connection routes of a real server on SQLite with
// fuzzed bodies, content types, revisions and paging parameters: no input may panic or get a
// 5xx, and every refusal is a 4xx in the native error body whose code maps to its status.
func FuzzNativeRequest(f *testing.F) {
	e := testenv.New(f, "sqlite")
	const ws = "/v1/workspaces/default/connections"
	r := e.Do(f, "POST", ws, e.OwnerKey, map[string]any{
		"connector_id": "http-bearer", "connection_name": "fuzz-target",
		"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-fuzz"},
	})
	if r.Status != http.StatusCreated {
		f.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.Map(f)["id"].(string)
	ct := "application/json"
	for _, s := range []struct {
		op   uint8
		a, b string
		body string
	}{
		{opCreate, ct, "", `{"connector_id":"http-bearer","connection_name":"crm","config":{"base_url":"https://api.example.com","token":"t"}}`},
		{opCreate, ct, "", `{"connector_id":"http-api-key","connection_name":"k","description":"CRM","config":{"base_url":"https://api.example.com","api_key":"x"}}`},
		{opCreate, ct, "", `{"connector_id":"postgres","connection_name":"db","config":{"host":"db.example.com","port":5432,"database":"app","user":"u","password":"p"}}`},
		{opCreate, ct, "", `{"connector_id":"http-bearer","connection_name":"x","status":"active","id":"conn_x","workspace_id":"other","config":{"base_url":"http://169.254.169.254/","token":"t"}}`},
		{opCreate, ct, "", `{"connector_id":"http-bearer","Connection_Name":"a","connection_name":"b","config":{}}`},
		{opCreate, "text/plain", "", `{}`},
		{opCreate, ct, "", `{"config":{"token":{"$ref":"vault://x"}}}`},
		{opCreate, ct, "", `[]`},
		{opUpdate, ct, "", `{"connection_name":"renamed"}`},
		{opUpdate, "application/merge-patch+json", `"1"`, `{"config":{"token":null},"description":null}`},
		{opUpdate, ct, "W/\"x\"", `{"status":"disabled","created_at":"2020-01-01T00:00:00Z"}`},
		{opList, "10", "", ``},
		{opList, "0", httpx.EncodePageToken("conn_zzz"), ``},
		{opList, "1001", "djE6", ``},
		{opList, "", "not base64!", ``},
	} {
		f.Add(s.op, s.a, s.b, []byte(s.body))
	}
	h := e.Server.Handler()
	f.Fuzz(func(t *testing.T, op uint8, a, b string, body []byte) {
		var req *http.Request
		switch op % opCount {
		case opCreate:
			req = httptest.NewRequestWithContext(t.Context(), "POST", ws, bytes.NewReader(body))
			req.Header["Content-Type"] = []string{a}
		case opUpdate:
			req = httptest.NewRequestWithContext(t.Context(), "PATCH", ws+"/"+id, bytes.NewReader(body))
			req.Header["Content-Type"] = []string{a}
			if b != "" {
				req.Header["If-Match"] = []string{b}
			}
		case opList:
			q := url.Values{"page_size": {a}, "page_token": {b}}
			req = httptest.NewRequestWithContext(t.Context(), "GET", ws+"?"+q.Encode(), nil)
		}
		req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkNative(t, w)
	})
}

// checkNative fails t unless w is a success or a 4xx with the native error body.
func checkNative(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 {
		return
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var eb httpx.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil {
		t.Fatalf("status %d: body is not the native error body: %v", w.Code, err)
	}
	if eb.Message == "" || httpx.StatusOf(eb.Code) != w.Code {
		t.Fatalf("status %d with code %q message %q", w.Code, eb.Code, eb.Message)
	}
}
