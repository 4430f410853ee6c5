package auth_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
)

// hwParams finds the SignedHeaders and Signature of an SDK-HMAC-SHA256 header.
var hwParams = regexp.MustCompile(`SignedHeaders=([^,]*)|Signature=([^,\s]*)`)

// FuzzAuthenticateHuawei fuzzes the SDK-HMAC-SHA256 Authorization header, X-Sdk-Date, the
// query and the body of a signed request. No input panics; every refusal is the generic 401;
// and a request is accepted only when the test's own signer (hwSign, written from Huawei's
// documented algorithm) computes the same signature over it and the headers it names.
func FuzzAuthenticateHuawei(f *testing.F) {
	keys := &fakeAccessKeys{keys: map[string]*switchboard.AccessKey{}, sks: map[string]string{}}
	key, sk := keys.add(false)
	revoked, revokedSK := keys.add(true)
	a := newAuth(f, f.Context(), newFakeKeys(), auth.Config{AccessKeys: keys})
	auth.SetNow(a, func() time.Time { return hwNow })
	date := hwNow.Format(auth.HuaweiDateFormat)
	sign := func(query string, body []byte, ak, sk string, signed ...string) string {
		r := hwRequest("POST", hwPath, body)
		r.URL.RawQuery = query
		hwSign(r, body, ak, sk, hwNow, signed...)
		return r.Header.Get("Authorization")
	}
	body := []byte(`{"name":"test_create","component_id":"ad93ecc6-1723-4c2c-9976-9eb0182c2d18","config":"{}"}`)
	valid := sign("b=2&a=x%20y&a=1", body, key.ID, sk)
	for _, s := range []struct {
		authz, date, query string
		body               []byte
	}{
		{valid, date, "b=2&a=x%20y&a=1", body},
		{valid, date, "a=1&a=x%20y&b=2", body},
		{valid, date, "b=2&a=x+y&a=1", body},
		{sign("", nil, key.ID, sk, "x-sdk-date"), date, "", nil},
		{sign("", nil, revoked.ID, revokedSK), date, "", nil},
		{sign("", nil, key.ID, sk, "host", "x-sdk-date"), date, "", nil},
		{strings.Replace(valid, "Signature=", "Signature=0", 1), date, "b=2&a=x%20y&a=1", body},
		{strings.ToUpper(valid), date, "b=2&a=x%20y&a=1", body},
		{valid, "20261125T104458", "b=2&a=x%20y&a=1", body},
		{valid, hwNow.Add(time.Hour).Format(auth.HuaweiDateFormat), "b=2&a=x%20y&a=1", body},
		{"SDK-HMAC-SHA256 Access=, SignedHeaders=;;, Signature=zz", date, "", nil},
		{"SDK-HMAC-SHA256 Access=a, Access=a, SignedHeaders=x-sdk-date, Signature=00", date, "", nil},
		{"SDK-HMAC-SHA256 ", date, "%zz", nil},
		{"Bearer x", "", "", nil},
	} {
		f.Add(s.authz, s.date, s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, authz, date, query string, body []byte) {
		r := hwRequest("POST", hwPath, body)
		r.URL.RawQuery = query
		r.Header["Authorization"] = []string{authz}
		r.Header["X-Sdk-Date"] = []string{date}
		p, err := a.AuthenticateHuawei(t.Context(), r, body)
		if err != nil {
			e, ok := errors.AsType[*switchboard.Error](err)
			if !ok || e.Code != switchboard.CodeUnauthenticated || e.Message != "unauthenticated" {
				t.Fatalf("error %v, want the generic unauthenticated error", err)
			}
			return
		}
		if p == nil || p.TenantID != key.TenantID {
			t.Fatalf("accepted as %+v", p)
		}
		// Accepted: the reference signer must agree.
		var signed []string
		var sig string
		for _, m := range hwParams.FindAllStringSubmatch(authz, -1) {
			if m[1] != "" {
				signed = strings.Split(m[1], ";")
			}
			if m[2] != "" {
				sig = m[2]
			}
		}
		ref := hwRequest("POST", hwPath, body)
		ref.URL.RawQuery = query
		for name, vs := range r.Header {
			ref.Header[name] = vs
		}
		at, err := time.Parse(auth.HuaweiDateFormat, date)
		if err != nil {
			t.Fatalf("accepted X-Sdk-Date %q: %v", date, err)
		}
		hwSign(ref, body, key.ID, sk, at, signed...)
		if !strings.HasSuffix(ref.Header.Get("Authorization"), "Signature="+sig) {
			t.Fatalf("accepted %q (date %q, query %q): the reference signature differs", authz, date, query)
		}
	})
}
