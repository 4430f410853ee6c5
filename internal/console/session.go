package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Cookie names. All are scoped to Path=/console, HttpOnly, SameSite=Strict and (unless the
// operator turned it off for plain-http development) Secure. The __Host- prefix would need
// Path=/, which would send the session to the API routes too.
const (
	sessionCookie = "sb_session" // the sealed session: the credential and its expiry
	loginCookie   = "sb_login"   // random value the sign-in form's CSRF token is bound to
	flashCookie   = "sb_flash"   // the sealed message to show on the next page
	langCookie    = "sb_lang"    // the language picked with the switcher
	cookiePath    = "/console"
)

// HKDF labels of the keys derived from the console secret. Each use has its own key.
const (
	labelSessionKey = "switchboard/console/session-aead/v1"
	labelCSRFKey    = "switchboard/console/csrf-hmac/v1"
)

// maxTokenLen bounds the credential a session can hold: the cookie must stay under the 4 KiB
// browsers keep. API keys are 56 characters; JWTs with a few claims a few hundred.
const maxTokenLen = 2800

// session is what the session cookie carries, sealed. The credential is checked again through
// the Authenticator on every request, so a revoked key or an expired JWT ends the session.
type session struct {
	Version int    `json:"v"`
	ID      string `json:"sid"` // random; the CSRF token is an HMAC of it
	Token   string `json:"tok"` // the API key or JWT the user signed in with
	Issued  int64  `json:"iat"`
	Expires int64  `json:"exp"`
}

// keys are the console's derived secrets.
type keys struct {
	aead cipher.AEAD
	csrf []byte
}

// deriveKeys derives the session AEAD key and the CSRF HMAC key from secret with HKDF-SHA256:
// every replica given the same secret derives the same keys, so any of them reads any
// session.
func deriveKeys(secret []byte) (*keys, error) {
	if len(secret) < 32 {
		return nil, errors.New("console: the secret must hold at least 32 bytes")
	}
	ak, err := hkdf.Key(sha256.New, secret, nil, labelSessionKey, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(ak)
	clear(ak)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	ck, err := hkdf.Key(sha256.New, secret, nil, labelCSRFKey, 32)
	if err != nil {
		return nil, err
	}
	return &keys{aead: aead, csrf: ck}, nil
}

// seal encrypts v as JSON, bound to name (a sealed value of one cookie does not open as
// another), and returns it base64url-encoded: nonce || ciphertext.
func (k *keys) seal(name string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, plain, []byte("switchboard/console/cookie/"+name))
	clear(plain)
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// open reverses seal; anything that does not authenticate is an error.
func (k *keys) open(name, value string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return errors.New("malformed")
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte("switchboard/console/cookie/"+name))
	if err != nil {
		return errors.New("does not open")
	}
	defer clear(plain)
	return json.Unmarshal(plain, v)
}

// csrfToken is the token forms of a session (kind "s") or of the sign-in page (kind "l",
// bound to the login cookie) carry: HMAC-SHA256 of the kind and the bound value.
func (k *keys) csrfToken(kind, bound string) string {
	m := hmac.New(sha256.New, k.csrf)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(bound))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether token is the token of (kind, bound), in constant time.
func (k *keys) checkCSRF(kind, bound, token string) bool {
	if bound == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(k.csrfToken(kind, bound)), []byte(token))
}

// randomID returns 32 random bytes, base64url-encoded.
func randomID() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newSession starts a session for token, always with a fresh id: nothing of a cookie sent
// before sign-in carries over (no session fixation).
func newSession(token string, now time.Time, ttl time.Duration) *session {
	return &session{Version: 1, ID: randomID(), Token: token, Issued: now.Unix(), Expires: now.Add(ttl).Unix()}
}

// cookie returns a console cookie with the attributes every console cookie has.
func (c *Console) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{
		Name: name, Value: value, Path: cookiePath,
		HttpOnly: true, Secure: !c.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = time.Now().Add(maxAge)
	}
	return ck
}

// clearCookie tells the browser to drop cookie name.
func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	ck := c.cookie(name, "", 0)
	ck.MaxAge = -1
	ck.Expires = time.Unix(1, 0)
	http.SetCookie(w, ck)
}

// readSession opens the session cookie of r; nil when there is none, or it does not open,
// or it has expired.
func (c *Console) readSession(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	var s session
	if err := c.keys.open(sessionCookie, ck.Value, &s); err != nil {
		return nil
	}
	if s.Version != 1 || s.ID == "" || s.Token == "" || c.now().Unix() >= s.Expires {
		return nil
	}
	return &s
}

// writeSession sets the session cookie; its Max-Age matches the expiry sealed inside.
func (c *Console) writeSession(w http.ResponseWriter, s *session) error {
	v, err := c.keys.seal(sessionCookie, s)
	if err != nil {
		return err
	}
	http.SetCookie(w, c.cookie(sessionCookie, v, time.Until(time.Unix(s.Expires, 0))))
	return nil
}
