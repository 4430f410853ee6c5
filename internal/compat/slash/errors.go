package slash

import (
	"maps"
	"net/http"

	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

// WriteError writes err as the Slash error body, {"code":"4040","message":"connection not
// found"}, with the status of its code (400, 401, 403, 404, 409, 413, 415, 429, 500, 503 —
// the native table: Slash's codes are the same four-digit codes). The message is in the
// language of Accept-Language, and field names are the Slash ones. What a client may see is
// decided by httpx.SafeError.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := httpx.SafeError(r, err)
	if f, ok := e.Args["Field"].(string); ok {
		c := *e
		c.Args = maps.Clone(e.Args)
		c.Args["Field"] = wireField(f)
		e = &c
	}
	status := httpx.StatusOf(e.Code)
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", "Bearer")
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	h.Set("Content-Language", i18n.Match(r.Header.Get("Accept-Language")).String())
	h.Add("Vary", "Accept-Language")
	httpx.WriteJSON(w, status, errorBody{Code: string(e.Code), Message: httpx.Message(r, e)})
}
