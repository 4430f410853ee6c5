package httpx

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// duplicateKey returns the first object key that appears twice in the same object of body:
// exactly, at any depth, or differing only in case at the top level, where encoding/json
// matches a struct's fields case-insensitively and the last one would silently win. A proxy,
// WAF or schema validator in front may read the first occurrence; refusing the body keeps
// every reader agreeing on what it says. Nested objects may hold free-form maps (config
// values, header names) whose keys differ in case legitimately, so there only exact repeats
// count. Malformed JSON is left to the decoder to report.
func duplicateKey(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object   bool
		wantKey  bool
		keys     map[string]struct{}
		topLevel bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.wantKey = true // this value ends; the next token is a key
				}
				stack = append(stack, &frame{object: v == '{', wantKey: v == '{', topLevel: len(stack) == 0})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return "", false
				}
			}
			continue
		case string:
			if top != nil && top.object && top.wantKey {
				k := v
				if top.topLevel {
					k = strings.ToLower(strings.ToUpper(v)) // encoding/json's folding, near enough (ſ, K)
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				if _, dup := top.keys[k]; dup {
					return v, true
				}
				top.keys[k] = struct{}{}
				top.wantKey = false
				continue
			}
		}
		// A scalar value (or a string value): the next token in an object is a key.
		if top != nil && top.object {
			top.wantKey = true
		}
		if top == nil {
			return "", false // a scalar document
		}
	}
}

// checkDuplicateKeys refuses a body with a repeated object key: 4000 field.duplicate {Field}.
func checkDuplicateKeys(body []byte) error {
	if k, ok := duplicateKey(body); ok {
		return switchboard.Invalid(fieldName(k), "duplicate")
	}
	return nil
}
