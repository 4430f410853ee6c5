package auth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard/internal/auth"
)

func TestBearerOrAuthToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		headers [][2]string
		allowX  bool
		want    string
		wantOK  bool
		wantStd bool // expected ok of BearerToken (same token when true)
	}{
		{"bearer", [][2]string{{"Authorization", "Bearer abc.def.ghi"}}, false, "abc.def.ghi", true, true},
		{"lowercase scheme", [][2]string{{"Authorization", "bearer abc"}}, false, "abc", true, true},
		{"uppercase scheme", [][2]string{{"Authorization", "BEARER abc"}}, false, "abc", true, true},
		{"extra spaces", [][2]string{{"Authorization", "  Bearer   abc  "}}, false, "abc", true, true},
		{"no header", nil, false, "", false, false},
		{"basic scheme", [][2]string{{"Authorization", "Basic dXNlcjpwYXNz"}}, false, "", false, false},
		{"scheme only", [][2]string{{"Authorization", "Bearer"}}, false, "", false, false},
		{"scheme and space", [][2]string{{"Authorization", "Bearer "}}, false, "", false, false},
		{"token with space", [][2]string{{"Authorization", "Bearer a b"}}, false, "", false, false},
		{"two headers", [][2]string{{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}}, false, "", false, false},
		{"bearerx scheme", [][2]string{{"Authorization", "Bearerx abc"}}, false, "", false, false},
		{"x-auth-token not allowed", [][2]string{{"X-Auth-Token", "abc"}}, false, "", false, false},
		{"x-auth-token allowed", [][2]string{{"X-Auth-Token", "abc"}}, true, "abc", true, false},
		{"x-auth-token trimmed", [][2]string{{"X-Auth-Token", " abc "}}, true, "abc", true, false},
		{"x-auth-token empty", [][2]string{{"X-Auth-Token", ""}}, true, "", false, false},
		{"x-auth-token twice", [][2]string{{"X-Auth-Token", "a"}, {"X-Auth-Token", "b"}}, true, "", false, false},
		{"bearer wins over x-auth-token", [][2]string{{"Authorization", "Bearer a"}, {"X-Auth-Token", "b"}}, true, "a", true, true},
		{"unusable authorization still wins", [][2]string{{"Authorization", "Basic a"}, {"X-Auth-Token", "b"}}, true, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tc.headers {
				r.Header.Add(h[0], h[1])
			}
			got, ok := auth.BearerOrAuthToken(r, tc.allowX)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("BearerOrAuthToken = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
			got, ok = auth.BearerToken(r)
			if ok != tc.wantStd || (ok && got != tc.want) {
				t.Errorf("BearerToken = %q, %v; want ok %v", got, ok, tc.wantStd)
			}
		})
	}
}
