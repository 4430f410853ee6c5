package versori

import (
	"errors"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// errorJSON is Versori's Error schema: a machine-readable code, a human-readable message
// (localized by Accept-Language) and, for validation failures, the fields at fault in the
// "field1.field2[0].field3" form.
type errorJSON struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Fields  []errorFieldJSON `json:"fields,omitempty"`
}

type errorFieldJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// statusOf is the one table from core error to Versori status and code. The spec names only
// 412 (a connection in use) besides success; the codes are the status names in snake case.
func statusOf(e *switchboard.Error) (int, string) {
	switch e.Code {
	case switchboard.CodeInvalid:
		return http.StatusBadRequest, "bad_request"
	case switchboard.CodeUnauthenticated:
		return http.StatusUnauthorized, "unauthorized"
	case switchboard.CodeForbidden:
		return http.StatusForbidden, "forbidden"
	case switchboard.CodeNotFound:
		return http.StatusNotFound, "not_found"
	case switchboard.CodeConflict:
		if e.Message == "connection.in_use" {
			// Versori: "412 Precondition Failed - Connection is in use by another product".
			return http.StatusPreconditionFailed, "precondition_failed"
		}
		return http.StatusConflict, "conflict"
	case switchboard.CodePreconditionFailed:
		return http.StatusPreconditionFailed, "precondition_failed"
	case switchboard.CodeTooLarge:
		return http.StatusRequestEntityTooLarge, "payload_too_large"
	case switchboard.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType, "unsupported_media_type"
	case switchboard.CodeRateLimited:
		return http.StatusTooManyRequests, "too_many_requests"
	case switchboard.CodeUnavailable:
		return http.StatusServiceUnavailable, "unavailable"
	}
	return http.StatusInternalServerError, "internal"
}

// writeError writes err in Versori's error shape. It is also the error writer the server uses
// for this family's authentication failures.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := httpx.SafeError(r, err)
	status, code := statusOf(e)
	body := errorJSON{Code: code, Message: httpx.Message(r, e)}
	for _, d := range e.Details {
		fe := &switchboard.Error{Code: e.Code, Message: "field." + d.Reason, Args: map[string]any{"Field": d.Field}}
		body.Fields = append(body.Fields, errorFieldJSON{Field: d.Field, Message: httpx.Message(r, fe)})
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", "Bearer")
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Language")
	httpx.WriteJSON(w, status, body)
}

// renameFields rewrites the field names of a core validation error into Versori's names:
// rename maps a core field (or a prefix of one, ending before "." or "[") to its Versori name.
// Args are rewritten too, so the message names the Versori field.
func renameFields(err error, rename func(string) string) error {
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok || e.Code != switchboard.CodeInvalid {
		return err
	}
	out := *e
	out.Details = make([]switchboard.FieldError, len(e.Details))
	for i, d := range e.Details {
		out.Details[i] = switchboard.FieldError{Field: rename(d.Field), Reason: d.Reason}
	}
	if f, ok := e.Args["Field"].(string); ok {
		out.Args = make(map[string]any, len(e.Args))
		for k, v := range e.Args {
			out.Args[k] = v
		}
		out.Args["Field"] = rename(f)
	}
	return &out
}

// connectionField maps a core connection field to the Versori one.
func connectionField(f string) string {
	switch {
	case f == "connection_name":
		return "name"
	case strings.HasPrefix(f, "credentials.") && strings.HasSuffix(f, "]"):
		// the core names the reference; Versori the credential's id within the entry
		return f + ".credential.id"
	}
	return f
}

// invalid is a Versori field error with the core reason.
func invalid(field, reason string) *switchboard.Error { return switchboard.Invalid(field, reason) }
