package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// TestSignInAndOut signs in with an API key, lands on the default workspace's connections,
// and signs out; afterwards the console sends the browser back to the sign-in page.
func TestSignInAndOut(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	p := b.get("/console/w/default/connections")
	if p.URL != "/console/login" || !has(p.Body, "api_key") || !has(p.Body, "sign-in") {
		t.Fatalf("signed out, the list led to %s:\n%s", p.URL, excerpt(p.Body))
	}
	if tag := tagWithID(p.Body, "api_key"); !strings.Contains(tag, `type="password"`) || !strings.Contains(tag, `name="api_key"`) {
		t.Errorf("key input = %s, want a password input named api_key", tag)
	}
	p = b.signIn(e.OwnerKey)
	mustStatus(t, p, http.StatusOK)
	if p.URL != "/console/w/default/connections" || !has(p.Body, "connections") || !has(p.Body, "sign-out") {
		t.Fatalf("after sign-in: %s\n%s", p.URL, excerpt(p.Body))
	}
	if !strings.Contains(p.Body, "Signed in.") {
		t.Errorf("no flash after sign-in:\n%s", excerpt(p.Body))
	}
	if b.cookie("sb_login") != nil {
		t.Error("the sign-in form's cookie outlived the sign-in")
	}

	p = b.post("/console/logout", nil)
	if p.URL != "/console/login" || !strings.Contains(p.Body, "Signed out.") {
		t.Fatalf("after sign-out: %s\n%s", p.URL, excerpt(p.Body))
	}
	if b.cookie("sb_session") != nil {
		t.Error("the session cookie is still in the browser after sign-out")
	}
	if p := b.get("/console/w/default/connections"); p.URL != "/console/login" {
		t.Errorf("after sign-out the list answers %s", p.URL)
	}
}

// TestSessionCookie checks the session cookie's attributes, that it does not carry the key in
// clear, and that every sign-in mints a new one whatever the browser sent before.
func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.follow = false
	b.get("/console/login")
	loginCookie := b.cookie("sb_login")
	if loginCookie == nil {
		t.Fatal("the sign-in page set no sb_login cookie")
	}
	// A session cookie planted before sign-in (fixation): it must not survive.
	u, _ := url.Parse(e.URL + "/console/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sb_session", Value: "planted-by-attacker", Path: "/console"}})
	p := b.post("/console/login", url.Values{"api_key": {e.OwnerKey}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console/w/default/connections" {
		t.Fatalf("sign-in answered %d Location %q", p.Status, p.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "sb_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("sign-in set no session cookie")
	}
	if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" {
		t.Errorf("session cookie = %+v; want Secure, HttpOnly, SameSite=Strict, Path=/console", session)
	}
	if session.MaxAge <= 0 || session.MaxAge > 8*3600 {
		t.Errorf("session Max-Age = %d, want within 8h", session.MaxAge)
	}
	if strings.Contains(session.Value, e.OwnerKey) || strings.Contains(session.Value, e.OwnerKey[len(switchboard.APIKeyPrefix):]) {
		t.Error("the session cookie carries the API key in clear")
	}
	if session.Value == "planted-by-attacker" || session.Value == loginCookie.Value {
		t.Error("sign-in reused a cookie the browser had before")
	}
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console" {
			t.Errorf("cookie %s = %+v; every console cookie is Secure, HttpOnly, SameSite=Strict, Path=/console", c.Name, c)
		}
	}
	// A second sign-in gets another session.
	b2 := newBrowser(t, e)
	b2.signIn(e.OwnerKey)
	if c := b2.cookie("sb_session"); c == nil || c.Value == session.Value {
		t.Error("two sign-ins with one key got the same session cookie")
	}
	// A tampered session is no session.
	b3 := newBrowser(t, e)
	tampered := []byte(session.Value)
	tampered[len(tampered)/2] ^= 1
	b3.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sb_session", Value: string(tampered), Path: "/console"}})
	if p := b3.get("/console/w/default/connections"); p.URL != "/console/login" {
		t.Errorf("a tampered session cookie reached %s", p.URL)
	}
}

// TestSignInRefused: a wrong, a revoked and a blank key are refused on the sign-in page with
// the error next to the input, and no session is set.
func TestSignInRefused(t *testing.T) {
	e := newEnv(t)
	revoked := e.Key(t, "default", switchboard.RoleViewer)
	r := e.Do(t, "GET", "/v1/workspaces/default/api-keys", e.OwnerKey, nil)
	var keys struct {
		Items []struct {
			ID     string `json:"id"`
			Prefix string `json:"prefix"`
		} `json:"items"`
	}
	r.JSON(t, &keys)
	for _, k := range keys.Items {
		if strings.HasPrefix(revoked, k.Prefix) {
			if r := e.Do(t, "DELETE", "/v1/workspaces/default/api-keys/"+k.ID, e.OwnerKey, nil); r.Status != http.StatusNoContent {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
		}
	}
	for _, tc := range []struct {
		name, key string
		status    int
	}{
		{"wrong", switchboard.APIKeyPrefix + strings.Repeat("a", 52), http.StatusUnauthorized},
		{"revoked", revoked, http.StatusUnauthorized},
		{"not a key", "hello", http.StatusUnauthorized},
		{"blank", "", http.StatusBadRequest},
	} {
		b := newBrowser(t, e)
		p := b.signIn(tc.key)
		if p.Status != tc.status || p.URL != "/console/login" || !has(p.Body, "error-api_key") {
			t.Errorf("%s key: %d at %s, want %d with #error-api_key\n%s", tc.name, p.Status, p.URL, tc.status, excerpt(p.Body))
		}
		if !strings.Contains(tagWithID(p.Body, "api_key"), `aria-describedby="hint-api_key error-api_key"`) {
			t.Errorf("%s key: the input is not described by its error: %s", tc.name, tagWithID(p.Body, "api_key"))
		}
		if b.cookie("sb_session") != nil {
			t.Errorf("%s key: a session cookie was set", tc.name)
		}
	}
}
