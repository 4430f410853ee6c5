package httpx

import "testing"

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
		{`{"a":`, ""}, // malformed: the decoder reports it
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
