package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
)

// hwSign signs r the way Huawei's SDK does, written from the documented algorithm
// independently of the package's code: it sets X-Sdk-Date and Authorization.
func hwSign(r *http.Request, body []byte, ak, sk string, at time.Time, signed ...string) {
	if signed == nil {
		signed = []string{"user-agent", "x-project-id", "x-sdk-date"}
	}
	r.Header.Set("X-Sdk-Date", at.UTC().Format("20060102T150405Z"))
	esc := func(s string) string {
		var out strings.Builder
		for _, c := range []byte(s) {
			if strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~", c) >= 0 {
				out.WriteByte(c)
			} else {
				fmt.Fprintf(&out, "%%%02X", c)
			}
		}
		return out.String()
	}
	var segs []string
	for _, s := range strings.Split(r.URL.Path, "/") {
		segs = append(segs, esc(s))
	}
	path := strings.Join(segs, "/")
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	q := r.URL.Query()
	var names []string
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var qs []string
	for _, k := range names {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			qs = append(qs, esc(k)+"="+esc(v))
		}
	}
	var hdrs string
	for _, h := range signed {
		hdrs += h + ":" + strings.TrimSpace(r.Header.Get(h)) + "\n"
	}
	bodySum := sha256.Sum256(body)
	canonical := strings.Join([]string{r.Method, path, strings.Join(qs, "&"), hdrs, strings.Join(signed, ";"), hex.EncodeToString(bodySum[:])}, "\n")
	crSum := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + r.Header.Get("X-Sdk-Date") + "\n" + hex.EncodeToString(crSum[:])))
	r.Header.Set("Authorization", fmt.Sprintf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%x", ak, strings.Join(signed, ";"), mac.Sum(nil)))
}

// fakeAccessKeys answers like switchboard.Service.AccessKeySecret.
type fakeAccessKeys struct {
	keys map[string]*switchboard.AccessKey
	sks  map[string]string
	err  error // returned for every lookup when set
}

func (f *fakeAccessKeys) AccessKeySecret(_ context.Context, id string) (*switchboard.AccessKey, switchboard.Secret, error) {
	if f.err != nil {
		return nil, switchboard.Secret{}, f.err
	}
	k, ok := f.keys[id]
	if !ok {
		return nil, switchboard.Secret{}, &switchboard.Error{Code: switchboard.CodeUnauthenticated, Message: "unauthenticated", Cause: errors.New("access key: unknown")}
	}
	if k.RevokedAt != nil {
		return nil, switchboard.Secret{}, &switchboard.Error{Code: switchboard.CodeUnauthenticated, Message: "unauthenticated", Cause: errors.New("access key: revoked")}
	}
	return k, switchboard.NewSecret(f.sks[id]), nil
}

func (f *fakeAccessKeys) add(revoked bool) (*switchboard.AccessKey, string) {
	id, sk := switchboard.GenerateAccessKey()
	k := &switchboard.AccessKey{ID: id, TenantID: "tnt_1", WorkspaceID: "ws_a", Role: switchboard.RoleEditor,
		Scopes: []string{switchboard.ScopeCredentialsRead}, CreatedAt: time.Now()}
	if revoked {
		at := time.Now()
		k.RevokedAt = &at
	}
	f.keys[id], f.sks[id] = k, sk.Reveal()
	return k, sk.Reveal()
}

var hwNow = time.Date(2026, 11, 25, 10, 44, 58, 0, time.UTC)

const hwPath = "/v1/tnt_1/workspaces/ws_a/soc/assetcredentials"

func hwRequest(method, target string, body []byte) *http.Request {
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+target, bytes.NewReader(body))
	r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0; os/linux#amd64 go/go1.26; app/test")
	r.Header.Set("X-Project-Id", "tnt_1")
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	return r
}

func newHuaweiAuth(t *testing.T, keys auth.AccessKeyLookup, skew time.Duration) *auth.Authenticator {
	t.Helper()
	a := newAuth(t, t.Context(), newFakeKeys(), auth.Config{AccessKeys: keys, HuaweiClockSkew: skew})
	auth.SetNow(a, func() time.Time { return hwNow })
	return a
}

func TestAuthenticateHuawei(t *testing.T) {
	keys := &fakeAccessKeys{keys: map[string]*switchboard.AccessKey{}, sks: map[string]string{}}
	key, sk := keys.add(false)
	revoked, revokedSK := keys.add(true)
	a := newHuaweiAuth(t, keys, 0)
	body := []byte(`{"name":"n","config":"{}"}` + "\n")

	// A valid signature, with a query, on a POST.
	r := hwRequest("POST", hwPath+"?b=2&a=x%20y&a=1", body)
	hwSign(r, body, key.ID, sk, hwNow)
	p, err := a.AuthenticateHuawei(t.Context(), r, body)
	if err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	if p.TenantID != "tnt_1" || len(p.Workspaces) != 1 || p.Workspaces[0] != "ws_a" || p.Role != switchboard.RoleEditor ||
		!p.HasScope(switchboard.ScopeCredentialsRead) || p.AccessKeyID != key.ID || p.Subject != key.ID {
		t.Errorf("principal %+v", p)
	}
	// Within the window either way.
	for _, d := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		r := hwRequest("GET", hwPath, nil)
		hwSign(r, nil, key.ID, sk, hwNow.Add(d))
		if _, err := a.AuthenticateHuawei(t.Context(), r, nil); err != nil {
			t.Errorf("date %v from now refused: %v", d, err)
		}
	}

	type mutate func(r *http.Request) []byte // returns the body to pass
	sign := func(method, target string, b []byte, ak, secret string, at time.Time, signed ...string) *http.Request {
		r := hwRequest(method, target, b)
		hwSign(r, b, ak, secret, at, signed...)
		return r
	}
	setAuth := func(v string) mutate {
		return func(r *http.Request) []byte { r.Header.Set("Authorization", v); return body }
	}
	good := sign("POST", hwPath, body, key.ID, sk, hwNow)
	goodAuth := good.Header.Get("Authorization")
	sig := goodAuth[strings.LastIndex(goodAuth, "=")+1:]
	withParams := func(params string) mutate { return setAuth("SDK-HMAC-SHA256 " + params) }

	tests := []struct {
		name string
		req  func() *http.Request
		mut  mutate
	}{
		{"wrong SK", func() *http.Request { return sign("POST", hwPath, body, key.ID, otherLast(sk), hwNow) }, nil},
		{"tampered body", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(*http.Request) []byte { return []byte(`{"name":"m","config":"{}"}` + "\n") }},
		{"body without its newline", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(*http.Request) []byte { return body[:len(body)-1] }},
		{"tampered path", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte {
				r.URL.Path = "/v1/tnt_1/workspaces/ws_b/soc/assetcredentials"
				return body
			}},
		{"tampered query", func() *http.Request { return sign("GET", hwPath+"?limit=10", body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.URL.RawQuery = "limit=11"; return body }},
		{"added query", func() *http.Request { return sign("GET", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.URL.RawQuery = "offset=1"; return body }},
		{"tampered method", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Method = "PUT"; return body }},
		{"tampered signed header", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Set("X-Project-Id", "tnt_2"); return body }},
		{"tampered date", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte {
				r.Header.Set("X-Sdk-Date", hwNow.Add(time.Second).Format(auth.HuaweiDateFormat))
				return body
			}},
		{"signed header removed", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Del("X-Project-Id"); return body }},
		{"x-sdk-date not signed", func() *http.Request {
			return sign("POST", hwPath, body, key.ID, sk, hwNow, "user-agent", "x-project-id")
		}, nil},
		{"no X-Sdk-Date", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Del("X-Sdk-Date"); return body }},
		{"two X-Sdk-Date", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Add("X-Sdk-Date", r.Header.Get("X-Sdk-Date")); return body }},
		{"malformed date", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Set("X-Sdk-Date", "2026-11-25T10:44:58Z"); return body }},
		{"stale date", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow.Add(-16*time.Minute)) }, nil},
		{"future date", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow.Add(16*time.Minute)) }, nil},
		{"revoked key", func() *http.Request { return sign("POST", hwPath, body, revoked.ID, revokedSK, hwNow) }, nil},
		{"unknown AK", func() *http.Request {
			id, _ := switchboard.GenerateAccessKey()
			return sign("POST", hwPath, body, id, sk, hwNow)
		}, nil},
		{"unsigned payload announced", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Set("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"); return body }},
		{"two Authorization headers", func() *http.Request { return sign("POST", hwPath, body, key.ID, sk, hwNow) },
			func(r *http.Request) []byte { r.Header.Add("Authorization", "Bearer x"); return body }},
		{"other scheme", nil, setAuth("AWS4-HMAC-SHA256 Access=" + key.ID)},
		{"lowercase scheme", nil, setAuth(strings.ToLower(goodAuth[:15]) + goodAuth[15:])},
		{"no signature", nil, withParams("Access=" + key.ID + ", SignedHeaders=user-agent;x-project-id;x-sdk-date")},
		{"no access", nil, withParams("SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + sig)},
		{"no signed headers", nil, withParams("Access=" + key.ID + ", Signature=" + sig)},
		{"empty signed headers", nil, withParams("Access=" + key.ID + ", SignedHeaders=, Signature=" + sig)},
		{"uppercase signed header", nil, withParams("Access=" + key.ID + ", SignedHeaders=User-Agent;x-project-id;x-sdk-date, Signature=" + sig)},
		{"repeated signed header", nil, withParams("Access=" + key.ID + ", SignedHeaders=x-sdk-date;x-sdk-date, Signature=" + sig)},
		{"uppercase hex", nil, withParams("Access=" + key.ID + ", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + strings.ToUpper(sig))},
		{"short signature", nil, withParams("Access=" + key.ID + ", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + sig[:62])},
		{"non-hex signature", nil, withParams("Access=" + key.ID + ", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + sig[:63] + "g")},
		{"repeated parameter", nil, withParams("Access=" + key.ID + ", Access=" + key.ID + ", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + sig)},
		{"unknown parameter", nil, withParams("Access=" + key.ID + ", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + sig + ", Extra=1")},
		{"malformed access", nil, withParams("Access=" + strings.ToLower(key.ID) + ", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=" + sig)},
		{"no parameters", nil, setAuth("SDK-HMAC-SHA256 ")},
		{"huge header", nil, setAuth("SDK-HMAC-SHA256 Access=" + strings.Repeat("A", auth.MaxTokenLen))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *http.Request
			if tt.req != nil {
				r = tt.req()
			} else {
				r = sign("POST", hwPath, body, key.ID, sk, hwNow)
			}
			b := body
			if tt.mut != nil {
				b = tt.mut(r)
			}
			_, err := a.AuthenticateHuawei(t.Context(), r, b)
			assertHuaweiRefused(t, err, sk, r.Header.Get("Authorization"))
		})
	}
}

// assertHuaweiRefused checks err is the generic 401, with a reason that reveals neither the
// SK nor the signature.
func assertHuaweiRefused(t *testing.T, err error, sk, authz string) {
	t.Helper()
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok || e.Code != switchboard.CodeUnauthenticated || e.Message != "unauthenticated" || len(e.Details) != 0 {
		t.Fatalf("error %v, want the generic unauthenticated", err)
	}
	if e.Cause == nil {
		t.Errorf("no reason in Cause")
	}
	text := fmt.Sprintf("%v %+v %#v", err, e.Cause, e)
	if strings.Contains(text, sk) {
		t.Errorf("the SK leaked into the error")
	}
	if i := strings.LastIndex(authz, "Signature="); i >= 0 && len(authz) >= i+10+64 {
		if s := authz[i+10 : i+10+64]; strings.Contains(text, s) {
			t.Errorf("the signature leaked into the error")
		}
	}
}

func TestAuthenticateHuaweiClockSkewConfig(t *testing.T) {
	keys := &fakeAccessKeys{keys: map[string]*switchboard.AccessKey{}, sks: map[string]string{}}
	key, sk := keys.add(false)
	a := newHuaweiAuth(t, keys, time.Minute)
	r := hwRequest("GET", hwPath, nil)
	hwSign(r, nil, key.ID, sk, hwNow.Add(-2*time.Minute))
	_, err := a.AuthenticateHuawei(t.Context(), r, nil)
	assertHuaweiRefused(t, err, sk, r.Header.Get("Authorization"))
	r = hwRequest("GET", hwPath, nil)
	hwSign(r, nil, key.ID, sk, hwNow.Add(-30*time.Second))
	if _, err := a.AuthenticateHuawei(t.Context(), r, nil); err != nil {
		t.Errorf("within a 1m window: %v", err)
	}
	for _, bad := range []time.Duration{-time.Second, 2 * time.Hour} {
		if _, err := auth.New(t.Context(), newFakeKeys(), auth.Config{HuaweiClockSkew: bad}); err == nil {
			t.Errorf("HuaweiClockSkew %v accepted", bad)
		}
	}
}

// Without Config.AccessKeys a signed request is refused; a store failure is not a 401.
func TestAuthenticateHuaweiLookup(t *testing.T) {
	keys := &fakeAccessKeys{keys: map[string]*switchboard.AccessKey{}, sks: map[string]string{}}
	key, sk := keys.add(false)
	r := hwRequest("GET", hwPath, nil)
	hwSign(r, nil, key.ID, sk, hwNow)

	off := newAuth(t, t.Context(), newFakeKeys(), auth.Config{})
	_, err := off.AuthenticateHuawei(t.Context(), r, nil)
	assertHuaweiRefused(t, err, sk, r.Header.Get("Authorization"))

	down := &fakeAccessKeys{err: switchboard.Errorf(switchboard.CodeUnavailable, "unavailable")}
	a := newHuaweiAuth(t, down, 0)
	_, err = a.AuthenticateHuawei(t.Context(), r, nil)
	if switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("store down: %v, want unavailable", err)
	}
	// An escaped path segment and a host header, signed.
	a = newHuaweiAuth(t, keys, 0)
	r = hwRequest("GET", "/v1/tnt_1/workspaces/ws%20a/soc/components/"+url.PathEscape("c+d"), nil)
	hwSign(r, nil, key.ID, sk, hwNow)
	if _, err := a.AuthenticateHuawei(t.Context(), r, nil); err != nil {
		t.Errorf("escaped path: %v", err)
	}
}

// otherLast returns s with its last character changed (never to itself).
func otherLast(s string) string {
	if strings.HasSuffix(s, "x") {
		return s[:len(s)-1] + "y"
	}
	return s[:len(s)-1] + "x"
}
