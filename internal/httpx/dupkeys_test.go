package httpx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	for _, c := range []struct {
		body string
		dup  string // "" = none
	}{
		{`{"name":"a","name":"b"}`, "name"},
		{`{"name":"a","Name":"b"}`, "Name"},
		{`{"status":"PENDING","STATUS":"ACTIVE"}`, "STATUS"},
		{`{"status":"PENDING","ſtatus":"ACTIVE"}`, "ſtatus"}, // encoding/json folds ſ to s
		{`{"a":{"x":1,"x":2}}`, "x"},
		{`{"a":[{"x":1},{"x":2,"y":{"z":[1,{"q":1,"q":2}]}}]}`, "q"},
		{`{"a":{"b":1},"a":2}`, "a"},
		{`{"a":1,"b":{"a":1},"c":[{"a":1}]}`, ""},
		{`{"config":{"Token":"a","token":"b"}}`, ""}, // nested free-form keys may differ in case
		{`{"a":"b","b":"a"}`, ""},
		{`{}`, ""},
		{`[{"a":1},{"a":1}]`, ""},
		{`"x"`, ""},
		{`{"a":`, ""},                              // malformed: the decoder reports it
		{`{"\u0061":1,"a":2}`, "a"},                // escapes are resolved
		{`{"a\"":1,"a\\":2,"a":3}`, ""},            // escaped quotes and backslashes end no string
		{`{"x":"{\"a\":1,\"a\":2}"}`, ""},          // braces in a string value are text
		{`{"a":[1,"b",{"b":1}],"b":{"a":[]}}`, ""}, // strings in arrays are values, not keys
		{"{\"\xff\":1,\"\xfe\":2}", "\ufffd"},      // invalid UTF-8 reads as U+FFFD, as encoding/json decodes it
	} {
		got, ok := duplicateKey([]byte(c.body))
		if ok != (c.dup != "") || got != c.dup {
			t.Errorf("%s: %q %v, want %q", c.body, got, ok, c.dup)
		}
	}
}

func BenchmarkDuplicateKey(b *testing.B) {
	body := []byte(`{"connector_id":"kafka","connection_name":"bench-0001","config":{"kafkaAddr":"10.0.0.1:9092","userName":"svc","password":"bench-password-0123456789"}}`)
	b.ReportAllocs()
	for b.Loop() {
		duplicateKey(body)
	}
}

// FuzzDuplicateKey checks the byte scanner against a walk of encoding/json's tokens (the
// implementation it replaced, slower but plainly right) on every valid JSON document.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"name":"a","Name":"b"}`, `{"a":{"x":1,"x":2}}`, `{"a":"\\\"","b":["a",{"a":1,"a":2}]}`, `{"\u0061":1,"a":2}`, `[{"a":1},{"a":1}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := duplicateKey(body)
		if !json.Valid(body) {
			return
		}
		want, wantOK := duplicateKeyTokens(body)
		if got != want || ok != wantOK {
			t.Fatalf("%q: %q %v, tokens say %q %v", body, got, ok, want, wantOK)
		}
	})
}

func duplicateKeyTokens(body []byte) (string, bool) {
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
