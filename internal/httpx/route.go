package httpx

import "net/http"

// TokenSource says where a route reads the caller's credential from: vendors' clients send it
// in different places.
type TokenSource int

// Token sources.
const (
	// TokenBearer: "Authorization: Bearer <token>".
	TokenBearer TokenSource = iota
	// TokenBearerOrXAuthToken: a bearer token, or "X-Auth-Token: <token>" when there is no
	// Authorization header (Huawei Cloud clients).
	TokenBearerOrXAuthToken
	// TokenBearerOrBare: a bearer token, or "Authorization: <token>" with no scheme (the
	// Unified.to SDK sends the key bare).
	TokenBearerOrBare
)

// Route is a route of a compatibility API: the server mounts it behind authentication, reading
// the credential from Token and writing authentication failures with WriteError, so each
// vendor's clients get the vendor's error shape even for a 401.
type Route struct {
	Method     string
	Path       string // a net/http ServeMux path pattern
	Handler    http.Handler
	Token      TokenSource
	WriteError func(w http.ResponseWriter, r *http.Request, err error) // nil: WriteError
}
