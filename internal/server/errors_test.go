package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// Errors, languages, limits and the operational endpoints, as a client sees them.

func TestRequestBodyErrors(t *testing.T) {
	big := `{"connector_id":"http-bearer","connection_name":"big","description":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name    string
		body    any
		headers []string
		status  int
		code    string
		msg     string
		details []detail
	}{
		{"malformed", `{"connector_id":`, nil, 400, "4000", "the request body is not valid JSON", nil},
		{"trailing garbage", `{"connector_id":"http-bearer"} x`, nil, 400, "4000", "the request body is not valid JSON", nil},
		{"two values", `{} {}`, nil, 400, "4000", "the request body is not valid JSON", nil},
		{"empty", ``, []string{"Content-Type", "application/json"}, 400, "4000", "the request body is empty", nil},
		{"array body", `[1,2]`, nil, 400, "4000", "the request body has the wrong JSON type", nil},
		{"unknown field", `{"connector_id":"http-bearer","connection_name":"x","bogus":1}`, nil, 400, "4000",
			"bogus is not a known field", []detail{{Field: "bogus", Reason: "unknown"}}},
		{"wrong type", `{"connector_id":"http-bearer","connection_name":5}`, nil, 400, "4000",
			"connection_name has the wrong type", []detail{{Field: "connection_name", Reason: "type"}}},
		{"nested wrong type", `{"connector_id":"http-bearer","connection_name":"x","credentials":{"action":"cred_1"}}`, nil, 400, "4000",
			"credentials.action has the wrong type", []detail{{Field: "credentials.action", Reason: "type"}}},
		{"too large", big, nil, 413, "4130", "the request body is larger than 1048576 bytes", nil},
		{"text/plain", `{"connector_id":"http-bearer"}`, []string{"Content-Type", "text/plain"}, 415, "4150",
			"content type text/plain is not supported; send application/json", nil},
		{"form", `a=b`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "4150",
			"content type application/x-www-form-urlencoded is not supported; send application/json", nil},
		{"json with charset", `{"connection_name":5}`, []string{"Content-Type", "application/json; charset=utf-8"}, 400, "4000",
			"connection_name has the wrong type", []detail{{Field: "connection_name", Reason: "type"}}},
	}
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				r := e.Do(t, "POST", connsPath, e.OwnerKey, tc.body, tc.headers...)
				got := wantError(t, r, tc.status, tc.code)
				if got.Message != tc.msg {
					t.Errorf("message = %q, want %q", got.Message, tc.msg)
				}
				wantDetails(t, got, tc.details...)
			})
		}
		// The same limits hold for PATCH.
		c := createConn(t, e, e.OwnerKey, "default", bearerBody("p"))
		wantError(t, e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, `{"description":`), http.StatusBadRequest, "4000")
		wantError(t, e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, `{"description":"x"}`, "Content-Type", "text/plain"),
			http.StatusUnsupportedMediaType, "4150")
		wantError(t, e.Do(t, "PATCH", connsPath+"/"+c.ID, e.OwnerKey, `{"description":"`+strings.Repeat("y", 1<<20)+`"}`),
			http.StatusRequestEntityTooLarge, "4130")
		if l := listConns(t, e, ""); len(l.Items) != 1 {
			t.Errorf("refused requests created connections: %d", len(l.Items))
		}
		if g := getConn(t, e, c.ID); g.Revision != 1 {
			t.Errorf("refused patches changed the connection: revision %d", g.Revision)
		}
	})
}

func TestRouting(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		for _, p := range []string{"/nope", "/v1/nope", "/v1/workspaces/default/nope", "/v2/workspaces"} {
			got := wantError(t, e.Do(t, "GET", p, e.OwnerKey, nil), http.StatusNotFound, "4040")
			if got.Message != "no such route" {
				t.Errorf("%s: message %q", p, got.Message)
			}
		}
		for _, tc := range []struct {
			method, path string
			allow        []string
		}{
			{"PUT", connsPath, []string{"GET", "POST"}},
			{"DELETE", connsPath, []string{"GET", "POST"}},
			{"POST", connsPath + "/conn_1", []string{"DELETE", "GET", "PATCH"}},
			{"PUT", "/healthz", []string{"GET"}},
			{"DELETE", "/v1/workspaces", []string{"GET", "POST"}},
		} {
			r := e.Do(t, tc.method, tc.path, e.OwnerKey, nil)
			got := wantError(t, r, http.StatusMethodNotAllowed, "4000")
			var allow []string
			for _, v := range r.Header.Values("Allow") {
				for _, m := range strings.Split(v, ",") {
					allow = append(allow, strings.TrimSpace(m))
				}
			}
			slices.Sort(allow)
			if diff := cmp.Diff(tc.allow, allow); diff != "" {
				t.Errorf("%s %s: Allow (-want +got):\n%s", tc.method, tc.path, diff)
			}
			if want := "method " + tc.method + " is not allowed here"; got.Message != want {
				t.Errorf("%s %s: message %q, want %q", tc.method, tc.path, got.Message, want)
			}
		}
	})
}

func TestAcceptLanguage(t *testing.T) {
	cases := []struct {
		header, msg, lang string
	}{
		{"", "connection_name must not be blank", "en"},
		{"en-US", "connection_name must not be blank", "en"},
		{"ja", "connection_name は空にできません", "ja"},
		{"ja-JP", "connection_name は空にできません", "ja"},
		{"zh-TW", "connection_name 不得為空", "zh-Hant"},
		{"zh-HK", "connection_name 不得為空", "zh-Hant"},
		{"zh-Hant", "connection_name 不得為空", "zh-Hant"},
		{"zh-CN", "connection_name 不能为空", "zh"},
		{"zh", "connection_name 不能为空", "zh"},
		{"vi", "connection_name không được để trống", "vi"},
		{"fr", "connection_name must not be blank", "en"},
		{"ja;q=0.2, vi;q=0.9", "connection_name không được để trống", "vi"},
		{"fr, ja;q=0.5", "connection_name は空にできません", "ja"},
		{"*", "connection_name must not be blank", "en"},
		{"garbage;;;q=x", "connection_name must not be blank", "en"},
	}
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		for _, tc := range cases {
			r := e.Do(t, "POST", connsPath, e.OwnerKey, bearerBody(""), "Accept-Language", tc.header)
			got := wantError(t, r, http.StatusBadRequest, "4000")
			if got.Message != tc.msg {
				t.Errorf("Accept-Language %q: message %q, want %q", tc.header, got.Message, tc.msg)
			}
			if cl := r.Header.Get("Content-Language"); cl != tc.lang {
				t.Errorf("Accept-Language %q: Content-Language %q, want %q", tc.header, cl, tc.lang)
			}
			// Details stay machine-readable whatever the language.
			wantDetails(t, got, detail{Field: "connection_name", Reason: "required"})
		}
		// Other errors are localized too: 401, 404, 403.
		for _, tc := range []struct {
			method, path, token, lang, msg string
			status                         int
		}{
			{"GET", connsPath, "", "ja", "認証情報がないか、無効です", 401},
			{"GET", connsPath, "", "zh-TW", "憑證遺失或無效", 401},
			{"GET", connsPath + "/conn_nope", e.OwnerKey, "vi", "không tìm thấy connection", 404},
			{"GET", connsPath + "/conn_nope", e.OwnerKey, "zh-CN", "未找到 connection", 404},
			{"GET", "/nope", "", "ja", "そのようなルートはありません", 404},
		} {
			r := e.Do(t, tc.method, tc.path, tc.token, nil, "Accept-Language", tc.lang)
			got := wantError(t, r, tc.status, r.Map(t)["code"].(string))
			if got.Message != tc.msg {
				t.Errorf("%s %s [%s]: message %q, want %q", tc.method, tc.path, tc.lang, got.Message, tc.msg)
			}
		}
	})
}

// TestErrorShape checks every kind of error has the one body shape and the request id header.
func TestErrorShape(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		c := createConn(t, e, e.OwnerKey, "default", bearerBody("shape"))
		wantStatus(t, e.Do(t, "POST", connsPath+"/"+c.ID+"/usages", e.OwnerKey, map[string]any{"consumer": "x"}), http.StatusCreated)
		viewer := e.Key(t, "default", "viewer")
		for _, tc := range []struct {
			name                string
			method, path, token string
			body                any
			headers             []string
			status              int
			code                string
			withDetails         bool
		}{
			{"validation", "POST", connsPath, e.OwnerKey, bearerBody(""), nil, 400, "4000", true},
			{"malformed", "POST", connsPath, e.OwnerKey, `{`, nil, 400, "4000", false},
			{"unauthenticated", "GET", connsPath, "", nil, nil, 401, "4010", false},
			{"forbidden", "POST", connsPath, viewer, bearerBody("v"), nil, 403, "4030", false},
			{"not found", "GET", connsPath + "/conn_nope", e.OwnerKey, nil, nil, 404, "4040", false},
			{"conflict", "DELETE", connsPath + "/" + c.ID, e.OwnerKey, nil, nil, 409, "4090", false},
			{"precondition", "PATCH", connsPath + "/" + c.ID, e.OwnerKey, map[string]any{"description": "x"}, []string{"If-Match", `"9"`}, 412, "4120", false},
			{"too large", "POST", connsPath, e.OwnerKey, strings.Repeat(" ", 1<<20+1), nil, 413, "4130", false},
			{"media", "POST", connsPath, e.OwnerKey, `{}`, []string{"Content-Type", "text/plain"}, 415, "4150", false},
			{"route", "GET", "/nowhere", "", nil, nil, 404, "4040", false},
			{"method", "PUT", connsPath, e.OwnerKey, nil, nil, 405, "4000", false},
		} {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				r := e.Do(t, tc.method, tc.path, tc.token, tc.body, tc.headers...)
				got := wantError(t, r, tc.status, tc.code)
				if (len(got.Details) > 0) != tc.withDetails {
					t.Errorf("details = %v, want present=%v", got.Details, tc.withDetails)
				}
				var raw map[string]json.RawMessage
				r.JSON(t, &raw)
				if d, ok := raw["details"]; ok && (bytes.Equal(d, []byte("null")) || bytes.Equal(d, []byte("[]"))) {
					t.Errorf("empty details should be left out: %s", r.Body)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
			})
		}
		// A client's own request id is kept and echoed in the body.
		r := e.Do(t, "GET", connsPath+"/conn_nope", e.OwnerKey, nil, "X-Request-Id", "client-req-42")
		if got := wantError(t, r, 404, "4040"); got.RequestID != "client-req-42" {
			t.Errorf("request_id = %q, want the client's", got.RequestID)
		}
		// A hostile one is replaced.
		r = e.Do(t, "GET", connsPath+"/conn_nope", e.OwnerKey, nil, "X-Request-Id", "bad id <script>")
		if got := wantError(t, r, 404, "4040"); !strings.HasPrefix(got.RequestID, "req_") {
			t.Errorf("request_id = %q, want a generated req_ id", got.RequestID)
		}
		// Successful answers carry a request id too.
		if r := e.Do(t, "GET", connsPath, e.OwnerKey, nil); r.Header.Get("X-Request-Id") == "" {
			t.Errorf("no X-Request-Id on a 200")
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	eachDriver(t, func(t *testing.T, e *testenv.Env) {
		r := e.Do(t, "GET", "/healthz", "", nil)
		wantStatus(t, r, http.StatusOK)
		if diff := cmp.Diff(map[string]any{"status": "ok"}, r.Map(t)); diff != "" {
			t.Errorf("/healthz (-want +got):\n%s", diff)
		}
		r = e.Do(t, "GET", "/readyz", "", nil)
		wantStatus(t, r, http.StatusOK)
		if diff := cmp.Diff(map[string]any{"status": "ready"}, r.Map(t)); diff != "" {
			t.Errorf("/readyz (-want +got):\n%s", diff)
		}

		c := createConn(t, e, e.OwnerKey, "default", bearerBody("metered"))
		getConn(t, e, c.ID)
		wantError(t, e.Do(t, "GET", "/nowhere", "", nil), 404, "4040")
		r = e.Do(t, "GET", "/metrics", e.OwnerKey, nil)
		wantStatus(t, r, http.StatusOK)
		m := string(r.Body)
		for _, want := range []string{
			`switchboard_http_requests_total{method="POST",route="POST /v1/workspaces/{workspace_id}/connections",status="201"} 1`,
			`switchboard_http_requests_total{method="GET",route="GET /v1/workspaces/{workspace_id}/connections/{connection_id}",status="200"} 1`,
			`switchboard_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`switchboard_http_request_duration_seconds_bucket{method="POST",route="POST /v1/workspaces/{workspace_id}/connections",le="+Inf"} 1`,
			`switchboard_http_request_duration_seconds_count{method="POST",route="POST /v1/workspaces/{workspace_id}/connections"} 1`,
			`switchboard_http_request_duration_seconds_sum{method="POST",route="POST /v1/workspaces/{workspace_id}/connections"}`,
			`# TYPE switchboard_http_request_duration_seconds histogram`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// Labels never hold ids or secrets.
		for _, bad := range []string{c.ID, "tok-0123456789abcdef", "/v1/workspaces/default/"} {
			if strings.Contains(m, bad) {
				t.Errorf("/metrics holds %q", bad)
			}
		}

		// A separate server whose store is closed is not ready; it stays alive.
		down := testenv.New(t, e.Driver)
		if err := down.Store.Close(); err != nil {
			t.Fatalf("close store: %v", err)
		}
		r = down.Do(t, "GET", "/readyz", "", nil)
		got := wantError(t, r, http.StatusServiceUnavailable, "5030")
		if got.Message != "the service is unavailable, try again later" {
			t.Errorf("message = %q", got.Message)
		}
		if ra := r.Header.Get("Retry-After"); ra == "" {
			t.Errorf("503 without Retry-After")
		}
		wantStatus(t, down.Do(t, "GET", "/healthz", "", nil), http.StatusOK)
		// A request that needs the database fails cleanly, without internal text.
		r = down.Do(t, "GET", connsPath, down.OwnerKey, nil)
		if r.Status != http.StatusServiceUnavailable && r.Status != http.StatusInternalServerError {
			t.Errorf("request on a closed store: status %d %s", r.Status, r.Body)
		} else {
			got := wantError(t, r, r.Status, r.Map(t)["code"].(string))
			if strings.Contains(strings.ToLower(got.Message), "sql") || strings.Contains(got.Message, "closed") {
				t.Errorf("internal text in message %q", got.Message)
			}
		}
	})
}
