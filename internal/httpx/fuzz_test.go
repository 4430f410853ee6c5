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

// TestDecodeJSONTypeErrorPath: a field of the wrong type is named by its struct fields only,
// the same on Go 1.26 and 1.27 (whose encoding/json adds array indexes and map keys to the
// path: "tags.1", "labels.<client text>").
func TestDecodeJSONTypeErrorPath(t *testing.T) {
	type item struct {
		Port int `json:"port"`
	}
	type body struct {
		Tags   []string          `json:"tags"`
		Items  []*item           `json:"items"`
		Grid   [][]int           `json:"grid"`
		Labels map[string]int    `json:"labels"`
		Nested map[string][]item `json:"nested"`
		Config *item             `json:"config"`
	}
	for in, want := range map[string]string{
		`{"tags":["x",1]}`:                    "tags",
		`{"items":[{"port":1},{"port":"x"}]}`: "items.port",
		`{"grid":[[1],[2,"x"]]}`:              "grid",
		`{"labels":{"secret-ish key":"x"}}`:   "labels",
		`{"nested":{"k":[{"port":"x"}]}}`:     "nested",
		`{"config":{"port":"x"}}`:             "config.port",
		`{"CONFIG":{"Port":"x"}}`:             "config.port",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(in))
		r.Header.Set("Content-Type", "application/json")
		var dst body
		err := DecodeJSON(httptest.NewRecorder(), r, &dst, 4096)
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok || e.Message != "field.type" || len(e.Details) != 1 || e.Details[0].Field != want || e.Args["Field"] != want {
			t.Errorf("%s: error %#v, want field.type on %q", in, err, want)
		}
	}
}
