package httpx

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// FuzzDecodePageToken checks the page-token decoder: no input panics, a token decodes only
// when EncodePageToken makes exactly that token from the id it gives, and every refusal is
// 4000 page_token.invalid on the field page_token.
func FuzzDecodePageToken(f *testing.F) {
	for _, s := range []string{
		EncodePageToken("conn_06h175qgydg03hwz56dffed8zw"), EncodePageToken("x"), "", "djE6", "dj",
		"djE6\n", "djE6Y29ubl8=", "not base64!", strings.Repeat("A", maxPageToken+1), EncodePageToken("\xff"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := DecodePageToken(s)
		if err == nil {
			if s != "" && EncodePageToken(id) != s {
				t.Fatalf("%q decoded to %q, which encodes to %q", s, id, EncodePageToken(id))
			}
			return
		}
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok || e.Code != switchboard.CodeInvalid || e.Message != "page_token.invalid" ||
			len(e.Details) != 1 || e.Details[0].Field != "page_token" {
			t.Fatalf("%q: error %#v, want 4000 page_token.invalid", s, err)
		}
	})
}

// TestDecodeJSONEmptyKey: an unknown or repeated empty key is named "" in the error's field
// and message (FuzzVersoriRequest found `{"":""}` answered " is not a known field" with an
// empty field).
func TestDecodeJSONEmptyKey(t *testing.T) {
	for _, body := range []string{`{"":""}`, `{"name":"a","":1,"":2}`} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst testBody
		err := DecodeJSON(httptest.NewRecorder(), r, &dst, 4096)
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok || e.Code != switchboard.CodeInvalid || len(e.Details) != 1 || e.Details[0].Field != `""` || e.Args["Field"] != `""` {
			t.Errorf("%s: error %#v, want the field named \"\"", body, err)
		}
	}
}
