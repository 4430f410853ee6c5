package securechannel_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/switchboardhq/switchboard/internal/securechannel"
)

func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got-Type", r.Header.Get("Content-Type"))
		_, _ = w.Write(b)
	})
}

func send(h http.Handler, ct, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestDecrypt(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	doc, err := securechannel.PublicJWKS(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, kid, err := securechannel.EncryptionKey(doc)
	if err != nil || !pub.Equal(&key.PublicKey) || kid != securechannel.KeyID(&key.PublicKey) {
		t.Fatalf("EncryptionKey: %v %v", err, kid)
	}
	body := `{"a":1}`
	jwe, err := securechannel.Seal(pub, kid, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	accept := securechannel.Decrypt(key, securechannel.Options{Limit: 64})(echo())
	require := securechannel.Decrypt(key, securechannel.Options{Require: true})(echo())

	if w := send(accept, "application/jose", jwe); w.Code != 200 || w.Body.String() != body || w.Header().Get("X-Got-Type") != "application/json" {
		t.Errorf("accept jose: %d %q %q", w.Code, w.Body, w.Header().Get("X-Got-Type"))
	}
	if w := send(accept, "application/json", body); w.Code != 200 || w.Body.String() != body {
		t.Errorf("accept plain: %d %q", w.Code, w.Body)
	}
	if w := send(require, "application/json", body); w.Code != 415 {
		t.Errorf("require plain: %d %q", w.Code, w.Body)
	}
	if w := send(require, "application/jose", jwe); w.Code != 200 || w.Body.String() != body {
		t.Errorf("require jose: %d %q", w.Code, w.Body)
	}
	big, _ := securechannel.Seal(pub, kid, []byte(`{"a":"`+strings.Repeat("x", 100)+`"}`))
	if w := send(accept, "application/jose", big); w.Code != 413 {
		t.Errorf("over the limit: %d %q", w.Code, w.Body)
	}
	// Other algorithms, produced by the library itself, are refused.
	for _, c := range []struct {
		alg jose.KeyAlgorithm
		enc jose.ContentEncryption
	}{{jose.ECDH_ES, jose.A128GCM}, {jose.ECDH_ES_A256KW, jose.A256GCM}, {jose.ECDH_ES, jose.A256CBC_HS512}} {
		enc, err := jose.NewEncrypter(c.enc, jose.Recipient{Algorithm: c.alg, Key: pub}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := enc.Encrypt([]byte(body))
		s, _ := obj.CompactSerialize()
		w := send(accept, "application/jose", s)
		var e struct{ Code, Message string }
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != 400 || e.Code != "4000" || !strings.Contains(e.Message, "ECDH-ES") {
			t.Errorf("%s/%s: %d %s", c.alg, c.enc, w.Code, w.Body)
		}
	}
	// Compression is refused.
	enc, _ := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.ECDH_ES, Key: pub},
		&jose.EncrypterOptions{Compression: jose.DEFLATE})
	obj, _ := enc.Encrypt([]byte(body))
	s, _ := obj.CompactSerialize()
	if w := send(accept, "application/jose", s); w.Code != 400 {
		t.Errorf("zip: %d %s", w.Code, w.Body)
	}
	// A non-JSON payload type is refused.
	enc, _ = jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.ECDH_ES, Key: pub},
		(&jose.EncrypterOptions{}).WithContentType("text/plain"))
	obj, _ = enc.Encrypt([]byte(body))
	s, _ = obj.CompactSerialize()
	if w := send(accept, "application/jose", s); w.Code != 415 {
		t.Errorf("cty text/plain: %d %s", w.Code, w.Body)
	}
}

func FuzzDecrypt(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwe, _ := securechannel.Seal(&key.PublicKey, "", []byte(`{}`))
	f.Add(jwe)
	f.Add("a.b.c.d.e")
	h := securechannel.Decrypt(key, securechannel.Options{})(echo())
	f.Fuzz(func(t *testing.T, s string) {
		w := send(h, "application/jose", s)
		if w.Code != 200 && w.Code != 400 && w.Code != 413 && w.Code != 415 {
			t.Errorf("%q: %d", s, w.Code)
		}
	})
}
