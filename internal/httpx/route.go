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
	// TokenHuaweiOrBearerOrXAuthToken: a request signed with an access key
	// ("Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...", as
	// Huawei Cloud's SDKs sign), else what TokenBearerOrXAuthToken reads. The server reads
	// the body (within its limit) to verify the signature and hands it on unchanged.
	TokenHuaweiOrBearerOrXAuthToken
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
	// SecureChannel says whether the body may (or must) arrive encrypted to the server's
	// SecureChannel key ("Content-Type: application/jose"); the server decrypts it after
	// authentication, before Handler runs, and refuses bad bodies with WriteError.
	SecureChannel SecureChannelMode
}

// SecureChannelMode is how a route treats encrypted request bodies.
type SecureChannelMode int

// SecureChannel modes.
const (
	// SecureChannelOff: no decryption; an application/jose body is refused like any
	// unsupported content type.
	SecureChannelOff SecureChannelMode = iota
	// SecureChannelAccept: an application/jose body is decrypted; a plain JSON body is taken too.
	SecureChannelAccept
	// SecureChannelRequire: a request with a body must send it encrypted (415 otherwise).
	SecureChannelRequire
)
