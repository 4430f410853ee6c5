package sqlite

import (
	"encoding/json"
	"maps"
	"reflect"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// TestEmptyJSONMatchesUnmarshal checks the fast path of jsonCol gives what encoding/json
// gives, for every document and destination it handles, starting from empty and from filled
// destinations.
func TestEmptyJSONMatchesUnmarshal(t *testing.T) {
	t.Parallel()
	type dsts struct {
		strs  []string
		anys  map[string]any
		texts map[string]string
		vars  []sb.Variable
		refs  sb.CredentialRefs
	}
	starts := []dsts{{}, {strs: []string{"x"}, anys: map[string]any{"k": 1.0}, texts: map[string]string{"k": "v"},
		vars: []sb.Variable{{Name: "n", Value: "v"}}, refs: sb.CredentialRefs{Action: []string{"a"}}}}
	for _, doc := range []string{"null", "[]", "{}", `{"action":[],"trigger":[]}`} {
		for i, start := range starts {
			for name, mk := range map[string]func(d *dsts) any{
				"strings": func(d *dsts) any { return &d.strs },
				"anys":    func(d *dsts) any { return &d.anys },
				"texts":   func(d *dsts) any { return &d.texts },
				"vars":    func(d *dsts) any { return &d.vars },
				"refs":    func(d *dsts) any { return &d.refs },
			} {
				want, got := start, start
				want.anys, got.anys = maps.Clone(start.anys), maps.Clone(start.anys)
				want.texts, got.texts = maps.Clone(start.texts), maps.Clone(start.texts)
				wantErr := json.Unmarshal([]byte(doc), mk(&want)) != nil
				gotErr := jsonCol{mk(&got)}.Scan(doc) != nil
				if wantErr != gotErr || !reflect.DeepEqual(want, got) {
					t.Errorf("%s into %s (start %d): got %#v (err %v), json gives %#v (err %v)", doc, name, i, got, gotErr, want, wantErr)
				}
			}
		}
	}
}
