package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard"
)

// Claims is what MintHS256 puts in a token: the fields of a Principal plus the issuer and
// audience an Authenticator may require.
type Claims struct {
	Subject    string           // sub
	TenantID   string           // tenant_id
	Workspaces []string         // workspaces; ["*"] for all of the tenant's
	Role       switchboard.Role // role
	Scopes     []string         // scope, space-separated
	Issuer     string           // iss, omitted when empty
	Audience   string           // aud, omitted when empty
}

// MintHS256 returns an HS256 JWT for claims, valid from now for ttl, signed with secret (at
// least MinHS256SecretLen bytes). It is for the dev-token command and tests: production tokens
// come from the identity provider.
func MintHS256(secret []byte, claims Claims, ttl time.Duration) (string, error) {
	if len(secret) < MinHS256SecretLen {
		return "", fmt.Errorf("auth: HS256 secret shorter than %d bytes", MinHS256SecretLen)
	}
	if ttl <= 0 {
		return "", errors.New("auth: ttl must be positive")
	}
	if claims.Subject == "" || claims.TenantID == "" {
		return "", errors.New("auth: subject and tenant id are required")
	}
	if !claims.Role.Valid() {
		return "", fmt.Errorf("auth: invalid role %q", claims.Role)
	}
	if slices.ContainsFunc(claims.Scopes, func(s string) bool {
		return s == "" || strings.ContainsFunc(s, isSpace)
	}) {
		return "", errors.New("auth: a scope is empty or contains a space")
	}
	now := time.Now()
	tc := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   claims.Subject,
			Issuer:    claims.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		TenantID:   claims.TenantID,
		Workspaces: claims.Workspaces,
		Role:       string(claims.Role),
		Scope:      strings.Join(claims.Scopes, " "),
	}
	if claims.Audience != "" {
		tc.Audience = jwt.ClaimStrings{claims.Audience}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

func isSpace(r rune) bool { return strings.ContainsRune(" \t\n\r\v\f", r) }
