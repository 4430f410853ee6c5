package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
)

// FuzzAuthenticate checks that no input panics and that every refusal is the generic 401:
// only the one valid token and the one valid API key may get through.
func FuzzAuthenticate(f *testing.F) {
	plain, k := newAPIKey(f, "key_1", false)
	a := newAuth(f, f.Context(), newFakeKeys(k), auth.Config{HS256Secret: testSecret})
	valid := sign(f, jwt.SigningMethodHS256, testSecret, baseClaims(with("exp", time.Now().Add(time.Hour).Unix())), nil)
	for _, seed := range []string{
		valid, plain, "", ".", "..", "a.b.c", switchboard.APIKeyPrefix,
		raw(f, map[string]any{"alg": "none"}, baseClaims(), nil),
		hmacRaw(f, map[string]any{"alg": "HS256", "crit": []string{"x"}}, baseClaims(), testSecret),
		replaceSig(valid, nil),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := a.Authenticate(t.Context(), token)
		if err == nil {
			if token != valid && token != plain {
				t.Fatalf("accepted %q as %+v", token, p)
			}
			return
		}
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok || e.Code != switchboard.CodeUnauthenticated || e.Message != "unauthenticated" {
			t.Fatalf("error %v, want the generic unauthenticated error", err)
		}
	})
}
