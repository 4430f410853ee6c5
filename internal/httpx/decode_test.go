package httpx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
)

type testInner struct {
	Port int    `json:"port"`
	Host string `json:"host"`
}

type testBody struct {
	Name   string            `json:"name"`
	Count  int               `json:"count"`
	Tags   []string          `json:"tags"`
	Config testInner         `json:"config"`
	Labels map[string]string `json:"labels"`
	When   time.Time         `json:"when"`
	Strict strictValue       `json:"strict"`
}

// strictValue rejects "bad" with an *Error of its own, to show DecodeJSON passes it through.
type strictValue string

func (v *strictValue) UnmarshalJSON(b []byte) error {
	if string(b) == `"bad"` {
		return switchboard.Invalid("strict", "enum")
	}
	*v = strictValue(b)
	return nil
}

func newRequest(contentType string, body io.Reader) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/things", body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	const jsonCT = "application/json"
	tests := []struct {
		name        string
		contentType string
		body        string
		limit       int64
		wantCode    switchboard.Code
		wantKey     string
		wantArgs    map[string]any
		wantDetails []switchboard.FieldError
	}{
		{name: "ok", contentType: jsonCT, body: `{"name":"a","count":2,"config":{"port":1}}`},
		{name: "ok with charset", contentType: "application/json; charset=utf-8", body: `{"name":"a"}`},
		{name: "ok upper case type", contentType: "Application/JSON", body: `{}`},
		{name: "ok merge patch", contentType: "application/merge-patch+json", body: `{"name":"a"}`},
		{name: "ok trailing whitespace", contentType: jsonCT, body: "{}\n\t "},
		{name: "ok exactly at limit", contentType: jsonCT, body: `{"name":"abc"}`, limit: 14},
		{name: "text/plain", contentType: "text/plain", body: `{}`,
			wantCode: switchboard.CodeUnsupportedMedia, wantKey: "media.unsupported", wantArgs: map[string]any{"Type": "text/plain"}},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: `a=b`,
			wantCode: switchboard.CodeUnsupportedMedia, wantKey: "media.unsupported", wantArgs: map[string]any{"Type": "application/x-www-form-urlencoded"}},
		{name: "unparsable type", contentType: "application/json; ===", body: `{}`,
			wantCode: switchboard.CodeUnsupportedMedia, wantKey: "media.unsupported", wantArgs: map[string]any{"Type": "application/json; ==="}},
		{name: "json lookalike", contentType: "text/json+html", body: `{}`,
			wantCode: switchboard.CodeUnsupportedMedia, wantKey: "media.unsupported", wantArgs: map[string]any{"Type": "text/json+html"}},
		{name: "no type, no body", body: ``,
			wantCode: switchboard.CodeInvalid, wantKey: "body.empty"},
		{name: "no type, body", body: `{}`,
			wantCode: switchboard.CodeUnsupportedMedia, wantKey: "media.missing"},
		{name: "empty", contentType: jsonCT, body: ``,
			wantCode: switchboard.CodeInvalid, wantKey: "body.empty"},
		{name: "whitespace only", contentType: jsonCT, body: " \n ",
			wantCode: switchboard.CodeInvalid, wantKey: "body.empty"},
		{name: "too large", contentType: jsonCT, body: `{"name":"abcd"}`, limit: 14,
			wantCode: switchboard.CodeTooLarge, wantKey: "body.too_large", wantArgs: map[string]any{"Limit": int64(14)}},
		{name: "default limit", contentType: jsonCT, body: `{"name":"` + strings.Repeat("a", DefaultBodyLimit) + `"}`,
			wantCode: switchboard.CodeTooLarge, wantKey: "body.too_large", wantArgs: map[string]any{"Limit": int64(DefaultBodyLimit)}},
		{name: "malformed", contentType: jsonCT, body: `{"name":`,
			wantCode: switchboard.CodeInvalid, wantKey: "body.malformed"},
		{name: "not json", contentType: jsonCT, body: `name=a`,
			wantCode: switchboard.CodeInvalid, wantKey: "body.malformed"},
		{name: "trailing value", contentType: jsonCT, body: `{"name":"a"} {"name":"b"}`,
			wantCode: switchboard.CodeInvalid, wantKey: "body.malformed"},
		{name: "trailing garbage", contentType: jsonCT, body: `{}x`,
			wantCode: switchboard.CodeInvalid, wantKey: "body.malformed"},
		{name: "array for object", contentType: jsonCT, body: `[1,2]`,
			wantCode: switchboard.CodeInvalid, wantKey: "body.type"},
		{name: "unknown field", contentType: jsonCT, body: `{"name":"a","nmae":"b"}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.unknown", wantArgs: map[string]any{"Field": "nmae"},
			wantDetails: []switchboard.FieldError{{Field: "nmae", Reason: "unknown"}}},
		{name: "unknown nested field", contentType: jsonCT, body: `{"config":{"prot":1}}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.unknown", wantArgs: map[string]any{"Field": "prot"},
			wantDetails: []switchboard.FieldError{{Field: "prot", Reason: "unknown"}}},
		{name: "wrong type", contentType: jsonCT, body: `{"count":"two"}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.type", wantArgs: map[string]any{"Field": "count"},
			wantDetails: []switchboard.FieldError{{Field: "count", Reason: "type"}}},
		{name: "wrong nested type", contentType: jsonCT, body: `{"config":{"port":"80"}}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.type", wantArgs: map[string]any{"Field": "config.port"},
			wantDetails: []switchboard.FieldError{{Field: "config.port", Reason: "type"}}},
		{name: "wrong element type", contentType: jsonCT, body: `{"tags":["a",1]}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.type", wantArgs: map[string]any{"Field": "tags"},
			wantDetails: []switchboard.FieldError{{Field: "tags", Reason: "type"}}},
		{name: "number overflow", contentType: jsonCT, body: `{"count":1e400}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.type", wantArgs: map[string]any{"Field": "count"},
			wantDetails: []switchboard.FieldError{{Field: "count", Reason: "type"}}},
		{name: "field's own error", contentType: jsonCT, body: `{"strict":"bad"}`,
			wantCode: switchboard.CodeInvalid, wantKey: "field.enum", wantArgs: map[string]any{"Field": "strict"},
			wantDetails: []switchboard.FieldError{{Field: "strict", Reason: "enum"}}},
		{name: "bad time", contentType: jsonCT, body: `{"when":"yesterday"}`,
			wantCode: switchboard.CodeInvalid, wantKey: "code.4000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var dst testBody
			err := DecodeJSON(httptest.NewRecorder(), newRequest(tt.contentType, strings.NewReader(tt.body)), &dst, tt.limit)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			e, ok := errors.AsType[*switchboard.Error](err)
			if !ok {
				t.Fatalf("DecodeJSON = %v, want an *Error", err)
			}
			got := wantedError{e.Code, e.Message, e.Args, e.Details}
			want := wantedError{tt.wantCode, tt.wantKey, tt.wantArgs, tt.wantDetails}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

type wantedError struct {
	Code    switchboard.Code
	Key     string
	Args    map[string]any
	Details []switchboard.FieldError
}

func TestDecodeJSONNilBody(t *testing.T) {
	t.Parallel()
	r := newRequest("application/json", nil)
	r.Body = nil
	var dst testBody
	if code := switchboard.ErrorCode(DecodeJSON(httptest.NewRecorder(), r, &dst, 0)); code != switchboard.CodeInvalid {
		t.Fatalf("code = %s, want 4000", code)
	}
}

// TestDecodeJSONNotPointer: passing a non-pointer is the handler's bug, so a 5000, not a 4000
// blaming the client.
func TestDecodeJSONNotPointer(t *testing.T) {
	t.Parallel()
	var dst testBody
	err := DecodeJSON(httptest.NewRecorder(), newRequest("application/json", strings.NewReader(`{}`)), dst, 0)
	if code := switchboard.ErrorCode(err); code != switchboard.CodeInternal {
		t.Fatalf("code = %s, want 5000", code)
	}
}

// TestDecodeJSONBrokenBody: a body that fails mid-read (a client that hung up) is a 4000, with
// the read error kept as cause for the log.
func TestDecodeJSONBrokenBody(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := newRequest("application/json", io.MultiReader(strings.NewReader(`{"na`), errReader{boom}))
	err := DecodeJSON(httptest.NewRecorder(), r, &testBody{}, 0)
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok || e.Code != switchboard.CodeInvalid || e.Message != "body.malformed" || !errors.Is(err, boom) {
		t.Fatalf("DecodeJSON = %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestDecodeJSONResponses runs DecodeJSON failures through WriteError, as a handler does, and
// checks the statuses and the body a client sees.
func TestDecodeJSONResponses(t *testing.T) {
	t.Parallel()
	handler := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dst testBody
		if err := DecodeJSON(w, r, &dst, 64); err != nil {
			WriteError(w, r, err)
			return
		}
		WriteJSON(w, http.StatusCreated, dst)
	}))
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantBody                ErrorBody
	}{
		{"unsupported", "text/plain", `{}`, http.StatusUnsupportedMediaType,
			ErrorBody{Code: "4150", Message: "content type text/plain is not supported; send application/json"}},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", 100) + `"}`, http.StatusRequestEntityTooLarge,
			ErrorBody{Code: "4130", Message: "the request body is larger than 64 bytes"}},
		{"empty", "application/json", ``, http.StatusBadRequest,
			ErrorBody{Code: "4000", Message: "the request body is empty"}},
		{"malformed", "application/json", `{`, http.StatusBadRequest,
			ErrorBody{Code: "4000", Message: "the request body is not valid JSON"}},
		{"unknown", "application/json", `{"x":1}`, http.StatusBadRequest,
			ErrorBody{Code: "4000", Message: "x is not a known field", Details: []switchboard.FieldError{{Field: "x", Reason: "unknown"}}}},
		{"type", "application/json", `{"config":{"port":true}}`, http.StatusBadRequest,
			ErrorBody{Code: "4000", Message: "config.port has the wrong type", Details: []switchboard.FieldError{{Field: "config.port", Reason: "type"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, newRequest(tt.contentType, strings.NewReader(tt.body)))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			got := decodeErrorBody(t, rec)
			if got.RequestID == "" || got.RequestID != rec.Header().Get(HeaderRequestID) {
				t.Errorf("request_id = %q, header %q", got.RequestID, rec.Header().Get(HeaderRequestID))
			}
			got.RequestID = ""
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDecodeJSON: no body or content type makes DecodeJSON panic or return anything but nil
// or an *Error of a client-side code.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"name":"a","count":1,"tags":["x"],"config":{"port":1,"host":"h"},"labels":{"a":"b"}}`},
		{"application/json", `{"when":"2026-01-01T00:00:00Z","strict":"bad"}`},
		{"application/json", `[]`},
		{"application/json", `{"x":1}`},
		{"application/json", `{"config":{"port":"x"}}`},
		{"application/json; charset=utf-8", `{} {}`},
		{"", ``},
		{"text/plain", `hi`},
		{"application/json", "\xff\xfe"},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		r.Header["Content-Type"] = []string{ct}
		var dst testBody
		err := DecodeJSON(httptest.NewRecorder(), r, &dst, 4096)
		if err == nil {
			return
		}
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok {
			t.Fatalf("DecodeJSON returned %T: %v", err, err)
		}
		switch e.Code {
		case switchboard.CodeInvalid, switchboard.CodeTooLarge, switchboard.CodeUnsupportedMedia:
		default:
			t.Fatalf("DecodeJSON returned code %s: %v", e.Code, err)
		}
	})
}
