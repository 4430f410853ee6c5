package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// The API's stable error codes (Error.Code).
const (
	CodeInvalid            = "4000" // validation failed (Fields names the fields)
	CodeUnauthenticated    = "4010" // missing or bad credentials
	CodeForbidden          = "4030" // authenticated, not allowed
	CodeNotFound           = "4040" // no such object in the workspace
	CodeConflict           = "4090" // uniqueness, state or in-use conflict
	CodePreconditionFailed = "4120" // stale revision (If-Match)
	CodeTooLarge           = "4130" // request body over the limit
	CodeUnsupportedMedia   = "4150" // content type not accepted
	CodeRateLimited        = "4290" // too many requests
	CodeInternal           = "5000" // a fault of the server
	CodeUnavailable        = "5030" // a dependency of the server (its database) is down
)

// FieldError names a field of the request that failed validation and why ("required",
// "type", "unknown", ...).
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is an answer of the API other than a success. Message is the server's message, in
// the language asked for; it never holds a secret value. Code is empty when the answer was
// not the API's error body (a proxy's page, say): Message is then the HTTP status text.
type Error struct {
	Status    int          // HTTP status
	Code      string       // the API's stable code, e.g. "4040"; see the Code constants
	Message   string       // safe to show
	Fields    []FieldError // the fields at fault (validation errors)
	RequestID string       // the server's request id, for its logs
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("switchboard: ")
	b.WriteString(e.Message)
	if len(e.Fields) > 0 {
		b.WriteString(" (")
		for i, f := range e.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Field + ": " + f.Reason)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " [HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(", code " + e.Code)
	}
	if e.RequestID != "" {
		b.WriteString(", request " + e.RequestID)
	}
	b.WriteString("]")
	return b.String()
}

// HasCode reports whether err is an *Error with the given code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsNotFound reports whether err is the API's 404: no such object in the workspace.
func IsNotFound(err error) bool { return HasCode(err, CodeNotFound) }

// decodeError turns a failed response into an *Error.
func decodeError(resp *http.Response, data []byte) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var body struct {
		Code      string       `json:"code"`
		Message   string       `json:"message"`
		Details   []FieldError `json:"details"`
		RequestID string       `json:"request_id"`
	}
	if json.Unmarshal(data, &body) == nil && body.Code != "" {
		e.Code, e.Message, e.Fields = body.Code, body.Message, body.Details
		if body.RequestID != "" {
			e.RequestID = body.RequestID
		}
	}
	if e.Message == "" {
		// Not the API's body: its text is not shown, it may be anything.
		e.Message = strings.ToLower(http.StatusText(resp.StatusCode))
		if e.Message == "" {
			e.Message = "unexpected status"
		}
	}
	return e
}
