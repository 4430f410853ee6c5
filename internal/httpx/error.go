// Package httpx is the HTTP plumbing every Switchboard surface shares: JSON request decoding
// with limits, JSON and error responses, the one table from error code to HTTP status,
// request ids, panic recovery, ETags and page tokens. It uses net/http only; the native API and
// the vendor-compatible APIs build on it, each keeping its own routes and wire types.
package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

// statuses is the one table from error code to HTTP status for the native API. Compat
// surfaces with other status conventions keep their own table and may start from StatusOf.
var statuses = map[switchboard.Code]int{
	switchboard.CodeInvalid:            http.StatusBadRequest,
	switchboard.CodeUnauthenticated:    http.StatusUnauthorized,
	switchboard.CodeForbidden:          http.StatusForbidden,
	switchboard.CodeNotFound:           http.StatusNotFound,
	switchboard.CodeConflict:           http.StatusConflict,
	switchboard.CodePreconditionFailed: http.StatusPreconditionFailed,
	switchboard.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	switchboard.CodeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	switchboard.CodeRateLimited:        http.StatusTooManyRequests,
	switchboard.CodeInternal:           http.StatusInternalServerError,
	switchboard.CodeUnavailable:        http.StatusServiceUnavailable,
}

// StatusOf returns the HTTP status for code; an unknown code is a fault of ours, so 500.
func StatusOf(code switchboard.Code) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the native API's error response:
//
//	{"code":"4000","message":"name must not be blank","details":[{"field":"name","reason":"required"}],"request_id":"req_..."}
type ErrorBody struct {
	Code      switchboard.Code         `json:"code"`
	Message   string                   `json:"message"`
	Details   []switchboard.FieldError `json:"details,omitempty"`
	RequestID string                   `json:"request_id,omitempty"`
}

// SafeError returns err as an *switchboard.Error fit to show the client of r, and logs what
// the client won't see. Any error that is not an *Error, and any *Error of code 5000 or of a
// code the status table doesn't know, becomes a bare "internal" error: its text and cause go to
// the log (with the request id), never to the response. Compat surfaces call it before
// translating the error into their own body.
func SafeError(r *http.Request, err error) *switchboard.Error {
	e := switchboard.AsError(err)
	_, known := statuses[e.Code]
	if e.Code == switchboard.CodeInternal || !known {
		// Policy: errors never hold secrets, so logging the whole chain is safe and is the only
		// way to debug a 500.
		slog.ErrorContext(r.Context(), "internal error",
			"request_id", RequestIDFrom(r.Context()),
			"method", r.Method, "path", r.URL.Path,
			"err", err.Error())
		return &switchboard.Error{Code: switchboard.CodeInternal, Message: "internal"}
	}
	if e.Code == switchboard.CodeUnavailable && e.Cause != nil {
		slog.WarnContext(r.Context(), "unavailable",
			"request_id", RequestIDFrom(r.Context()),
			"method", r.Method, "path", r.URL.Path,
			"err", err.Error())
	}
	return e
}

// Message returns the text of e in the language r asks for (Accept-Language), falling back to
// English and then to the generic message of e's code. Compat surfaces with their own error
// shapes use it so their messages are localized the same way.
func Message(r *http.Request, e *switchboard.Error) string {
	return i18n.LocalizeCode(i18n.Match(r.Header.Get("Accept-Language")), string(e.Code), e.Message, e.Args)
}

// WriteError writes err as the native error body with the status of its code. See SafeError
// for what a client may see. A 401 carries WWW-Authenticate: Bearer and a 503 Retry-After: 1,
// unless the handler set its own.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, SafeError(r, err))
}

// writeError writes e, already safe to show, as the native error body.
func writeError(w http.ResponseWriter, r *http.Request, e *switchboard.Error) {
	status := StatusOf(e.Code)
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		setDefault(h, "WWW-Authenticate", "Bearer")
	case http.StatusServiceUnavailable:
		setDefault(h, "Retry-After", "1")
	}
	tag := i18n.Match(r.Header.Get("Accept-Language"))
	h.Set("Content-Language", tag.String())
	h.Add("Vary", "Accept-Language")
	// An error is about this request only; a shared cache must not replay it.
	h.Set("Cache-Control", "no-store")
	WriteJSON(w, status, ErrorBody{
		Code:      e.Code,
		Message:   i18n.LocalizeCode(tag, string(e.Code), e.Message, e.Args),
		Details:   e.Details,
		RequestID: requestID(w, r),
	})
}

// requestID is the id of r: from the context (RequestID middleware), else from the response
// header a middleware may have set without touching the context.
func requestID(w http.ResponseWriter, r *http.Request) string {
	if id := RequestIDFrom(r.Context()); id != "" {
		return id
	}
	return w.Header().Get(HeaderRequestID)
}

func setDefault(h http.Header, key, value string) {
	if h.Get(key) == "" {
		h.Set(key, value)
	}
}

// WriteJSON writes v as JSON with the given status. v is encoded before anything is written,
// so a value that can't be encoded gives a clean 500 instead of a truncated 200. A 204 or 304
// gets no body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	buf.Reset()
	// Encode writes what json.Marshal returns plus the final newline, into a buffer kept
	// between responses: a list page is tens of kilobytes, built again for every request.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		slog.Error("encode response", "err", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"code":"5000","message":"internal error"}` + "\n")
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client has gone; nothing to do
}

var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one huge response from pinning its buffer in the pool.
const maxPooledBuffer = 1 << 20

func putEncodeBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		encodeBuffers.Put(b)
	}
}
