package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

func decodeOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

// componentSchema returns components.schemas[name].
func componentSchema(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	s, ok := schemas[name].(map[string]any)
	if !ok {
		t.Fatalf("components.schemas.%s is missing", name)
	}
	return s
}

// schemaFields returns the property names and the required names of an object schema.
func schemaFields(s map[string]any) (props, required []string) {
	pm, _ := s["properties"].(map[string]any)
	for k := range pm {
		props = append(props, k)
	}
	rl, _ := s["required"].([]any)
	for _, r := range rl {
		if r, ok := r.(string); ok {
			required = append(required, r)
		}
	}
	sort.Strings(props)
	sort.Strings(required)
	return props, required
}

// jsonFields returns the JSON field names encoding/json uses for struct type t (embedded
// structs flattened) and those it always writes (no omitempty or omitzero).
func jsonFields(t reflect.Type) (all, always []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !hasTag {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				a, w := jsonFields(ft)
				all, always = append(all, a...), append(always, w...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		o := "," + opts + ","
		if !strings.Contains(o, ",omitempty,") && !strings.Contains(o, ",omitzero,") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

func TestOpenAPIDocument(t *testing.T) {
	doc := decodeOpenAPI(t)
	if got := doc["openapi"]; got != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", got)
	}
	info, _ := doc["info"].(map[string]any)
	if s, _ := info["title"].(string); s == "" {
		t.Error("info.title is empty")
	}
	if s, _ := info["version"].(string); s == "" {
		t.Error("info.version is empty")
	}
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearer"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearer = %v, want http bearer", bearer)
	}
	// The document is served byte for byte: no trailing garbage after the one JSON value.
	if !json.Valid(OpenAPI()) {
		t.Error("openapi.json is not valid JSON")
	}
}

// TestOpenAPIWireFields checks that each response schema lists exactly the JSON fields of the
// Go wire type, and requires exactly those always written, so a renamed, added or removed
// field fails here until the document follows.
func TestOpenAPIWireFields(t *testing.T) {
	doc := decodeOpenAPI(t)
	for _, tc := range []struct {
		schema string
		typ    reflect.Type
	}{
		{"Connection", reflect.TypeFor[connectionJSON]()},
		{"Credential", reflect.TypeFor[credentialJSON]()},
		{"Connector", reflect.TypeFor[connectorJSON]()},
		{"ConnectorVersion", reflect.TypeFor[connectorVersionJSON]()},
		{"Workspace", reflect.TypeFor[workspaceJSON]()},
		{"APIKey", reflect.TypeFor[apiKeyJSON]()},
		{"Usage", reflect.TypeFor[usageJSON]()},
		{"AuditEvent", reflect.TypeFor[auditJSON]()},
		{"Health", reflect.TypeFor[healthJSON]()},
		{"HealthResult", reflect.TypeFor[healthResultJSON]()},
		{"ConnectionTest", reflect.TypeFor[connectionTestJSON]()},
		{"ConnectionCredentials", reflect.TypeFor[connectionCredentialsJSON]()},
		{"Variable", reflect.TypeFor[switchboard.Variable]()},
		{"CredentialRefs", reflect.TypeFor[switchboard.CredentialRefs]()},
		{"ExternalRef", reflect.TypeFor[switchboard.ExternalRef]()},
		{"FieldError", reflect.TypeFor[switchboard.FieldError]()},
		{"Error", reflect.TypeFor[httpx.ErrorBody]()},
		{"ConnectionList", reflect.TypeFor[listJSON[connectionJSON]]()},
		{"CredentialList", reflect.TypeFor[listJSON[credentialJSON]]()},
		{"ConnectorList", reflect.TypeFor[listJSON[connectorJSON]]()},
		{"WorkspaceList", reflect.TypeFor[listJSON[workspaceJSON]]()},
		{"APIKeyList", reflect.TypeFor[listJSON[apiKeyJSON]]()},
		{"UsageList", reflect.TypeFor[listJSON[usageJSON]]()},
		{"AuditEventList", reflect.TypeFor[listJSON[auditJSON]]()},
		{"Organization", reflect.TypeFor[organizationJSON]()},
		{"OrganizationList", reflect.TypeFor[listJSON[organizationJSON]]()},
		{"OAuthClient", reflect.TypeFor[oauthClientJSON]()},
		{"ConnectSession", reflect.TypeFor[connectSessionJSON]()},
		{"OAuthToken", reflect.TypeFor[oauthTokenJSON]()},
		{"WebhookEndpoint", reflect.TypeFor[webhookEndpointJSON]()},
		{"WebhookEndpointList", reflect.TypeFor[listJSON[webhookEndpointJSON]]()},
		{"WebhookDelivery", reflect.TypeFor[webhookDeliveryJSON]()},
		{"WebhookDeliveryList", reflect.TypeFor[listJSON[webhookDeliveryJSON]]()},
		{"WebhookAttempt", reflect.TypeFor[webhookAttemptJSON]()},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			props, required := schemaFields(componentSchema(t, doc, tc.schema))
			all, always := jsonFields(tc.typ)
			if diff := cmp.Diff(all, props); diff != "" {
				t.Errorf("properties of %s (-json fields of %s +schema):\n%s", tc.schema, tc.typ, diff)
			}
			if tc.schema == "Error" {
				// ErrorBody omits an empty request_id, but the server always sets one; the
				// schema requires only code and message.
				return
			}
			if diff := cmp.Diff(always, required); diff != "" {
				t.Errorf("required of %s (-fields %s always writes +schema):\n%s", tc.schema, tc.typ, diff)
			}
		})
	}
}

// TestOpenAPIRequestFields checks the request schemas against the request structs that have a
// name (the others are anonymous structs in the handlers).
func TestOpenAPIRequestFields(t *testing.T) {
	doc := decodeOpenAPI(t)
	in, _ := jsonFields(reflect.TypeFor[connectionIn]())
	props, _ := schemaFields(componentSchema(t, doc, "ConnectionCreate"))
	if diff := cmp.Diff(in, props); diff != "" {
		t.Errorf("ConnectionCreate properties (-connectionIn +schema):\n%s", diff)
	}

	// A patch may name the fields of a create except the connector.
	patch, _ := schemaFields(componentSchema(t, doc, "ConnectionPatch"))
	want := slices.DeleteFunc(slices.Clone(in), func(s string) bool { return s == "connector_id" })
	if diff := cmp.Diff(want, patch); diff != "" {
		t.Errorf("ConnectionPatch properties (-connectionIn without connector_id +schema):\n%s", diff)
	}

	vin, _ := jsonFields(reflect.TypeFor[connectorVersionIn]())
	props, _ = schemaFields(componentSchema(t, doc, "ConnectorVersionCreate"))
	if diff := cmp.Diff(vin, props); diff != "" {
		t.Errorf("ConnectorVersionCreate properties (-connectorVersionIn +schema):\n%s", diff)
	}
	props, _ = schemaFields(componentSchema(t, doc, "ConnectorCreate"))
	for _, f := range vin {
		if !slices.Contains(props, f) {
			t.Errorf("ConnectorCreate lacks %q, a field of the embedded connectorVersionIn", f)
		}
	}

	// Request bodies are decoded with unknown fields refused: say so in the schemas.
	for _, name := range []string{"ConnectionCreate", "ConnectionPatch", "ConnectorCreate", "ConnectorVersionCreate",
		"CredentialCreate", "CredentialPatch", "WorkspaceCreate", "APIKeyCreate", "UsageCreate",
		"OrganizationCreate", "OrganizationPatch", "WebhookEndpointCreate", "WebhookEndpointPatch", "WebhookVerify"} {
		if ap, ok := componentSchema(t, doc, name)["additionalProperties"]; !ok || ap != false {
			t.Errorf("%s: additionalProperties = %v, want false (the decoder refuses unknown fields)", name, ap)
		}
	}
}

// TestOpenAPISchemasMatchWireValues renders sample objects through the handlers' own output
// functions and validates them against the document's schemas, so a change of a field's type
// or nullability fails too.
func TestOpenAPISchemasMatchWireValues(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPI()))
	if err != nil {
		t.Fatal(err)
	}
	const loc = "file:///switchboard/openapi.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	compile := func(name string) *jsonschema.Schema {
		t.Helper()
		s, err := c.Compile(loc + "#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("schema %s does not compile: %v", name, err)
		}
		return s
	}

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	later := now.Add(time.Hour)
	far := time.Now().Add(time.Hour) // a rotation's overlap still running
	conn := &switchboard.Connection{
		ID: "conn_1", WorkspaceID: "ws_1", ConnectorID: "slash", ConnectorVersion: "1.0.0", Name: "prod",
		Description: "d", Config: map[string]any{"region": "eu", "port": 443.0},
		Secrets:   map[string]switchboard.Secret{"api_key": switchboard.NewSecret("sk_live_0123456789abcd")},
		Variables: []switchboard.Variable{{Name: "a", Value: "b"}},
		Credentials: switchboard.CredentialRefs{
			Action: []string{"cred_1"}, Trigger: []string{"cred_2"},
		},
		Status: switchboard.StatusActive, Enabled: true, Environment: "production", ExternalXref: "x",
		Tags: []string{"t"}, Health: switchboard.Health{LastHealthyAt: &now, LastUnhealthyAt: &later, LastError: "e"},
		UsageCount: 2, Unreadable: true, CreatedAt: now, UpdatedAt: later, CreatedBy: "u", UpdatedBy: "u", Revision: 3,
	}
	bare := &switchboard.Connection{ID: "conn_2", Status: switchboard.StatusPending}
	cred := &switchboard.Credential{
		ID: "cred_1", WorkspaceID: "ws_1", Name: "k", Type: switchboard.CredentialAPIKey,
		Data:      map[string]switchboard.Secret{"api_key": switchboard.NewSecret("sk_live_0123456789abcd")},
		CreatedAt: now, UpdatedAt: now, Revision: 1,
	}
	ext := &switchboard.Credential{
		ID: "cred_2", Type: switchboard.CredentialCustom,
		ExternalRef: &switchboard.ExternalRef{Provider: "hashicorp_vault", Ref: "secret/data/x"},
	}
	version := switchboard.ConnectorVersion{
		Version: "1.0.0", Schema: json.RawMessage(`{"type":"object","properties":{"k":{"type":"string","writeOnly":true}}}`),
		AuthSchemes: []string{"api_key"}, Slots: []string{"action"}, Permissions: []string{"read"},
		HealthCheck: json.RawMessage(`{"url":"https://x"}`), OAuth2: json.RawMessage(`{"scopes":["a"]}`),
	}
	builtin := &switchboard.ConnectorDefinition{
		Connector: switchboard.Connector{ID: "slash", Key: "slash", Name: "Slash", LatestVersion: "1.0.0"},
		Versions:  []switchboard.ConnectorVersion{version, {Version: "0.9.0"}},
	}
	own := &switchboard.Connector{ID: "ctr_1", WorkspaceID: "ws_1", Key: "own", Name: "Own", Categories: []string{"c"}, CreatedAt: now}
	key := &switchboard.APIKey{ID: "key_1", WorkspaceID: "ws_1", Role: switchboard.RoleAdmin, Scopes: []string{switchboard.ScopeCredentialsRead}, Prefix: "sbk_abcdef", CreatedAt: now, RevokedAt: &later}
	newKey := apiKeyOut(&switchboard.APIKey{ID: "key_2", Role: switchboard.RoleViewer, CreatedAt: now})
	newKey.Key = "sbk_abcdefghijklmnop"
	cc := &switchboard.ConnectionCredentials{Connection: conn, Action: []*switchboard.Credential{cred}, Trigger: []*switchboard.Credential{ext}}
	event := &switchboard.AuditEvent{ID: "evt_1", WorkspaceID: "ws_1", Action: "connection.create", ClientHash: "h", Details: map[string]any{"n": 1.0}, CreatedAt: now}
	usage := &switchboard.Usage{ID: "use_1", ConnectionID: "conn_1", Consumer: "wf", CreatedAt: now}
	ws := &switchboard.Workspace{ID: "ws_1", TenantID: "t", Name: "W", CreatedAt: now}
	list := func(items any, next string) any {
		return map[string]any{"items": items, "next_page_token": next}
	}

	for _, tc := range []struct {
		schema string
		value  any
	}{
		{"Connection", connectionOut(conn)},
		{"Connection", connectionOut(bare)},
		{"ConnectionList", listJSON[connectionJSON]{Items: []connectionJSON{connectionOut(conn)}, NextPageToken: "tok"}},
		{"ConnectionList", listJSON[connectionJSON]{Items: []connectionJSON{}}},
		{"ConnectionCredentials", connectionCredentialsOut(cc)},
		{"ConnectionCredentials", connectionCredentialsOut(&switchboard.ConnectionCredentials{Connection: bare})},
		{"Credential", credentialOut(cred, false)},
		{"Credential", credentialOut(ext, false)},
		{"CredentialList", list([]credentialJSON{credentialOut(cred, false)}, "tok")},
		{"Connector", connectorDefOut(builtin)},
		{"Connector", connectorOut(own)},
		{"ConnectorList", list([]connectorJSON{connectorOut(&builtin.Connector), connectorOut(own)}, "tok")},
		{"ConnectorVersion", versionOut(&version)},
		{"ConnectorVersion", versionOut(&switchboard.ConnectorVersion{Version: "2"})},
		{"Workspace", workspaceOut(ws)},
		{"WorkspaceList", list([]workspaceJSON{workspaceOut(ws)}, "tok")},
		{"APIKey", apiKeyOut(key)},
		{"APIKey", newKey},
		{"APIKeyList", list([]apiKeyJSON{apiKeyOut(key)}, "tok")},
		{"Usage", usageOut(usage)},
		{"UsageList", list([]usageJSON{usageOut(usage)}, "tok")},
		{"AuditEvent", auditOut(event)},
		{"AuditEvent", auditOut(&switchboard.AuditEvent{ID: "evt_2"})},
		{"AuditEventList", list([]auditJSON{auditOut(event)}, "tok")},
		{"Error", httpx.ErrorBody{Code: switchboard.CodeInvalid, Message: "m", Details: []switchboard.FieldError{{Field: "f", Reason: "required"}}, RequestID: "req_1"}},
		{"Error", httpx.ErrorBody{Code: switchboard.CodeInternal, Message: "internal"}},
		{"WebhookEndpoint", webhookEndpointOut(&switchboard.WebhookEndpoint{ID: "whe_1", WorkspaceID: "ws_1", URL: "https://h.example/x",
			Events: []string{switchboard.EventConnectionCreated}, Enabled: true, PreviousExpiresAt: &far, CreatedAt: now, UpdatedAt: now})},
		{"WebhookEndpoint", webhookEndpointOut(&switchboard.WebhookEndpoint{ID: "whe_2"})},
		{"WebhookEndpointList", list([]webhookEndpointJSON{webhookEndpointOut(&switchboard.WebhookEndpoint{ID: "whe_2"})}, "tok")},
		{"WebhookDelivery", webhookDeliveryOut(&switchboard.WebhookDelivery{ID: "msg_1", EndpointID: "whe_1", EventType: "connection.created",
			Status: switchboard.DeliveryDelivered, Attempts: 2, LastStatus: 200, DeliveredAt: &now, CreatedAt: now,
			AttemptLog: []switchboard.WebhookAttempt{{At: now, StatusCode: 500, Error: "endpoint answered 500", Duration: time.Second}, {At: now, StatusCode: 200}}})},
		{"WebhookDeliveryList", list([]webhookDeliveryJSON{webhookDeliveryOut(&switchboard.WebhookDelivery{ID: "msg_2", Status: switchboard.DeliveryPending})}, "")},
		{"WebhookVerifyResult", map[string]bool{"valid": true}},
	} {
		raw, err := json.Marshal(tc.value)
		if err != nil {
			t.Fatalf("%s: %v", tc.schema, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", tc.schema, err)
		}
		if err := compile(tc.schema).Validate(inst); err != nil {
			t.Errorf("%s does not match its schema: %s\n%v", raw, tc.schema, err)
		}
	}

	// And the other way: the request schemas accept what the handlers accept.
	for _, tc := range []struct{ schema, body string }{
		{"ConnectionCreate", `{"connector_id":"slash","connection_name":"n","config":{"a":1},"variables":[{"name":"v","value":"x"}],"credentials":{"action":["cred_1"],"trigger":[]},"enabled":false,"paused":true,"environment":"dev","external_xref":"x","tags":["t"]}`},
		{"ConnectionPatch", `{"connection_name":"n","description":null,"config":{"a":null,"api_key":"****abcd"},"tags":null,"credentials":null,"variables":[]}`},
		{"ConnectionPatch", `{"config":null}`},
		{"CredentialCreate", `{"name":"n","type":"api_key","data":{"api_key":"k"}}`},
		{"CredentialCreate", `{"name":"n","type":"custom","external_ref":{"provider":"aws_secrets_manager","ref":"arn:aws:secretsmanager:x"}}`},
		{"CredentialPatch", `{"name":"n","data":{"a":null,"b":"c"}}`},
		{"ConnectorCreate", `{"key":"my-api","name":"My API","categories":["c"],"version":"1.0.0","schema":{"type":"object"},"auth_schemes":["bearer"],"slots":["action","trigger"],"permissions":[],"health_check":{"url":"x"},"oauth2":null}`},
		{"ConnectorVersionCreate", `{"version":"2.0.0","schema":{"type":"object"}}`},
		{"WorkspaceCreate", `{"id":"team-a","name":"Team A"}`},
		{"APIKeyCreate", `{"name":"ci","role":"editor","scopes":["credentials:read"]}`},
		{"UsageCreate", `{"consumer":"workflow:wf_1"}`},
		{"WebhookEndpointCreate", `{"url":"https://h.example/x","events":["connection.created"],"enabled":false}`},
		{"WebhookEndpointPatch", `{"enabled":true}`},
		{"WebhookVerify", `{"headers":{"webhook-id":"msg_1"},"body":"{}"}`},
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.schema, err)
		}
		if err := compile(tc.schema).Validate(inst); err != nil {
			t.Errorf("%s refuses %s:\n%v", tc.schema, tc.body, err)
		}
	}
	// Unknown fields are refused by the decoder and by the schemas.
	for _, tc := range []struct{ schema, body string }{
		{"ConnectionCreate", `{"connector_id":"slash","connection_name":"n","name":"x"}`},
		{"ConnectionPatch", `{"connector_id":"other"}`},
		{"CredentialPatch", `{"type":"basic"}`},
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(tc.body))
		if err := compile(tc.schema).Validate(inst); err == nil {
			t.Errorf("%s accepts %s, which the API refuses", tc.schema, tc.body)
		}
	}
}
