package httpx

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
)

// pageTokenVersion prefixes every token's payload, so the format can change later and old
// tokens still be told apart rather than misread.
const pageTokenVersion = "v1:"

// maxPageToken bounds a token before decoding: ids are short, so a long token is garbage.
const maxPageToken = 512

// EncodePageToken returns an opaque page token that resumes a listing after the object with
// id lastID. Clients must treat it as opaque; base64url keeps it safe in a query string.
func EncodePageToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenVersion + lastID))
}

// DecodePageToken returns the id EncodePageToken encoded in s. An empty s is the first page
// and gives "". Anything that EncodePageToken can't have made is a 4000 page_token.invalid
// with the detail field "page_token".
func DecodePageToken(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) > maxPageToken {
		return "", invalidPageToken()
	}
	// The decoder skips CR and LF and ignores the padding bits; re-encoding refuses those
	// spellings too, so one id has exactly one token.
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != s {
		return "", invalidPageToken()
	}
	id, ok := strings.CutPrefix(string(b), pageTokenVersion)
	if !ok || id == "" || !utf8.ValidString(id) {
		return "", invalidPageToken()
	}
	return id, nil
}

func invalidPageToken() *switchboard.Error {
	e := switchboard.Errorf(switchboard.CodeInvalid, "page_token.invalid")
	e.Details = []switchboard.FieldError{{Field: "page_token", Reason: "invalid"}}
	return e
}
