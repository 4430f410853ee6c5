package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
)

func decodeErrorBody(t testing.TB, rec *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body ErrorBody
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("decode error body %q: %v", rec.Body.String(), err)
	}
	return body
}

// serveError runs WriteError for err behind the RequestID middleware, with the given
// Accept-Language.
func serveError(t testing.TB, err error, acceptLanguage string) *httptest.ResponseRecorder {
	t.Helper()
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, err)
	}))
	r := httptest.NewRequest(http.MethodGet, "/v1/connections/conn_1", nil)
	r.Header.Set(HeaderRequestID, "test-req-1")
	if acceptLanguage != "" {
		r.Header.Set("Accept-Language", acceptLanguage)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := map[switchboard.Code]int{
		switchboard.CodeInvalid:            400,
		switchboard.CodeUnauthenticated:    401,
		switchboard.CodeForbidden:          403,
		switchboard.CodeNotFound:           404,
		switchboard.CodeConflict:           409,
		switchboard.CodePreconditionFailed: 412,
		switchboard.CodeTooLarge:           413,
		switchboard.CodeUnsupportedMedia:   415,
		switchboard.CodeRateLimited:        429,
		switchboard.CodeInternal:           500,
		switchboard.CodeUnavailable:        503,
		"":                                 500,
		"4220":                             500,
	}
	for code, want := range tests {
		if got := StatusOf(code); got != want {
			t.Errorf("StatusOf(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		lang       string
		wantStatus int
		want       ErrorBody
		wantHeader map[string]string
	}{
		{
			name:       "validation, English",
			err:        switchboard.Invalid("connection_name", "required"),
			wantStatus: 400,
			want: ErrorBody{Code: "4000", Message: "connection_name must not be blank",
				Details: []switchboard.FieldError{{Field: "connection_name", Reason: "required"}}},
			wantHeader: map[string]string{"Content-Language": "en"},
		},
		{
			name:       "validation, Japanese",
			err:        switchboard.Invalid("connection_name", "required"),
			lang:       "ja",
			wantStatus: 400,
			want: ErrorBody{Code: "4000", Message: "connection_name は空にできません",
				Details: []switchboard.FieldError{{Field: "connection_name", Reason: "required"}}},
			wantHeader: map[string]string{"Content-Language": "ja"},
		},
		{
			name:       "not found, Taiwan Chinese gets Traditional",
			err:        switchboard.NotFound("connection"),
			lang:       "zh-TW,zh;q=0.9,en;q=0.5",
			wantStatus: 404,
			want:       ErrorBody{Code: "4040", Message: "找不到 connection"},
			wantHeader: map[string]string{"Content-Language": "zh-Hant"},
		},
		{
			name:       "conflict, Simplified Chinese",
			err:        switchboard.Conflict("connection.name_taken", "Name", "prod"),
			lang:       "zh-CN",
			wantStatus: 409,
			want:       ErrorBody{Code: "4090", Message: "此连接器下已存在名为 prod 的连接"},
		},
		{
			name:       "conflict without its arg falls back to the code's message",
			err:        switchboard.Conflict("connection.name_taken"),
			lang:       "vi",
			wantStatus: 409,
			want:       ErrorBody{Code: "4090", Message: "xung đột"},
		},
		{
			name:       "unknown key falls back to the code's message",
			err:        switchboard.Errorf(switchboard.CodeForbidden, "no.such.key"),
			wantStatus: 403,
			want:       ErrorBody{Code: "4030", Message: "not allowed"},
		},
		{
			name:       "wrapped *Error",
			err:        fmt.Errorf("update: %w", switchboard.Errorf(switchboard.CodePreconditionFailed, "precondition.failed")),
			wantStatus: 412,
			want:       ErrorBody{Code: "4120", Message: "the object was changed since you read it; fetch it again"},
		},
		{
			name:       "unauthenticated",
			err:        switchboard.Errorf(switchboard.CodeUnauthenticated, "unauthenticated"),
			wantStatus: 401,
			want:       ErrorBody{Code: "4010", Message: "missing or invalid credentials"},
			wantHeader: map[string]string{"WWW-Authenticate": "Bearer"},
		},
		{
			name:       "unavailable",
			err:        &switchboard.Error{Code: switchboard.CodeUnavailable, Message: "unavailable", Cause: errors.New("dial tcp: refused")},
			wantStatus: 503,
			want:       ErrorBody{Code: "5030", Message: "the service is unavailable, try again later"},
			wantHeader: map[string]string{"Retry-After": "1", "Cache-Control": "no-store"},
		},
		{
			name:       "rate limited",
			err:        switchboard.Errorf(switchboard.CodeRateLimited, "rate_limited"),
			lang:       "ja",
			wantStatus: 429,
			want:       ErrorBody{Code: "4290", Message: "リクエストが多すぎます。しばらくしてから再試行してください"},
		},
		{
			name:       "plain error",
			err:        errors.New("pq: password authentication failed for user sb at 10.0.0.5"),
			wantStatus: 500,
			want:       ErrorBody{Code: "5000", Message: "internal error"},
		},
		{
			name:       "internal *Error with a cause",
			err:        switchboard.Internal(errors.New("sealed payload key=hunter2")),
			lang:       "zh-Hant",
			wantStatus: 500,
			want:       ErrorBody{Code: "5000", Message: "內部錯誤"},
		},
		{
			name:       "internal *Error with details and another key",
			err:        &switchboard.Error{Code: switchboard.CodeInternal, Message: "field.required", Args: map[string]any{"Field": "secret"}, Details: []switchboard.FieldError{{Field: "secret", Reason: "x"}}},
			wantStatus: 500,
			want:       ErrorBody{Code: "5000", Message: "internal error"},
		},
		{
			name:       "unknown code",
			err:        &switchboard.Error{Code: "4220", Message: "field.required", Args: map[string]any{"Field": "x"}},
			wantStatus: 500,
			want:       ErrorBody{Code: "5000", Message: "internal error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := serveError(t, tt.err, tt.lang)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			tt.want.RequestID = "test-req-1"
			if diff := cmp.Diff(tt.want, decodeErrorBody(t, rec)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tt.wantStatus != 401 && rec.Header().Get("WWW-Authenticate") != "" {
				t.Error("WWW-Authenticate set on a non-401")
			}
			if tt.wantStatus != 503 && rec.Header().Get("Retry-After") != "" {
				t.Error("Retry-After set on a non-503")
			}
		})
	}
}

// TestWriteErrorKeepsHandlerHeaders: a handler that knows better (a rate limiter's
// Retry-After, a compat surface's auth scheme) keeps its value.
func TestWriteErrorKeepsHandlerHeaders(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code          switchboard.Code
		header, value string
	}{
		{switchboard.CodeUnavailable, "Retry-After", "30"},
		{switchboard.CodeUnauthenticated, "WWW-Authenticate", `Bearer realm="secmaster"`},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set(tt.header, tt.value)
		WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), switchboard.Errorf(tt.code, "x"))
		if got := rec.Header().Get(tt.header); got != tt.value {
			t.Errorf("%s = %q, want %q", tt.header, got, tt.value)
		}
	}
}

// TestWriteErrorOmitsEmptyDetails checks the raw JSON: no "details" key at all when there are
// none, and no request_id key without the middleware.
func TestWriteErrorOmitsEmptyDetails(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), switchboard.NotFound("connection"))
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"code": "4040", "message": "connection not found"}
	if diff := cmp.Diff(want, raw); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// TestInternalErrorIsLoggedNotShown captures the default logger, so it can't run in parallel
// with tests that log.
func TestInternalErrorIsLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	const secretish = "dial tcp 10.1.2.3:5432: connection refused"
	rec := serveError(t, fmt.Errorf("list connections: %w", errors.New(secretish)), "")
	if strings.Contains(rec.Body.String(), "10.1.2.3") || strings.Contains(rec.Body.String(), "list connections") {
		t.Errorf("response shows internal text: %s", rec.Body.String())
	}
	if !strings.Contains(logs.String(), secretish) || !strings.Contains(logs.String(), `"request_id":"test-req-1"`) {
		t.Errorf("log lacks the cause or the request id: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("not logged at Error level: %s", logs.String())
	}

	logs.Reset()
	serveError(t, switchboard.NotFound("connection"), "")
	if logs.Len() != 0 {
		t.Errorf("a 404 was logged: %s", logs.String())
	}
}

func TestMessage(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", "vi-VN, en;q=0.5")
	got := Message(r, switchboard.Errorf(switchboard.CodeConflict, "connection.in_use", "Count", 3))
	if want := "kết nối đang được 3 bên sử dụng; hãy xóa với force=true"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]string{"id": "conn_1"})
	if rec.Code != http.StatusCreated || rec.Body.String() != `{"id":"conn_1"}`+"\n" {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}

	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusNoContent, map[string]string{"id": "conn_1"})
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("204: got %d %q", rec.Code, rec.Body.String())
	}

	// A value json can't encode: a clean 500, not a 200 with half a body.
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, map[string]any{"f": func() {}})
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"5000"`) {
		t.Errorf("unencodable: got %d %q", rec.Code, rec.Body.String())
	}
}
