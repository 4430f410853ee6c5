package switchboard

import (
	"encoding/json"
	"testing"
)

// TestExternalSecretsCheck: with the secrets in an external reference, only the schema's
// required secret fields stop being demanded; every other rule still holds.
func TestExternalSecretsCheck(t *testing.T) {
	cs, err := compileSchema("schema", json.RawMessage(`{
		"type": "object", "additionalProperties": false,
		"anyOf": [{"required": ["token"]}, {"required": ["access_token"]}],
		"required": ["region"],
		"properties": {
			"token": {"type": "string", "writeOnly": true, "minLength": 3},
			"access_token": {"type": "string", "writeOnly": true},
			"region": {"type": "string"},
			"nested": {"type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}}
		}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		config   map[string]any
		external bool
		ok       bool
	}{
		{"secrets missing, external", map[string]any{"region": "eu"}, true, true},
		{"secrets missing, not external", map[string]any{"region": "eu"}, false, false},
		{"non-secret required still required", map[string]any{}, true, false},
		{"a given secret is still validated", map[string]any{"region": "eu", "token": "x"}, true, false},
		{"unknown fields still refused", map[string]any{"region": "eu", "other": "x"}, true, false},
		{"types still checked", map[string]any{"region": 1}, true, false},
		{"nested required is not a top-level secret", map[string]any{"region": "eu", "nested": map[string]any{}}, true, false},
		{"complete config", map[string]any{"region": "eu", "token": "abc"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cs.check("config", tc.config, tc.external)
			if (err == nil) != tc.ok {
				t.Errorf("check = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
