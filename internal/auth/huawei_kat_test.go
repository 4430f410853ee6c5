package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// The create request of reference/sdk-wire.md ("Huawei SDK-HMAC-SHA256: the create request,
// reconstructed"), as the Huawei Go SDK v0.1.207 sent it. The document shows the user-agent
// with placeholders and says its hashes were computed over the real value, so the documented
// canonical-request hash (f97981366519964a11ca995663ebdb54fe8d2539f8c241d9ed76552b487b4340)
// cannot be reproduced here; the body hash can, and the canonical request text must match
// the document's line for line. The other hashes and signatures below were computed
// independently with python3 (hashlib, hmac) over the same text.
const (
	katUserAgent = "huaweicloud-usdk-go/3.0; os/<os>#<arch> go/<go version>; app/<random uuid per process>"
	katBody      = `{"name":"sb-accept-1795603498973349895","description":"switchboard acceptance","component_id":"ad93ecc6-1723-4c2c-9976-9eb0182c2d18","component_version_id":"33fd1b37-1f39-4230-86c6-2d119e9f4fac","config":"{\"kafkaAddr\":\"127.0.0.1:9092\",\"userName\":\"sb-accept\",\"password\":\"sb-accept-secret\"}"}` + "\n"
	katCanonical = "POST\n" +
		"/v1/0123456789abcdef0123456789abcdef/workspaces/ws-0000-stub/soc/assetcredentials/\n" +
		"\n" +
		"user-agent:" + katUserAgent + "\n" +
		"x-project-id:0123456789abcdef0123456789abcdef\n" +
		"x-sdk-date:20261125T104458Z\n" +
		"\n" +
		"user-agent;x-project-id;x-sdk-date\n" +
		"9c5654685b2cf2cb43ce53a64fcd54f6194d94e3a892bbbea8e57daa6dbd84e3"
	katSK = "Zq3VbN8xT2mK7pL4wR9sY1cH6dF0gJ5aE3uI8oPk" // a test SK, not a real one
)

func TestHuaweiKnownAnswer(t *testing.T) {
	body := []byte(katBody)
	if len(body) != 303 {
		t.Fatalf("body is %d bytes, the SDK sent 303", len(body))
	}
	sum := sha256.Sum256(body)
	bodyHex := hex.EncodeToString(sum[:])
	if bodyHex != "9c5654685b2cf2cb43ce53a64fcd54f6194d94e3a892bbbea8e57daa6dbd84e3" {
		t.Fatalf("body hash %s differs from the document's", bodyHex)
	}
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/v1/0123456789abcdef0123456789abcdef/workspaces/ws-0000-stub/soc/assetcredentials", bytes.NewReader(body))
	r.Header.Set("User-Agent", katUserAgent)
	r.Header.Set("X-Project-Id", "0123456789abcdef0123456789abcdef")
	r.Header.Set("X-Sdk-Date", "20261125T104458Z")
	r.Header.Set("Content-Type", "application/json;charset=UTF-8") // not signed
	r.Header.Set("Accept-Encoding", "gzip")                        // not signed
	got, err := huaweiCanonicalRequest(r, []string{"user-agent", "x-project-id", "x-sdk-date"}, bodyHex)
	if err != nil {
		t.Fatal(err)
	}
	if got != katCanonical {
		t.Fatalf("canonical request:\n%s\nwant:\n%s", got, katCanonical)
	}
	sts := huaweiStringToSign("20261125T104458Z", got)
	wantSTS := "SDK-HMAC-SHA256\n20261125T104458Z\ncb282651c5afbf55a855ffdb4091f4944d08d14da1105ac3b87b82b5bcc3da36"
	if sts != wantSTS {
		t.Fatalf("string to sign:\n%s\nwant:\n%s", sts, wantSTS)
	}
	sig := hex.EncodeToString(huaweiSign(switchboard.NewSecret(katSK), sts))
	if sig != "328a173788919eada32653d458d213dd6e4c0cb6c43b0919f517b593234eac5c" {
		t.Fatalf("signature differs from the python3 hmac vector")
	}
}

// A GET with a query that needs escaping: names and values sorted, %20 for a space, * and ~
// as the SDK writes them, no body.
func TestHuaweiKnownAnswerQuery(t *testing.T) {
	r := httptest.NewRequest("GET", "http://h/v1/0123456789abcdef0123456789abcdef/workspaces/ws-0000-stub/soc/assetcredentials?offset=0&name=sb+accept*~&limit=10", nil)
	r.Header.Set("User-Agent", "test-agent/1.0")
	r.Header.Set("X-Project-Id", "0123456789abcdef0123456789abcdef")
	r.Header.Set("X-Sdk-Date", "20261125T104458Z")
	empty := sha256.Sum256(nil)
	cr, err := huaweiCanonicalRequest(r, []string{"user-agent", "x-project-id", "x-sdk-date"}, hex.EncodeToString(empty[:]))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(cr))
	if got := hex.EncodeToString(sum[:]); got != "0d2bc562b15d00ce55fb8422311bccb3e3c6a59557ab23d3ba578355434c770a" {
		t.Fatalf("canonical request hash %s; request:\n%s", got, cr)
	}
	sig := hex.EncodeToString(huaweiSign(switchboard.NewSecret(katSK), huaweiStringToSign("20261125T104458Z", cr)))
	if sig != "3fab88747895f3d6d94eea6538e899e127cc0b971e37d86d12be79f4507243a0" {
		t.Fatalf("signature differs from the python3 hmac vector")
	}
}

func TestHuaweiEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"aZ09-_.~":  "aZ09-_.~",
		"a b":       "a%20b",
		"a+b/c":     "a%2Bb%2Fc",
		"é":         "%C3%A9",
		"*!'()":     "%2A%21%27%28%29",
		"ws-0000-x": "ws-0000-x",
	} {
		if got := huaweiEscape(in); got != want {
			t.Errorf("huaweiEscape(%q) = %q, want %q", in, got, want)
		}
	}
}
