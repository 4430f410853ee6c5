package auth

import (
	"net/http"
	"strings"
)

// BearerToken returns the token of an "Authorization: Bearer <token>" header. The scheme is
// matched case-insensitively (RFC 9110 §11.1). It reports false when the header is absent,
// repeated, of another scheme, or carries no token or one with spaces.
func BearerToken(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		// Two Authorization headers are ambiguous: a proxy and the app could each read a
		// different one.
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return cleanToken(token)
}

// BearerOrAuthToken returns the bearer token of r and, when allowXAuthToken is set and r has
// no Authorization header at all, the value of the X-Auth-Token header (SecMaster-compatible
// routes). An Authorization header that is present always wins, even when it is unusable, so a
// request cannot carry two identities.
func BearerOrAuthToken(r *http.Request, allowXAuthToken bool) (string, bool) {
	if !allowXAuthToken || len(r.Header.Values("Authorization")) > 0 {
		return BearerToken(r)
	}
	values := r.Header.Values("X-Auth-Token")
	if len(values) != 1 {
		return "", false
	}
	return cleanToken(values[0])
}

func cleanToken(token string) (string, bool) {
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// BareToken returns the value of a lone Authorization header that has no scheme, as the
// Unified.to SDK sends API keys ("Authorization: <key>"). A value with a scheme is not bare.
func BareToken(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	v := strings.TrimSpace(values[0])
	if strings.ContainsAny(v, " \t") {
		return "", false
	}
	return cleanToken(v)
}
