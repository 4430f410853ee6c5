package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/switchboardhq/switchboard"
)

// TestKeyringWire checks the keyring response against its schemas in openapi.json, both
// ways: the fields of the wire types, and a rendered status validating.
func TestKeyringWire(t *testing.T) {
	doc := decodeOpenAPI(t)
	for _, tc := range []struct {
		schema string
		typ    reflect.Type
	}{
		{"KeyringStatus", reflect.TypeFor[keyringJSON]()},
		{"KeyringKey", reflect.TypeFor[keyringKeyJSON]()},
		{"RewrapProgress", reflect.TypeFor[rewrapJSON]()},
	} {
		props, required := schemaFields(componentSchema(t, doc, tc.schema))
		all, always := jsonFields(tc.typ)
		if diff := cmp.Diff(all, props); diff != "" {
			t.Errorf("properties of %s (-json fields +schema):\n%s", tc.schema, diff)
		}
		if diff := cmp.Diff(always, required); diff != "" {
			t.Errorf("required of %s (-always written +schema):\n%s", tc.schema, diff)
		}
	}
	raw, _ := json.Marshal(keyringOut(&switchboard.KeyringStatus{
		ActiveKeyID: "k2",
		Keys:        []switchboard.KeyringKey{{ID: "k1", Rows: 1, InKeyring: true}, {ID: "k2", Rows: 3, Active: true, InKeyring: true}, {ID: "k0", Rows: 1}},
		Rewrap:      switchboard.RewrapProgress{Total: 5, Done: 3, Remaining: 2},
	}))
	empty, _ := json.Marshal(keyringOut(&switchboard.KeyringStatus{ActiveKeyID: "k1", Rewrap: switchboard.RewrapProgress{Complete: true}}))
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	d, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPI()))
	if err != nil {
		t.Fatal(err)
	}
	const loc = "file:///switchboard/openapi.json"
	if err := c.AddResource(loc, d); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc + "#/components/schemas/KeyringStatus")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{raw, empty} {
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s does not match KeyringStatus: %v", b, err)
		}
	}
}
