package versori_test

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// specURL names testdata/openapi.json for the schema compiler.
const specURL = "https://versori.test/connect-v1-openapi.json"

var (
	specOnce     sync.Once
	specCompiler *jsonschema.Compiler
	specErr      error
	specMu       sync.Mutex
	specSchemas  = map[string]*jsonschema.Schema{}
)

// loadSpec reads the vendor's OpenAPI document (see testdata/README.md) into a compiler for
// its components.schemas.
func loadSpec() {
	raw, err := os.ReadFile("testdata/openapi.json")
	if err != nil {
		specErr = err
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		specErr = err
		return
	}
	schemas := doc.(map[string]any)["components"].(map[string]any)["schemas"].(map[string]any)
	// The alternatives of these oneOfs overlap (basic-auth and oauth2-password data are the
	// same schema), so the spec's own basic-auth credential could never validate: read as anyOf.
	for _, name := range []string{"Credential", "CredentialCreate"} {
		data := schemas[name].(map[string]any)["properties"].(map[string]any)["data"].(map[string]any)
		data["anyOf"] = data["oneOf"]
		delete(data, "oneOf")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(specURL, doc); err != nil {
		specErr = err
		return
	}
	specCompiler = c
}

// validate checks body against the spec's schema of that name.
func validate(t testing.TB, schema string, body []byte) {
	t.Helper()
	specOnce.Do(loadSpec)
	if specErr != nil {
		t.Fatalf("load spec: %v", specErr)
	}
	specMu.Lock()
	sch, ok := specSchemas[schema]
	if !ok {
		var err error
		sch, err = specCompiler.Compile(specURL + "#/components/schemas/" + schema)
		if err != nil {
			specMu.Unlock()
			t.Fatalf("compile %s: %v", schema, err)
		}
		specSchemas[schema] = sch
	}
	specMu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("response does not validate against %s: %v\n%s", schema, err, body)
	}
}

func TestSpecRejectsWrongShapes(t *testing.T) {
	// The validator itself must bite, or every other check here proves nothing.
	for _, tc := range []struct{ schema, body string }{
		{"Connection", `{"id":"x","name":"n","variables":[],"createdAt":"2024-01-01T00:00:00Z","updatedAt":"2024-01-01T00:00:00Z"}`},
		{"Connection", `{"id":"x","name":"n","credentials":{},"variables":[],"createdAt":"2024-01-01T00:00:00Z","updatedAt":"2024-01-01T00:00:00Z"}`},
		{"ConnectorConnectionPage", `{"items":[]}`},
		{"Error", `{"code":"x"}`},
		{"Credential", `{"id":"x","organisationId":"o","type":"string","name":"n","data":{"value":1}}`},
		{"ConnectionCredential", `{"id":"x","authSchemeConfig":{"id":"a","description":"d","schemeType":"api-key"},"credential":{"id":"x","organisationId":"o","type":"none","name":"n","data":{}}}`},
	} {
		specOnce.Do(loadSpec)
		if specErr != nil {
			t.Fatal(specErr)
		}
		sch, err := specCompiler.Compile(specURL + "#/components/schemas/" + tc.schema)
		if err != nil {
			t.Fatal(err)
		}
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tc.body)))
		if sch.Validate(inst) == nil {
			t.Errorf("%s accepted %s", tc.schema, tc.body)
		}
	}
}
