package httpx

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
)

// duplicateKey returns the first object key that appears twice in the same object of body:
// exactly, at any depth, or differing only in case at the top level, where encoding/json
// matches a struct's fields case-insensitively and the last one would silently win. A proxy,
// WAF or schema validator in front may read the first occurrence; refusing the body keeps
// every reader agreeing on what it says. Nested objects may hold free-form maps (config
// values, header names) whose keys differ in case legitimately, so there only exact repeats
// count.
//
// It runs on every decoded body after encoding/json has accepted it, so it scans the bytes
// instead of walking json.Decoder tokens (which costs an allocation per token): in valid JSON
// a key is the string that follows '{' or an object's ','. Malformed JSON is left to the
// decoder to report; here it reads as no duplicate.
func duplicateKey(body []byte) (string, bool) {
	type frame struct {
		object bool
		keys   map[string]struct{}
	}
	var stack []frame
	wantKey := false // the next string is a key
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '{', '[':
			stack = append(stack, frame{object: c == '{'})
			wantKey = c == '{'
		case '}', ']':
			if len(stack) <= 1 {
				return "", false // the document ends
			}
			stack = stack[:len(stack)-1]
			wantKey = false
		case ',':
			wantKey = len(stack) > 0 && stack[len(stack)-1].object
		case '"':
			end := stringEnd(body, i)
			if end < 0 {
				return "", false
			}
			if wantKey {
				wantKey = false
				top := &stack[len(stack)-1]
				v := keyText(body[i : end+1])
				k := v
				if len(stack) == 1 {
					k = foldKey(v)
				}
				if _, dup := top.keys[k]; dup {
					return v, true
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				top.keys[k] = struct{}{}
			}
			i = end
		}
	}
	return "", false
}

// stringEnd returns the index of the quote that closes the JSON string opening at body[i],
// or -1 when it is not closed.
func stringEnd(body []byte, i int) int {
	for j := i + 1; j < len(body); j++ {
		switch body[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// keyText is the text of the quoted JSON string q as encoding/json decodes it: escapes
// resolved and invalid UTF-8 replaced, so "\u0041" and "A" are the same key.
func keyText(q []byte) string {
	s := q[1 : len(q)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s)
	}
	var v string
	if json.Unmarshal(q, &v) != nil {
		return string(s)
	}
	return v
}

// foldKey is encoding/json's case folding of a key, near enough (ſ, K): ASCII lower case,
// which costs nothing for a key already in it.
func foldKey(k string) string {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(strings.ToUpper(k))
		}
	}
	return k
}

// checkDuplicateKeys refuses a body with a repeated object key: 4000 field.duplicate {Field}.
func checkDuplicateKeys(body []byte) error {
	if k, ok := duplicateKey(body); ok {
		return switchboard.Invalid(fieldName(k), "duplicate")
	}
	return nil
}
