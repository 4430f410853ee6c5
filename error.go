package switchboard

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable error code, shown to clients. Each HTTP surface maps codes to statuses in
// one table.
type Code string

// Error codes.
const (
	CodeInvalid            Code = "4000" // validation failed
	CodeUnauthenticated    Code = "4010" // missing or bad credentials
	CodeForbidden          Code = "4030" // authenticated, not allowed
	CodeNotFound           Code = "4040" // no such object in the caller's workspace
	CodeConflict           Code = "4090" // uniqueness, state or in-use conflict
	CodePreconditionFailed Code = "4120" // stale revision (If-Match)
	CodeTooLarge           Code = "4130" // request body over the limit
	CodeUnsupportedMedia   Code = "4150" // content type not accepted
	CodeRateLimited        Code = "4290" // too many requests
	CodeInternal           Code = "5000" // a fault of ours; never carries internal text
	CodeUnavailable        Code = "5030" // a dependency (the database) is down
)

// FieldError names one field that failed validation and why, as a short machine-readable
// reason ("required", "type", "enum", "pattern", "unknown", ...).
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the one error type of Switchboard. Message is a message-catalog key and Args its
// template data; both are safe to show. Cause is for logs only and never reaches a client.
type Error struct {
	Code    Code
	Message string         // catalog key, e.g. "field.required"
	Args    map[string]any // template data for Message; never holds a secret
	Details []FieldError
	Cause   error
}

// Error returns the English text of the error (for logs and tests; clients get a localized
// message from the catalog).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	b.WriteString(" ")
	b.WriteString(e.Message)
	for k, v := range e.Args {
		fmt.Fprintf(&b, " %s=%v", k, v)
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with the given code, message key and args given as key/value pairs.
func Errorf(code Code, message string, kv ...any) *Error {
	e := &Error{Code: code, Message: message}
	if len(kv) > 0 {
		e.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return e
}

// Invalid returns a validation error for one field with the given reason. The message key is
// "field.<reason>" with the field name as the Field arg.
func Invalid(field, reason string) *Error {
	return &Error{
		Code:    CodeInvalid,
		Message: "field." + reason,
		Args:    map[string]any{"Field": field},
		Details: []FieldError{{Field: field, Reason: reason}},
	}
}

// Internal wraps an unexpected error: the client sees only "internal error".
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: "internal", Cause: cause}
}

// Common errors. They are values: compare with ErrorCode, not identity.
var (
	ErrNotFound = &Error{Code: CodeNotFound, Message: "not_found"}
)

// NotFound returns a not-found error naming the kind of object ("connection", "workspace").
func NotFound(kind string) *Error {
	return Errorf(CodeNotFound, "not_found", "Kind", kind)
}

// Conflict returns a conflict error with the given message key.
func Conflict(message string, kv ...any) *Error { return Errorf(CodeConflict, message, kv...) }

// ErrorCode returns the code of err: the Code of an *Error in its chain, CodeInternal for any
// other non-nil error, "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, wrapping anything else as Internal.
func AsError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return Internal(err)
}
