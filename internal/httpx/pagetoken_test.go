package httpx

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
)

func TestPageTokenRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"conn_01hx0000000000000000000000", "a", "名前/with?query&chars=", strings.Repeat("x", 300)} {
		tok := EncodePageToken(id)
		if url.QueryEscape(tok) != tok {
			t.Errorf("token %q needs escaping in a query string", tok)
		}
		if strings.Contains(tok, id) {
			t.Errorf("token %q shows the id in clear", tok)
		}
		got, err := DecodePageToken(tok)
		if err != nil || got != id {
			t.Errorf("DecodePageToken(EncodePageToken(%q)) = %q, %v", id, got, err)
		}
	}
	if got, err := DecodePageToken(""); got != "" || err != nil {
		t.Errorf(`DecodePageToken("") = %q, %v; want the first page`, got, err)
	}
}

func TestDecodePageTokenGarbage(t *testing.T) {
	t.Parallel()
	raw := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		"!!!",
		"abc=",
		"conn_123",
		raw([]byte("conn_123")),    // no version prefix
		raw([]byte("v2:conn_123")), // another version
		raw([]byte("v1:")),         // no id
		raw([]byte("v1:\xff\xfe")), // not UTF-8
		base64.URLEncoding.EncodeToString([]byte("v1:conn_12")), // padded
		strings.Repeat("A", 1000),
	} {
		got, err := DecodePageToken(s)
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok {
			t.Errorf("DecodePageToken(%q) = %q, %v; want an error", s, got, err)
			continue
		}
		want := wantedError{Code: switchboard.CodeInvalid, Key: "page_token.invalid",
			Details: []switchboard.FieldError{{Field: "page_token", Reason: "invalid"}}}
		if diff := cmp.Diff(want, wantedError{e.Code, e.Message, e.Args, e.Details}); diff != "" {
			t.Errorf("DecodePageToken(%q) (-want +got):\n%s", s, diff)
		}
	}
}
