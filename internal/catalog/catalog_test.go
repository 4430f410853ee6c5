package catalog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v6"

	switchboard "github.com/switchboardhq/switchboard"
)

var requiredKeys = []string{
	"slash", "http-api-key", "http-basic", "http-bearer", "kafka", "github", "google", "stripe", "postgres",
}

func mustLoad(t *testing.T) []switchboard.ConnectorDefinition {
	t.Helper()
	defs, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return defs
}

func byKey(t *testing.T, key string) switchboard.ConnectorDefinition {
	t.Helper()
	for _, d := range mustLoad(t) {
		if d.Connector.Key == key {
			return d
		}
	}
	t.Fatalf("connector %q not in the catalog", key)
	return switchboard.ConnectorDefinition{}
}

func latest(t *testing.T, key string) switchboard.ConnectorVersion {
	t.Helper()
	d := byKey(t, key)
	return d.Versions[len(d.Versions)-1]
}

// schemaDoc decodes a schema for inspection.
func schemaDoc(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return m
}

func properties(t *testing.T, raw json.RawMessage) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for name, p := range schemaDoc(t, raw)["properties"].(map[string]any) {
		out[name] = p.(map[string]any)
	}
	return out
}

func requiredOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var out []string
	if req, ok := schemaDoc(t, raw)["required"].([]any); ok {
		for _, r := range req {
			out = append(out, r.(string))
		}
	}
	sort.Strings(out)
	return out
}

func secretsOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var out []string
	for name, p := range properties(t, raw) {
		if p["writeOnly"] == true {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// compileStrict compiles a schema the way the brief prescribes (UnmarshalJSON + AddResource +
// Compile), optionally asserting formats.
func compileStrict(t *testing.T, raw json.RawMessage, assertFormat bool) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if assertFormat {
		c.AssertFormat()
	}
	if err := c.AddResource("test:///schema.json", doc); err != nil {
		t.Fatalf("AddResource: %v", err)
	}
	sch, err := c.Compile("test:///schema.json")
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return sch
}

func decodeAny(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
	return v
}

func TestLoad(t *testing.T) {
	defs := mustLoad(t)
	if len(defs) < len(requiredKeys) {
		t.Fatalf("got %d connectors, want at least %d", len(defs), len(requiredKeys))
	}
	for i, d := range defs {
		c := d.Connector
		if i > 0 && defs[i-1].Connector.Key >= c.Key {
			t.Errorf("not sorted by key, or duplicate: %q before %q", defs[i-1].Connector.Key, c.Key)
		}
		if c.ID != c.Key || c.WorkspaceID != "" || !c.BuiltIn() {
			t.Errorf("%s: ID %q WorkspaceID %q, want ID = key and a built-in", c.Key, c.ID, c.WorkspaceID)
		}
		if c.Name == "" || c.Description == "" || len(c.Categories) == 0 {
			t.Errorf("%s: name, description and categories are required", c.Key)
		}
		if len(d.Versions) == 0 {
			t.Fatalf("%s: no versions", c.Key)
		}
		if c.LatestVersion != d.Versions[len(d.Versions)-1].Version {
			t.Errorf("%s: LatestVersion %q, want the last version %q", c.Key, c.LatestVersion, d.Versions[len(d.Versions)-1].Version)
		}
		for j, v := range d.Versions {
			if v.ConnectorID != c.ID || v.WorkspaceID != "" {
				t.Errorf("%s %s: ConnectorID %q WorkspaceID %q", c.Key, v.Version, v.ConnectorID, v.WorkspaceID)
			}
			if j > 0 && slices.Compare(semver(d.Versions[j-1].Version), semver(v.Version)) >= 0 {
				t.Errorf("%s: versions not ascending: %s before %s", c.Key, d.Versions[j-1].Version, v.Version)
			}
			if len(v.AuthSchemes) == 0 || len(v.Schema) == 0 {
				t.Errorf("%s %s: auth schemes and schema are required", c.Key, v.Version)
			}
			if !json.Valid(v.Schema) {
				t.Errorf("%s %s: schema is not valid JSON", c.Key, v.Version)
			}
		}
	}
}

func TestMustLoad(t *testing.T) {
	if got, want := len(MustLoad()), len(mustLoad(t)); got != want {
		t.Fatalf("MustLoad gave %d connectors, Load %d", got, want)
	}
}

func TestRequiredConnectorsPresent(t *testing.T) {
	keys := map[string]bool{}
	for _, d := range mustLoad(t) {
		keys[d.Connector.Key] = true
	}
	for _, k := range requiredKeys {
		if !keys[k] {
			t.Errorf("required connector %q missing", k)
		}
	}
}

func TestSchemasCompileAsDraft2020(t *testing.T) {
	for _, d := range mustLoad(t) {
		for _, v := range d.Versions {
			doc := schemaDoc(t, v.Schema)
			if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("%s %s: $schema %v", d.Connector.Key, v.Version, doc["$schema"])
			}
			if doc["type"] != "object" || doc["additionalProperties"] != false {
				t.Errorf("%s %s: want type object and additionalProperties false", d.Connector.Key, v.Version)
			}
			sch := compileStrict(t, v.Schema, false)
			if sch.DraftVersion != 2020 {
				t.Errorf("%s %s: compiled as draft %d", d.Connector.Key, v.Version, sch.DraftVersion)
			}
			compileStrict(t, v.Schema, true)
			for name, p := range properties(t, v.Schema) {
				if p["title"] == nil || p["description"] == nil {
					t.Errorf("%s %s: property %q needs title and description", d.Connector.Key, v.Version, name)
				}
			}
		}
	}
}

// TestSecretFieldsTopLevelStrings walks every schema: "writeOnly" occurs only on top-level
// properties, and those are strings.
func TestSecretFieldsTopLevelStrings(t *testing.T) {
	for _, d := range mustLoad(t) {
		for _, v := range d.Versions {
			var walk func(path string, x any)
			walk = func(path string, x any) {
				switch x := x.(type) {
				case map[string]any:
					for k, child := range x {
						if k == "writeOnly" {
							parts := strings.Split(path, "/")
							if len(parts) != 3 || parts[1] != "properties" {
								t.Errorf("%s: writeOnly at %s, want a top-level property", d.Connector.Key, path)
							} else if x["type"] != "string" || child != true {
								t.Errorf("%s: secret %s must be a string with writeOnly true", d.Connector.Key, path)
							}
							continue
						}
						walk(path+"/"+k, child)
					}
				case []any:
					for _, child := range x {
						walk(path+"/[]", child)
					}
				}
			}
			walk("", schemaDoc(t, v.Schema))
			if len(secretsOf(t, v.Schema)) == 0 {
				t.Errorf("%s %s: no secret field", d.Connector.Key, v.Version)
			}
		}
	}
}

type examples struct {
	Valid   []json.RawMessage `json:"valid"`
	Invalid []struct {
		Why    string          `json:"why"`
		Config json.RawMessage `json:"config"`
	} `json:"invalid"`
}

// TestExamples validates testdata/examples/<key>.json against the latest version of each
// connector, with formats as annotations (the draft's default) and as assertions.
func TestExamples(t *testing.T) {
	for _, d := range mustLoad(t) {
		key := d.Connector.Key
		t.Run(key, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "examples", key+".json"))
			if err != nil {
				t.Fatalf("every connector needs examples: %v", err)
			}
			var ex examples
			if err := decodeStrict(raw, &ex); err != nil {
				t.Fatalf("examples: %v", err)
			}
			if len(ex.Valid) == 0 || len(ex.Invalid) == 0 {
				t.Fatal("want at least one valid and one invalid example")
			}
			v := d.Versions[len(d.Versions)-1]
			for _, assert := range []bool{false, true} {
				sch := compileStrict(t, v.Schema, assert)
				for i, cfg := range ex.Valid {
					if err := sch.Validate(decodeAny(t, cfg)); err != nil {
						t.Errorf("valid[%d] (assertFormat=%v) rejected: %v", i, assert, err)
					}
				}
				for _, bad := range ex.Invalid {
					if err := sch.Validate(decodeAny(t, bad.Config)); err == nil {
						t.Errorf("invalid %q (assertFormat=%v) accepted", bad.Why, assert)
					}
				}
				if err := sch.Validate(map[string]any{}); err == nil {
					t.Errorf("empty config (assertFormat=%v) accepted", assert)
				}
				// Dropping any required field from a valid example must fail.
				for _, req := range requiredOf(t, v.Schema) {
					cfg := decodeAny(t, ex.Valid[0]).(map[string]any)
					delete(cfg, req)
					if err := sch.Validate(cfg); err == nil {
						t.Errorf("valid[0] without required %q accepted", req)
					}
				}
			}
		})
	}
}

func TestSlashMatchesSeed(t *testing.T) {
	v := latest(t, "slash")
	want := []string{"partnerEndpoint", "slashAccountId", "slashApiBaseUrl", "slashApiKey", "slashWebhookSecret"}
	if got := requiredOf(t, v.Schema); !slices.Equal(got, want) {
		t.Errorf("required = %v, want exactly %v", got, want)
	}
	props := properties(t, v.Schema)
	var names []string
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	if !slices.Equal(names, want) {
		t.Errorf("properties = %v, want exactly %v", names, want)
	}
	if got, want := secretsOf(t, v.Schema), []string{"slashAccountId", "slashApiKey", "slashWebhookSecret"}; !slices.Equal(got, want) {
		t.Errorf("secrets = %v, want %v", got, want)
	}
	for _, n := range want {
		if props[n]["minLength"] != float64(1) {
			t.Errorf("%s: want minLength 1 (must not be blank)", n)
		}
	}
	for _, n := range []string{"partnerEndpoint", "slashApiBaseUrl"} {
		if props[n]["format"] != "uri" {
			t.Errorf("%s: want format uri", n)
		}
	}
}

func TestKafkaMatchesSecMasterSeed(t *testing.T) {
	v := latest(t, "kafka")
	props := properties(t, v.Schema)
	for _, n := range []string{"kafkaAddr", "userName", "password", "keyStorePassword"} {
		if props[n] == nil {
			t.Errorf("property %q missing", n)
		}
	}
	if got, want := secretsOf(t, v.Schema), []string{"keyStorePassword", "password"}; !slices.Equal(got, want) {
		t.Errorf("secrets = %v, want %v", got, want)
	}
	sch := compileStrict(t, v.Schema, false)
	// The config strings of the seed's example request and of the SDK acceptance run, verbatim.
	for _, s := range []string{
		`{"password":"******","kafkaAddr":"aaa","keyStorePassword":"******","userName":"bbb"}`,
		`{"kafkaAddr":"127.0.0.1:9092","userName":"sb-accept","password":"sb-accept-secret"}`,
	} {
		if err := sch.Validate(decodeAny(t, []byte(s))); err != nil {
			t.Errorf("seed config %s rejected: %v", s, err)
		}
	}
}

func TestOAuth2Connectors(t *testing.T) {
	cases := map[string][2]string{
		"github": {"https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"},
		"google": {"https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token"},
	}
	for key, urls := range cases {
		v := latest(t, key)
		var o OAuth2
		if err := decodeStrict(v.OAuth2, &o); err != nil {
			t.Fatalf("%s: oauth2: %v", key, err)
		}
		if o.AuthorizeURL != urls[0] || o.TokenURL != urls[1] || !o.PKCE || len(o.Scopes) == 0 {
			t.Errorf("%s: oauth2 = %+v", key, o)
		}
		if !slices.Contains(v.AuthSchemes, "oauth2") || len(v.Permissions) == 0 {
			t.Errorf("%s: want the oauth2 auth scheme and permissions", key)
		}
		for _, s := range o.Scopes {
			if !slices.Contains(v.Permissions, s) {
				t.Errorf("%s: default scope %q not in permissions", key, s)
			}
		}
		if got, want := requiredOf(t, v.Schema), []string{"client_id", "client_secret"}; !slices.Equal(got, want) {
			t.Errorf("%s: required = %v, want %v", key, got, want)
		}
		if got, want := secretsOf(t, v.Schema), []string{"access_token", "client_secret", "refresh_token"}; !slices.Equal(got, want) {
			t.Errorf("%s: secrets = %v, want %v", key, got, want)
		}
		scopes := properties(t, v.Schema)["scopes"]
		if scopes["type"] != "array" {
			t.Fatalf("%s: scopes must be an array", key)
		}
		items := scopes["items"].(map[string]any)
		var enum []string
		for _, e := range items["enum"].([]any) {
			enum = append(enum, e.(string))
		}
		if items["type"] != "string" || !slices.Equal(enum, v.Permissions) {
			t.Errorf("%s: scopes items must be strings from the permissions list", key)
		}
	}
}

func TestStripeAndPostgres(t *testing.T) {
	s := latest(t, "stripe")
	if p := properties(t, s.Schema)["secret_key"]; p["pattern"] != "^(sk|rk)_(test|live)_[A-Za-z0-9]+$" {
		t.Errorf("stripe secret_key pattern = %v", p["pattern"])
	}
	if got, want := secretsOf(t, s.Schema), []string{"secret_key", "webhook_secret"}; !slices.Equal(got, want) {
		t.Errorf("stripe secrets = %v, want %v", got, want)
	}
	if got, want := requiredOf(t, s.Schema), []string{"secret_key"}; !slices.Equal(got, want) {
		t.Errorf("stripe required = %v, want %v", got, want)
	}

	p := latest(t, "postgres")
	props := properties(t, p.Schema)
	port := props["port"]
	if port["type"] != "integer" || port["minimum"] != float64(1) || port["maximum"] != float64(65535) || port["default"] != float64(5432) {
		t.Errorf("postgres port = %v", port)
	}
	var modes []string
	for _, m := range props["sslmode"]["enum"].([]any) {
		modes = append(modes, m.(string))
	}
	if want := []string{"disable", "require", "verify-ca", "verify-full"}; !slices.Equal(modes, want) {
		t.Errorf("postgres sslmode enum = %v, want %v", modes, want)
	}
	if got, want := secretsOf(t, p.Schema), []string{"password"}; !slices.Equal(got, want) {
		t.Errorf("postgres secrets = %v, want %v", got, want)
	}
}

func TestHTTPConnectors(t *testing.T) {
	cases := map[string]struct{ required, secrets []string }{
		"http-api-key": {[]string{"api_key", "base_url"}, []string{"api_key"}},
		"http-basic":   {[]string{"base_url", "password", "username"}, []string{"password"}},
		"http-bearer":  {[]string{"base_url", "token"}, []string{"token"}},
	}
	for key, c := range cases {
		v := latest(t, key)
		if got := requiredOf(t, v.Schema); !slices.Equal(got, c.required) {
			t.Errorf("%s: required = %v, want %v", key, got, c.required)
		}
		if got := secretsOf(t, v.Schema); !slices.Equal(got, c.secrets) {
			t.Errorf("%s: secrets = %v, want %v", key, got, c.secrets)
		}
		if properties(t, v.Schema)["base_url"]["format"] != "uri" {
			t.Errorf("%s: base_url wants format uri", key)
		}
		if len(v.HealthCheck) == 0 {
			t.Errorf("%s: want a health check", key)
		}
	}
	if d := properties(t, latest(t, "http-api-key").Schema)["header_name"]["default"]; d != "X-API-Key" {
		t.Errorf("http-api-key header_name default = %v", d)
	}
}

func TestHealthChecksAndOAuth2Decode(t *testing.T) {
	for _, d := range mustLoad(t) {
		for _, v := range d.Versions {
			if len(v.HealthCheck) > 0 {
				var hc HealthCheck
				if err := decodeStrict(v.HealthCheck, &hc); err != nil {
					t.Errorf("%s: health_check: %v", d.Connector.Key, err)
				}
			}
			if len(v.OAuth2) > 0 {
				var o OAuth2
				if err := decodeStrict(v.OAuth2, &o); err != nil {
					t.Errorf("%s: oauth2: %v", d.Connector.Key, err)
				}
			}
		}
	}
}

const okSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,
 "required":["token"],"properties":{"token":{"type":"string","writeOnly":true,"title":"T","description":"D"}}}`

func connectorFile(key, versions string) string {
	return `{"key":"` + key + `","name":"X","description":"x","categories":["test"],"versions":` + versions + `}`
}

func version(v, extra string) string {
	return `{"version":"` + v + `","auth_schemes":["bearer"],"schema":` + okSchema + extra + `}`
}

func TestLoadMultipleVersions(t *testing.T) {
	fsys := fstest.MapFS{
		"c/b.json": {Data: []byte(connectorFile("b", "["+version("1.2.0", "")+","+version("1.10.0", "")+"]"))},
		"c/a.json": {Data: []byte(connectorFile("a", "["+version("0.1.0", "")+"]"))},
	}
	defs, err := load(fsys, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 2 || defs[0].Connector.Key != "a" || defs[1].Connector.Key != "b" {
		t.Fatalf("got %+v", defs)
	}
	b := defs[1]
	if b.Connector.LatestVersion != "1.10.0" || len(b.Versions) != 2 || b.Versions[0].Version != "1.2.0" {
		t.Errorf("b: latest %q, versions %+v", b.Connector.LatestVersion, b.Versions)
	}
	for _, v := range b.Versions {
		if v.ConnectorID != "b" {
			t.Errorf("ConnectorID %q", v.ConnectorID)
		}
	}
}

func TestLoadRejectsMalformed(t *testing.T) {
	schemaWith := func(props string) string {
		return `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"properties":` + props + `}`
	}
	verWithSchema := func(s string) string {
		return connectorFile("x", `[{"version":"1.0.0","auth_schemes":["bearer"],"schema":`+s+`}]`)
	}
	cases := map[string]string{
		"not JSON":            `{"key":`,
		"trailing data":       connectorFile("x", "["+version("1.0.0", "")+"]") + "{}",
		"unknown field":       `{"key":"x","name":"X","bogus":1,"versions":[` + version("1.0.0", "") + `]}`,
		"key mismatch":        connectorFile("y", "["+version("1.0.0", "")+"]"),
		"no versions":         connectorFile("x", "[]"),
		"blank name":          `{"key":"x","name":" ","versions":[` + version("1.0.0", "") + `]}`,
		"bad version":         connectorFile("x", "["+version("v1", "")+"]"),
		"versions unsorted":   connectorFile("x", "["+version("1.10.0", "")+","+version("1.9.0", "")+"]"),
		"duplicate version":   connectorFile("x", "["+version("1.0.0", "")+","+version("1.0.0", "")+"]"),
		"unknown auth scheme": connectorFile("x", `[{"version":"1.0.0","auth_schemes":["magic"],"schema":`+okSchema+`}]`),
		"no auth scheme":      connectorFile("x", `[{"version":"1.0.0","auth_schemes":[],"schema":`+okSchema+`}]`),
		"unknown slot":        connectorFile("x", "["+version("1.0.0", `,"slots":["sideways"]`)+"]"),
		"missing schema":      connectorFile("x", `[{"version":"1.0.0","auth_schemes":["bearer"]}]`),
		"wrong dialect":       verWithSchema(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"properties":{"a":{"type":"string","title":"A","description":"a"}}}`),
		"additional allowed":  verWithSchema(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"a":{"type":"string","title":"A","description":"a"}}}`),
		"no title":            verWithSchema(schemaWith(`{"a":{"type":"string","description":"a"}}`)),
		"secret not string":   verWithSchema(schemaWith(`{"a":{"type":"integer","writeOnly":true,"title":"A","description":"a"}}`)),
		"writeOnly false":     verWithSchema(schemaWith(`{"a":{"type":"string","writeOnly":false,"title":"A","description":"a"}}`)),
		"nested secret":       verWithSchema(schemaWith(`{"a":{"type":"object","title":"A","description":"a","properties":{"b":{"type":"string","writeOnly":true}}}}`)),
		"secret in allOf":     verWithSchema(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"properties":{"a":{"type":"string","title":"A","description":"a"}},"allOf":[{"properties":{"a":{"writeOnly":true}}}]}`),
		"secret default":      verWithSchema(schemaWith(`{"a":{"type":"string","writeOnly":true,"default":"x","title":"A","description":"a"}}`)),
		"required unknown":    verWithSchema(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"required":["b"],"properties":{"a":{"type":"string","title":"A","description":"a"}}}`),
		"does not compile":    verWithSchema(schemaWith(`{"a":{"type":"string","pattern":"(","title":"A","description":"a"}}`)),
		"bad keyword value":   verWithSchema(schemaWith(`{"a":{"type":"string","minLength":-1,"title":"A","description":"a"}}`)),
		"health bad template": connectorFile("x", "["+version("1.0.0", `,"health_check":{"type":"http","method":"GET","url":"{{config.nope}}","expect_status":[200]}`)+"]"),
		"health bad type":     connectorFile("x", "["+version("1.0.0", `,"health_check":{"type":"icmp","address":"x"}`)+"]"),
		"health extra field":  connectorFile("x", "["+version("1.0.0", `,"health_check":{"type":"http","method":"GET","url":"https://x","expect_status":[200],"retries":3}`)+"]"),
		"health bad status":   connectorFile("x", "["+version("1.0.0", `,"health_check":{"type":"http","method":"GET","url":"https://x","expect_status":[999]}`)+"]"),
		"oauth2 no block":     connectorFile("x", `[{"version":"1.0.0","auth_schemes":["oauth2"],"schema":`+okSchema+`}]`),
		"oauth2 no scheme":    connectorFile("x", "["+version("1.0.0", `,"oauth2":{"authorize_url":"https://a","token_url":"https://t","scopes":[],"pkce":true}`)+"]"),
		"oauth2 http url":     connectorFile("x", `[{"version":"1.0.0","auth_schemes":["oauth2"],"schema":`+okSchema+`,"oauth2":{"authorize_url":"http://a","token_url":"https://t","scopes":[],"pkce":true}}]`),
	}
	for name, file := range cases {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"c/x.json": {Data: []byte(file)}}
			if _, err := load(fsys, "c"); err == nil {
				t.Fatalf("accepted:\n%s", file)
			} else {
				t.Log(err)
			}
		})
	}
	// The well-formed base of those cases loads, so each failure above is the case's own.
	good := fstest.MapFS{"c/x.json": {Data: []byte(connectorFile("x", "["+version("1.0.0", `,"health_check":{"type":"http","method":"GET","url":"{{config.token}}","expect_status":[200]}`)+"]"))}}
	if _, err := load(good, "c"); err != nil {
		t.Fatalf("base case rejected: %v", err)
	}
	if _, err := load(fstest.MapFS{}, "c"); err == nil {
		t.Fatal("empty catalog accepted")
	}
}
