package unified

import (
	"maps"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// errorBody is Unified.to's error response:
//
//	{"statusCode":400,"error":"Bad Request","message":"integration_type must not be blank"}
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
}

// statuses is Unified.to's table from error code to HTTP status: the native one, with a
// stale revision (only possible under a race the service already retries) as a conflict.
func statusOf(code switchboard.Code) int {
	if code == switchboard.CodePreconditionFailed {
		return http.StatusConflict
	}
	return httpx.StatusOf(code)
}

// fieldNames translates the core's field names into Unified.to's, for messages.
var fieldNames = map[string]string{
	"connector_id":       "integration_type",
	"connector_version":  "integration_type",
	"credentials.action": "auth",
	"connection_name":    "id",
	"config":             "auth",
}

// wireField renders a core field name ("config.token", "credentials.action[0]") the way a
// Unified.to client names it ("auth.token", "auth").
func wireField(f string) string {
	for from, to := range fieldNames {
		if f == from {
			return to
		}
		if rest, ok := strings.CutPrefix(f, from); ok && (rest[0] == '.' || rest[0] == '[') {
			if from == "credentials.action" {
				return to
			}
			return to + rest
		}
	}
	return f
}

// writeError writes err in Unified.to's shape, its message localized by Accept-Language
// (English for the SDK, which sends "Accept-Language: *").
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := httpx.SafeError(r, err)
	if f, ok := e.Args["Field"].(string); ok {
		c := *e
		c.Args = maps.Clone(e.Args)
		c.Args["Field"] = wireField(f)
		e = &c
	}
	status := statusOf(e.Code)
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		if h.Get("WWW-Authenticate") == "" {
			h.Set("WWW-Authenticate", "Bearer")
		}
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	h.Add("Vary", "Accept-Language")
	httpx.WriteJSON(w, status, errorBody{StatusCode: status, Error: http.StatusText(status), Message: httpx.Message(r, e)})
}
