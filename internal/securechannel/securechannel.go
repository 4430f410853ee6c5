// Package securechannel lets a client send a request body encrypted to the server: a compact
// JWE (RFC 7516) with ECDH-ES key agreement (RFC 7518 §4.6) on P-256 to the server's published
// key and A256GCM content encryption, sent as "Content-Type: application/jose". Decrypt is the
// middleware that opens such a body before the handler sees it; PublicJWKS is the document that
// publishes the key; Seal is the client side (the "switchboard seal-body" command uses it).
//
// Only ECDH-ES with A256GCM is accepted: no key wrapping, no other content cipher, no
// compression ("zip"), no critical headers. The body is size-bounded before it is parsed.
package securechannel

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// ContentType is the media type of an encrypted body.
const ContentType = "application/jose"

// Algorithms: the only key agreement and content encryption accepted.
const (
	KeyAlgorithm      = jose.ECDH_ES
	ContentEncryption = jose.A256GCM
)

// DefaultLimit bounds the size of the decrypted body when no limit is given.
const DefaultLimit = 1 << 20

// Options configure Decrypt.
type Options struct {
	// Require refuses a body that is not encrypted (415). Requests without a body (GET) pass.
	Require bool
	// Limit is the largest decrypted body accepted, in bytes (<= 0: DefaultLimit); the
	// encrypted body may be its base64 size plus headers.
	Limit int64
	// WriteError writes a refusal in the route's error shape (nil: httpx.WriteError).
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
}

// Decrypt returns middleware that opens "application/jose" request bodies encrypted to key
// and hands the handler the plaintext as "application/json". Other bodies pass untouched
// unless opts.Require is set. Refusals: 413 for a body over the limit, 415 for a plain body
// where encryption is required or an encrypted one whose content type is not JSON, 400 for a
// body that is not a compact JWE, uses another algorithm, is not for this key or does not
// decrypt.
func Decrypt(key *ecdsa.PrivateKey, opts Options) func(http.Handler) http.Handler {
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	// base64url of the ciphertext, plus room for the header, IV and tag.
	wireLimit := limit/3*4 + 8<<10
	writeError := opts.WriteError
	if writeError == nil {
		writeError = httpx.WriteError
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !isJOSE(r.Header.Get("Content-Type")) {
				if opts.Require && hasBody(r) {
					writeError(w, r, switchboard.Errorf(switchboard.CodeUnsupportedMedia, "securechannel.required"))
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wireLimit))
			if err != nil {
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					writeError(w, r, switchboard.Errorf(switchboard.CodeTooLarge, "body.too_large", "Limit", limit))
					return
				}
				writeError(w, r, switchboard.Errorf(switchboard.CodeInvalid, "securechannel.invalid"))
				return
			}
			plain, err := open(key, string(bytes.TrimSpace(raw)))
			if err != nil {
				writeError(w, r, err)
				return
			}
			if int64(len(plain)) > limit {
				writeError(w, r, switchboard.Errorf(switchboard.CodeTooLarge, "body.too_large", "Limit", limit))
				return
			}
			r2 := r.Clone(r.Context())
			r2.Body = io.NopCloser(bytes.NewReader(plain))
			r2.ContentLength = int64(len(plain))
			r2.Header.Set("Content-Type", "application/json")
			r2.Header.Set("Content-Length", strconv.Itoa(len(plain)))
			next.ServeHTTP(w, r2)
		})
	}
}

func isJOSE(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == ContentType
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// protected is the part of a JWE protected header checked before anything is decrypted.
type protected struct {
	Alg  string          `json:"alg"`
	Enc  string          `json:"enc"`
	Zip  *string         `json:"zip"`
	Cty  *string         `json:"cty"`
	Crit json.RawMessage `json:"crit"`
}

// open parses and decrypts a compact JWE. Its errors are *switchboard.Error, safe to show: they
// never quote the input.
func open(key *ecdsa.PrivateKey, compact string) ([]byte, error) {
	invalid := switchboard.Errorf(switchboard.CodeInvalid, "securechannel.invalid")
	head, _, ok := strings.Cut(compact, ".")
	if !ok || strings.Count(compact, ".") != 4 || len(head) > 4096 {
		return nil, invalid
	}
	rawHead, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return nil, invalid
	}
	var h protected
	if err := json.Unmarshal(rawHead, &h); err != nil {
		return nil, invalid
	}
	// Checked here, before the library sees the message, so that what is accepted does not
	// depend on the library's error texts or defaults.
	if h.Alg != string(KeyAlgorithm) || h.Enc != string(ContentEncryption) {
		return nil, switchboard.Errorf(switchboard.CodeInvalid, "securechannel.algorithm",
			"Alg", string(KeyAlgorithm), "Enc", string(ContentEncryption))
	}
	if h.Zip != nil || len(h.Crit) > 0 {
		return nil, invalid
	}
	if h.Cty != nil {
		if mt, _, err := mime.ParseMediaType(*h.Cty); err != nil || (mt != "application/json" && mt != "json") {
			return nil, switchboard.Errorf(switchboard.CodeUnsupportedMedia, "securechannel.content_type")
		}
	}
	obj, err := jose.ParseEncryptedCompact(compact,
		[]jose.KeyAlgorithm{KeyAlgorithm}, []jose.ContentEncryption{ContentEncryption})
	if err != nil {
		return nil, invalid
	}
	plain, err := obj.Decrypt(key)
	if err != nil {
		return nil, invalid
	}
	return plain, nil
}

// KeyID is the id the published key carries: its RFC 7638 thumbprint, base64url.
func KeyID(pub *ecdsa.PublicKey) string {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// PublicJWKS returns the JSON Web Key Set publishing key's public half for encryption: one
// P-256 key with "use":"enc", "alg":"ECDH-ES" and its thumbprint as "kid".
func PublicJWKS(key *ecdsa.PrivateKey) ([]byte, error) {
	if key == nil || key.Curve != elliptic.P256() {
		return nil, errors.New("securechannel: the key must be a P-256 private key")
	}
	pub := &key.PublicKey
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: pub, KeyID: KeyID(pub), Use: "enc", Algorithm: string(KeyAlgorithm),
	}}}
	return json.Marshal(set)
}

// Handler serves PublicJWKS(key) as application/jwk-set+json.
func Handler(key *ecdsa.PrivateKey) http.Handler {
	doc, err := PublicJWKS(key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			httpx.WriteError(w, r, switchboard.Internal(err))
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		// The key changes only with the keyring's active key; let clients cache it briefly.
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(doc)
	})
}
