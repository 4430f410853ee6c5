package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard"
)

// minRSABits is the smallest RSA modulus accepted for RS256.
const minRSABits = 2048

// tokenClaims is the wire form of the claims Switchboard reads from a JWT.
type tokenClaims struct {
	jwt.RegisteredClaims
	TenantID   string   `json:"tenant_id,omitempty"`
	Workspaces []string `json:"workspaces,omitempty"`
	Role       string   `json:"role,omitempty"`
	Scope      string   `json:"scope,omitempty"`  // OAuth style: space-separated
	Scopes     []string `json:"scopes,omitempty"` // array style
}

func (a *Authenticator) authenticateJWT(ctx context.Context, token string) (*switchboard.Principal, error) {
	if a.parser == nil {
		return nil, unauthenticated(errors.New("jwt: no JWT verification is configured"))
	}
	var claims tokenClaims
	if _, err := a.parser.ParseWithClaims(token, &claims, a.keyfunc(ctx)); err != nil {
		// jwt errors name the failed check (signature, exp, aud, ...) but never echo the
		// token, so they are safe to keep as the cause.
		return nil, unauthenticated(fmt.Errorf("jwt: %w", err))
	}
	if err := numericDates(token); err != nil {
		return nil, unauthenticated(fmt.Errorf("jwt: %w", err))
	}
	p, err := claims.principal()
	if err != nil {
		return nil, unauthenticated(fmt.Errorf("jwt: %w", err))
	}
	return p, nil
}

// numericDates refuses a token whose exp, nbf or iat is not a JSON number (RFC 7519 §2,
// NumericDate). golang-jwt also takes a quoted number ("exp":"9999999999"); one spelling per
// claim keeps every reader of the token, and every deny-list, agreeing on what it says. Only
// tokens whose signature verified get here, so the extra decoding costs forgers nothing.
func numericDates(token string) error {
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return err
	}
	// Matched case-insensitively, as encoding/json matches jwt.RegisteredClaims.
	var c struct{ Exp, Nbf, Iat json.RawMessage }
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		v    json.RawMessage
	}{{"exp", c.Exp}, {"nbf", c.Nbf}, {"iat", c.Iat}} {
		if len(d.v) > 0 && d.v[0] != '-' && (d.v[0] < '0' || d.v[0] > '9') {
			return fmt.Errorf("%s is not a number", d.name)
		}
	}
	return nil
}

// keyfunc returns the jwt.Keyfunc for one request. It chooses the key from the token's alg,
// never the other way round: the HMAC secret only for HS256, JWKS keys only for RS256 and
// ES256 and only when the key's type fits the alg. This is what stops alg confusion (an HS256
// token "signed" with the RSA public key) whatever the key set holds.
func (a *Authenticator) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if crit, ok := t.Header["crit"]; ok {
			// RFC 7515 §4.1.11: we understand no extension, so any crit header is fatal.
			return nil, fmt.Errorf("unsupported crit header %v", crit)
		}
		alg := t.Method.Alg()
		switch alg {
		case jwt.SigningMethodHS256.Alg():
			if a.secret == nil {
				return nil, errors.New("HS256 is not enabled")
			}
			return a.secret, nil
		case jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg():
			if a.jwks == nil {
				return nil, fmt.Errorf("%s is not enabled", alg)
			}
		default:
			return nil, fmt.Errorf("alg %q is not allowed", alg)
		}
		got, err := a.jwks.KeyfuncCtx(ctx)(t)
		if err != nil {
			return nil, err
		}
		switch k := got.(type) {
		case jwt.VerificationKeySet: // no kid: try every key that fits the alg
			var fit jwt.VerificationKeySet
			for _, key := range k.Keys {
				if keyFits(alg, key) {
					fit.Keys = append(fit.Keys, key)
				}
			}
			if len(fit.Keys) == 0 {
				return nil, fmt.Errorf("no %s key in the JWKS", alg)
			}
			return fit, nil
		default:
			if !keyFits(alg, got) {
				return nil, fmt.Errorf("JWKS key (%T) does not fit alg %s in type or size", got, alg)
			}
			return got, nil
		}
	}
}

// keyFits reports whether key is a public key of the type and strength alg needs.
func keyFits(alg string, key any) bool {
	switch alg {
	case jwt.SigningMethodRS256.Alg():
		k, ok := key.(*rsa.PublicKey)
		return ok && k.N != nil && k.N.BitLen() >= minRSABits
	case jwt.SigningMethodES256.Alg():
		k, ok := key.(*ecdsa.PublicKey)
		return ok && k.Curve == elliptic.P256()
	}
	return false
}

// principal maps verified claims to a principal. Every field the domain relies on is required
// and checked here, so a token that verifies but says too little is still refused.
func (c *tokenClaims) principal() (*switchboard.Principal, error) {
	if c.Subject == "" {
		return nil, errors.New("missing sub")
	}
	if c.TenantID == "" {
		return nil, errors.New("missing tenant_id")
	}
	role := switchboard.Role(c.Role)
	if c.Role == "" {
		return nil, errors.New("missing role")
	}
	if !role.Valid() {
		return nil, fmt.Errorf("invalid role %q", c.Role)
	}
	if slices.Contains(c.Workspaces, "") {
		return nil, errors.New("empty workspace id")
	}
	if slices.Contains(c.Scopes, "") {
		return nil, errors.New("empty scope")
	}
	scopes := append(strings.Fields(c.Scope), c.Scopes...)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	if len(scopes) == 0 {
		scopes = nil
	}
	return &switchboard.Principal{
		Subject:    c.Subject,
		TenantID:   c.TenantID,
		Workspaces: slices.Clone(c.Workspaces),
		Role:       role,
		Scopes:     scopes,
	}, nil
}
