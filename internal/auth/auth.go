// Package auth turns a bearer token — an API key or a JWT — into a *switchboard.Principal, and
// verifies requests signed with an access key the way Huawei Cloud's SDKs sign them
// (SDK-HMAC-SHA256, see AuthenticateHuawei).
//
// API keys are looked up by their SHA-256 hash. JWTs are verified with an algorithm allow-list:
// HS256 against a configured secret, RS256 and ES256 against the keys of a JWKS URL, which is
// refreshed in the background. Keys are never taken from the token itself (jku, x5u, jwk and x5c
// headers are ignored), so a token cannot make the service fetch anything.
//
// A JWT must carry exp, and iss and aud when the Config names them; exp, nbf and iat must be
// JSON numbers, and iat, when present, not in the future. Its claims map to the
// Principal as follows; a missing or malformed required claim refuses the token:
//
//	sub         Subject (required)
//	tenant_id   TenantID (required)
//	role        Role: owner, admin, editor or viewer (required)
//	workspaces  Workspaces: an array of ids, ["*"] for all of the tenant's; absent = none
//	scope       Scopes, OAuth style: one space-separated string
//	scopes      Scopes, as an array; merged with scope
//
// Every failure is the same error to the client: Code switchboard.CodeUnauthenticated, Message
// "unauthenticated". The reason is in Cause, for logs; it never contains the token.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard"
)

// MaxTokenLen is the longest bearer token Authenticate looks at. Longer tokens are refused
// before any decoding, so an oversized header costs nothing.
const MaxTokenLen = 16 << 10

// MinHS256SecretLen is the shortest HS256 secret New and MintHS256 accept: RFC 7518 §3.2
// requires a key at least as long as the hash output.
const MinHS256SecretLen = 32

// KeyLookup finds an API key by the hash of the key. switchboard.Store satisfies it.
type KeyLookup interface {
	// GetAPIKeyByHash returns the key (revoked or not) whose hash is hash. NotFound when
	// there is none.
	GetAPIKeyByHash(ctx context.Context, hash []byte) (*switchboard.APIKey, error)
}

// Config says which JWTs an Authenticator accepts. With neither HS256Secret nor JWKSURL set,
// only API keys are accepted.
type Config struct {
	// HS256Secret enables HS256 tokens signed with this secret (at least MinHS256SecretLen
	// bytes). Empty means HS256 is off.
	HS256Secret []byte
	// JWKSURL enables RS256 and ES256 tokens verified with the keys published at this URL
	// (https, or http on a loopback address). Audience is required with it.
	JWKSURL string
	// Issuer, when set, must equal the iss claim.
	Issuer string
	// Audience, when set, must be one of the aud claim's values.
	Audience string
	// Leeway is the clock skew allowed when checking exp and nbf; at most 5 minutes.
	Leeway time.Duration
	// HTTPClient fetches the JWKS; nil means a client with a 10 s timeout. Responses are
	// capped at 1 MiB whatever the client.
	HTTPClient *http.Client
	// AccessKeys enables Huawei SDK-HMAC-SHA256 signatures (AuthenticateHuawei) with the
	// access keys it finds; nil means signed requests are refused.
	AccessKeys AccessKeyLookup
	// HuaweiClockSkew is how far a signed request's X-Sdk-Date may be from now, either way;
	// zero means DefaultHuaweiClockSkew, at most one hour.
	HuaweiClockSkew time.Duration
}

// Authenticator verifies bearer tokens. It is safe for concurrent use.
type Authenticator struct {
	keys   KeyLookup
	secret []byte          // HS256 key; nil when HS256 is off
	jwks   keyfunc.Keyfunc // nil when RS256/ES256 are off
	parser *jwt.Parser     // nil when no JWT is accepted
	cancel context.CancelFunc

	accessKeys AccessKeyLookup // nil when signed requests are refused
	huaweiSkew time.Duration
	now        func() time.Time
}

// New returns an Authenticator that looks API keys up in keys and verifies JWTs as cfg says.
// When cfg.JWKSURL is set, New fetches the key set once (a failure is logged, not returned, so
// the service can start while the identity provider is down) and refreshes it in the
// background until Close is called or ctx is done.
func New(ctx context.Context, keys KeyLookup, cfg Config) (*Authenticator, error) {
	if keys == nil {
		return nil, errors.New("auth: nil KeyLookup")
	}
	if len(cfg.HS256Secret) > 0 && len(cfg.HS256Secret) < MinHS256SecretLen {
		return nil, fmt.Errorf("auth: HS256 secret shorter than %d bytes", MinHS256SecretLen)
	}
	if cfg.Leeway < 0 || cfg.Leeway > 5*time.Minute {
		return nil, fmt.Errorf("auth: leeway %v out of range [0, 5m]", cfg.Leeway)
	}
	if cfg.HuaweiClockSkew < 0 || cfg.HuaweiClockSkew > time.Hour {
		return nil, fmt.Errorf("auth: Huawei clock skew %v out of range [0, 1h]", cfg.HuaweiClockSkew)
	}
	a := &Authenticator{keys: keys, cancel: func() {}, accessKeys: cfg.AccessKeys, huaweiSkew: cfg.HuaweiClockSkew, now: time.Now}
	if a.huaweiSkew == 0 {
		a.huaweiSkew = DefaultHuaweiClockSkew
	}
	var methods []string
	if len(cfg.HS256Secret) > 0 {
		a.secret = append([]byte(nil), cfg.HS256Secret...)
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSURL != "" {
		if cfg.Audience == "" {
			// One identity provider signs tokens for many applications; without an audience
			// check a token issued to any of them would be accepted here.
			return nil, errors.New("auth: Audience is required with JWKSURL")
		}
		rctx, cancel := context.WithCancel(ctx)
		kf, err := newJWKS(rctx, cfg.JWKSURL, cfg.HTTPClient)
		if err != nil {
			cancel()
			return nil, err
		}
		a.jwks, a.cancel = kf, cancel
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	if len(methods) > 0 {
		opts := []jwt.ParserOption{
			jwt.WithValidMethods(methods),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(cfg.Leeway),
			// One token, one spelling: refuse base64 with non-zero padding bits, so a token
			// cannot be varied without changing what it says (deny-lists, caches, logs).
			jwt.WithStrictDecoding(),
			// A token issued in the future (beyond the leeway) is refused like one not yet
			// valid: a clock that far off, or a minted-ahead token, is not to be trusted.
			jwt.WithIssuedAt(),
		}
		if cfg.Issuer != "" {
			opts = append(opts, jwt.WithIssuer(cfg.Issuer))
		}
		if cfg.Audience != "" {
			opts = append(opts, jwt.WithAudience(cfg.Audience))
		}
		a.parser = jwt.NewParser(opts...)
	}
	return a, nil
}

// Close stops the background JWKS refresh. It is safe to call more than once.
func (a *Authenticator) Close() error {
	a.cancel()
	return nil
}

// Authenticate returns the principal token stands for: an API key when it has the API key
// prefix, a JWT otherwise. Any failure of the token is an Unauthenticated error with the reason
// in Cause; a failure of the key store other than NotFound is returned as the store's error.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*switchboard.Principal, error) {
	switch {
	case token == "":
		return nil, unauthenticated(errors.New("empty token"))
	case len(token) > MaxTokenLen:
		return nil, unauthenticated(fmt.Errorf("token of %d bytes is over the limit", len(token)))
	case switchboard.LooksLikeAPIKey(token):
		return a.authenticateAPIKey(ctx, token)
	default:
		return a.authenticateJWT(ctx, token)
	}
}

// unauthenticated returns the one error every refused token gets; cause is for logs only and
// must not contain the token.
func unauthenticated(cause error) *switchboard.Error {
	return &switchboard.Error{Code: switchboard.CodeUnauthenticated, Message: "unauthenticated", Cause: cause}
}
