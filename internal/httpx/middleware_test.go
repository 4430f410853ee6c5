package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		incoming   string
		keep       bool
		remoteAddr string
		wantIP     string
		clientHash string
		wantHash   string
		userAgent  string
		wantUA     string
	}{
		{name: "kept", incoming: "abc-123_X.y", keep: true, remoteAddr: "192.0.2.1:1234", wantIP: "192.0.2.1"},
		{name: "kept at 64", incoming: strings.Repeat("a", 64), keep: true, remoteAddr: "[2001:db8::1]:443", wantIP: "2001:db8::1"},
		{name: "too long", incoming: strings.Repeat("a", 65), remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1"},
		{name: "absent", incoming: "", remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1"},
		{name: "space", incoming: "a b", remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1"},
		{name: "header injection", incoming: "a\r\nSet-Cookie: x=y", remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1"},
		{name: "log injection", incoming: `a"}{"admin":true`, remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1"},
		{name: "unicode", incoming: "réq", remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1"},
		{name: "no port", incoming: "x", keep: true, remoteAddr: "@unix", wantIP: "@unix"},
		{name: "client hash", incoming: "x", keep: true, remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1",
			clientHash: "sha256:q83vEjRWeJA=", wantHash: "sha256:q83vEjRWeJA="},
		{name: "client hash too long", incoming: "x", keep: true, remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1",
			clientHash: strings.Repeat("a", 129)},
		{name: "client hash odd bytes", incoming: "x", keep: true, remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1",
			clientHash: "abc def"},
		{name: "user agent", incoming: "x", keep: true, remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1",
			userAgent: "curl/8.5.0", wantUA: "curl/8.5.0"},
		{name: "user agent bounded", incoming: "x", keep: true, remoteAddr: "192.0.2.1:1", wantIP: "192.0.2.1",
			userAgent: strings.Repeat("u", 300), wantUA: strings.Repeat("u", 256) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got switchboard.RequestInfo
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = switchboard.RequestInfoFrom(r.Context())
				if RequestIDFrom(r.Context()) != got.RequestID {
					t.Error("RequestIDFrom disagrees with RequestInfo")
				}
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remoteAddr
			// Set the map directly: Header.Set would not stop a CR LF reaching the handler
			// on a real connection either, since net/http rejects those; the test shows
			// RequestID wouldn't echo them anyway.
			r.Header[HeaderRequestID] = []string{tt.incoming}
			if tt.clientHash != "" {
				r.Header.Set(HeaderClientHash, tt.clientHash)
			}
			r.Header.Set("User-Agent", tt.userAgent)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)

			if tt.keep && got.RequestID != tt.incoming {
				t.Errorf("request id = %q, want the incoming %q", got.RequestID, tt.incoming)
			}
			if !tt.keep && (got.RequestID == tt.incoming || !strings.HasPrefix(got.RequestID, "req_")) {
				t.Errorf("request id = %q, want a new req_ id", got.RequestID)
			}
			if h := rec.Header().Get(HeaderRequestID); h != got.RequestID {
				t.Errorf("response header = %q, context = %q", h, got.RequestID)
			}
			want := switchboard.RequestInfo{RequestID: got.RequestID, IP: tt.wantIP, ClientHash: tt.wantHash, UserAgent: tt.wantUA}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("RequestInfo (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		id := rec.Header().Get(HeaderRequestID)
		if seen[id] {
			t.Fatalf("duplicate request id %q", id)
		}
		seen[id] = true
	}
}

// TestRecover captures the default logger, so it doesn't run in parallel.
func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h := RequestID(Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999")
		panic("boom: token=abc")
	})))
	r := httptest.NewRequest(http.MethodPost, "/v1/x", strings.NewReader(`{"secret":"s3cr3t"}`))
	r.Header.Set(HeaderRequestID, "rid-7")
	r.Header.Set("Accept-Language", "ja")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)

	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d", rec.Code)
	}
	body := decodeErrorBody(t, rec)
	if diff := cmp.Diff(ErrorBody{Code: "5000", Message: "内部エラーが発生しました", RequestID: "rid-7"}, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if rec.Header().Get("Content-Length") != "" {
		t.Error("the handler's Content-Length survived")
	}
	l := logs.String()
	for _, want := range []string{`"level":"ERROR"`, `"panic":"value of type string"`, `"request_id":"rid-7"`, "stack"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q: %s", want, l)
		}
	}
	if strings.Contains(l, "s3cr3t") {
		t.Errorf("log holds the request body: %s", l)
	}
	// The panic value may hold a secret the handler had: only its type is logged.
	if strings.Contains(l, "token=abc") {
		t.Errorf("log holds the panic value: %s", l)
	}
	if n := strings.Count(l, "\n"); n != 1 {
		t.Errorf("%d log lines, want 1: %s", n, l)
	}
}

func TestRecoverAfterResponseStarted(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"partial":`))
		panic("late")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"partial":` {
		t.Errorf("got %d %q; want the handler's response untouched", rec.Code, rec.Body.String())
	}
}

func TestRecoverReraisesAbort(t *testing.T) {
	t.Parallel()
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}

// TestRecoverKeepsFlusher: wrapping the writer must not hide Flush from streaming handlers.
func TestRecoverKeepsFlusher(t *testing.T) {
	t.Parallel()
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if _, ok := w.(http.Flusher); !ok {
			t.Error("writer is not an http.Flusher")
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !rec.Flushed {
		t.Error("not flushed")
	}
}
