package auth0

import (
	"net/http"
	"slices"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// statuses maps core codes to Auth0's statuses and their "error" texts.
var statuses = map[switchboard.Code]struct {
	status int
	text   string
}{
	switchboard.CodeInvalid:            {http.StatusBadRequest, "Bad Request"},
	switchboard.CodeUnauthenticated:    {http.StatusUnauthorized, "Unauthorized"},
	switchboard.CodeForbidden:          {http.StatusForbidden, "Forbidden"},
	switchboard.CodeNotFound:           {http.StatusNotFound, "Not Found"},
	switchboard.CodeConflict:           {http.StatusConflict, "Conflict"},
	switchboard.CodePreconditionFailed: {http.StatusPreconditionFailed, "Precondition Failed"},
	switchboard.CodeTooLarge:           {http.StatusRequestEntityTooLarge, "Request Entity Too Large"},
	switchboard.CodeUnsupportedMedia:   {http.StatusUnsupportedMediaType, "Unsupported Media Type"},
	switchboard.CodeRateLimited:        {http.StatusTooManyRequests, "Too Many Requests"},
	switchboard.CodeInternal:           {http.StatusInternalServerError, "Internal Server Error"},
	switchboard.CodeUnavailable:        {http.StatusServiceUnavailable, "Service Unavailable"},
}

// queryParams are the list parameters: a bad one is invalid_query_string, not invalid_body.
var queryParams = []string{"page", "per_page", "include_totals", "is_enabled"}

// errorWriter returns the error writer of a route that needs scope: a 403 names it, as
// Auth0's insufficient_scope does.
func errorWriter(scope string) func(w http.ResponseWriter, r *http.Request, err error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		e := httpx.SafeError(r, err)
		st, ok := statuses[e.Code]
		if !ok {
			st = statuses[switchboard.CodeInternal]
		}
		body := errorJSON{StatusCode: st.status, Error: st.text, Message: httpx.Message(r, e)}
		switch e.Code {
		case switchboard.CodeInvalid:
			body.ErrorCode = "invalid_body"
			if e.Message == switchboard.ErrSignupNeedsMembership {
				body.Message = "Only database connections with assign_membership_on_login = true support is_signup_enabled = true."
			}
			if len(e.Details) > 0 && slices.Contains(queryParams, e.Details[0].Field) {
				body.ErrorCode = "invalid_query_string"
			}
		case switchboard.CodeUnauthenticated:
			body.Message = "Invalid token"
			w.Header().Set("WWW-Authenticate", `Bearer realm="Auth0", error="invalid_token"`)
		case switchboard.CodeForbidden:
			body.ErrorCode = "insufficient_scope"
			body.Message = "Insufficient scope, expected any of: " + scope
		case switchboard.CodeNotFound:
			switch kind, _ := e.Args["Kind"].(string); kind {
			case "connection":
				body.ErrorCode, body.Message = "inexistent_connection", "The connection does not exist"
			case "organization_connection":
				body.Message = "No connection found by that id"
			case "organization", "workspace":
				// The caller's workspace not being found says as little as its organization.
				body.ErrorCode, body.Message = "inexistent_organization", "No organization found by that id or name"
			}
		case switchboard.CodeUnavailable:
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, st.status, body)
	}
}
