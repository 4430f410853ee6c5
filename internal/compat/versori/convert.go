package versori

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// Reserved keys in a core credential's (sealed) Data. The core has no place for Versori's
// credential type or the AuthSchemeConfig a connection uses the credential with, and no new
// store column is possible, so both travel with the credential: sealed like the rest of its
// data (harmless for non-secrets), shown masked by the native API, and never rendered by this
// family as data. A credential shared by several connections has one AuthSchemeConfig.
const (
	keyType             = "_versori_type"
	keyAuthSchemeConfig = switchboard.CredentialAuthSchemeKey
)

// fieldKind says how a Versori data field is stored in the core and rendered back.
type fieldKind int

const (
	kindString  fieldKind = iota // clear on read
	kindSecret                   // redacted (masked) on read
	kindBool                     // "true"/"false" in the core, a JSON boolean on the wire
	kindStrings                  // a JSON array of strings in the core and on the wire
)

// dataField maps one Versori data property to a core data key.
type dataField struct {
	wire     string
	core     string
	kind     fieldKind
	required bool
}

// credentialType maps a Versori CredentialType onto a core CredentialType and data keys.
// opaque types keep whatever keys they are given and render no data back.
type credentialType struct {
	core   switchboard.CredentialType
	fields []dataField
	opaque bool
}

// credentialTypes is the one table from Versori credential types to the core's.
var credentialTypes = map[string]credentialType{
	"none":   {core: switchboard.CredentialCustom},
	"string": {core: switchboard.CredentialAPIKey, fields: []dataField{{"value", "api_key", kindSecret, true}}},
	"binary": {core: switchboard.CredentialCustom, fields: []dataField{{"valueBase64", "value_base64", kindSecret, true}}},
	"basic-auth": {core: switchboard.CredentialBasic, fields: []dataField{
		{"username", "username", kindString, true}, {"password", "password", kindSecret, true}}},
	"oauth2-client": {core: switchboard.CredentialOAuth2, fields: []dataField{
		{"clientId", "client_id", kindString, true}, {"clientSecret", "client_secret", kindSecret, true},
		{"authorizeUrl", "authorize_url", kindString, true}, {"tokenUrl", "token_url", kindString, true},
		{"scopes", "scopes", kindStrings, false}, {"additionalParams", "additional_params", kindString, false},
		{"mTLSEnabled", "mtls_enabled", kindBool, false}, {"mTLSCredentialId", "mtls_credential_id", kindString, false}}},
	"oauth2-code": {core: switchboard.CredentialOAuth2, fields: []dataField{
		{"code", "code", kindSecret, true}, {"state", "state", kindString, true}}},
	"oauth2-password": {core: switchboard.CredentialOAuth2, fields: []dataField{
		{"username", "username", kindString, true}, {"password", "password", kindSecret, true}}},
	"oauth2-token": {core: switchboard.CredentialOAuth2, fields: []dataField{
		{"scopes", "scopes", kindStrings, true}, {"accessToken", "access_token", kindSecret, false},
		{"refreshToken", "refresh_token", kindSecret, false}}},
	"certificate": {core: switchboard.CredentialCustom, fields: []dataField{
		{"certificate", "certificate", kindString, true}, {"key", "key", kindSecret, true}, {"ca", "ca", kindString, true}}},
	"custom-function": {core: switchboard.CredentialCustom, opaque: true},
	"jwt-bearer":      {core: switchboard.CredentialCustom, opaque: true},
}

// dataIn turns Versori credential data of type t into core data values. field is the wire
// path of the data object, for errors.
func dataIn(t credentialType, raw json.RawMessage, field string) (map[string]string, error) {
	var in map[string]json.RawMessage
	if len(raw) == 0 || string(raw) == "null" {
		return nil, invalid(field, "required")
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, invalid(field, "type")
	}
	out := map[string]string{}
	if t.opaque {
		for k, v := range in {
			if strings.HasPrefix(k, "_versori_") {
				return nil, invalid(field+"."+k, "invalid") // reserved for this adapter
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v) // kept as its JSON text
			}
			out[k] = s
		}
		return out, nil
	}
	for _, f := range t.fields {
		v, ok := in[f.wire]
		if !ok || string(v) == "null" {
			if f.required {
				return nil, invalid(field+"."+f.wire, "required")
			}
			continue
		}
		s, err := fieldIn(f.kind, v)
		if err != nil {
			return nil, invalid(field+"."+f.wire, "type")
		}
		out[f.core] = s
	}
	return out, nil
}

func fieldIn(k fieldKind, v json.RawMessage) (string, error) {
	switch k {
	case kindBool:
		var b bool
		err := json.Unmarshal(v, &b)
		return strconv.FormatBool(b), err
	case kindStrings:
		var ss []string
		if err := json.Unmarshal(v, &ss); err != nil {
			return "", err
		}
		b, err := json.Marshal(nonNil(ss))
		return string(b), err
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// typeOf gives the Versori type of a core credential and how its data maps: the recorded one
// for credentials made through this family, else one derived from the core type.
func typeOf(c *switchboard.Credential) (string, credentialType) {
	if v, ok := c.Data[keyType]; ok {
		if t, ok := credentialTypes[v.Reveal()]; ok {
			return v.Reveal(), t
		}
	}
	has := func(k string) bool { _, ok := c.Data[k]; return ok }
	switch c.Type {
	case switchboard.CredentialAPIKey:
		return "string", credentialTypes["string"]
	case switchboard.CredentialBearer:
		return "string", credentialType{core: c.Type, fields: []dataField{{"value", "token", kindSecret, true}}}
	case switchboard.CredentialBasic:
		return "basic-auth", credentialTypes["basic-auth"]
	case switchboard.CredentialOAuth2:
		if has("client_id") || has("client_secret") {
			return "oauth2-client", credentialTypes["oauth2-client"]
		}
		if has("access_token") || has("refresh_token") {
			return "oauth2-token", credentialTypes["oauth2-token"]
		}
	}
	return "none", credentialTypes["none"]
}

// dataOut renders core data as Versori data: secret fields masked, the rest in clear.
// Required fields the core lacks (a natively made credential) render empty so the shape
// holds.
func dataOut(t credentialType, data map[string]switchboard.Secret) map[string]any {
	out := map[string]any{}
	for _, f := range t.fields {
		v, ok := data[f.core]
		if !ok && !f.required {
			continue
		}
		switch f.kind {
		case kindSecret:
			out[f.wire] = v.Mask()
		case kindBool:
			out[f.wire] = v.Reveal() == "true"
		case kindStrings:
			var ss []string
			_ = json.Unmarshal([]byte(v.Reveal()), &ss)
			out[f.wire] = nonNil(ss)
		default:
			out[f.wire] = v.Reveal()
		}
	}
	return out
}

// credentialOut renders a core credential.
func credentialOut(c *switchboard.Credential) credentialJSON {
	name, t := typeOf(c)
	return credentialJSON{ID: c.ID, OrganisationID: c.WorkspaceID, Type: name, Name: c.Name, Data: dataOut(t, c.Data)}
}

// authSchemeConfigOf returns the AuthSchemeConfig recorded with a credential, or one derived
// from its type for credentials made elsewhere. Sensitive parts (an OAuth2 grant's
// clientSecret) are never rendered.
func authSchemeConfigOf(c *switchboard.Credential) map[string]any {
	if v, ok := c.Data[keyAuthSchemeConfig]; ok {
		var m map[string]any
		if json.Unmarshal([]byte(v.Reveal()), &m) == nil && m != nil {
			if g, ok := m["grant"].(map[string]any); ok {
				g = maps.Clone(g)
				delete(g, "clientSecret")
				m["grant"] = g
			}
			return m
		}
	}
	name, _ := typeOf(c)
	m := map[string]any{"id": c.ID, "description": c.Name}
	str := func(k string) string { return c.Data[k].Reveal() }
	switch name {
	case "string":
		header := "X-API-Key"
		if c.Type == switchboard.CredentialBearer {
			header = "Authorization"
		}
		m["schemeType"], m["name"], m["in"] = "api-key", header, "header"
	case "basic-auth", "oauth2-password":
		m["schemeType"] = "basic-auth"
	case "oauth2-client", "oauth2-token", "oauth2-code":
		var scopes []string
		_ = json.Unmarshal([]byte(str("scopes")), &scopes)
		m["schemeType"], m["authorizeUrl"], m["tokenUrl"] = "oauth2", str("authorize_url"), str("token_url")
		m["scopes"], m["defaultScopes"] = []any{}, nonNil(scopes)
		m["grant"] = map[string]any{"grantType": "authorization_code"}
	case "certificate":
		m["schemeType"] = "certificate"
	default:
		m["schemeType"] = "none"
	}
	return m
}

// schemeTypes are the AuthSchemeConfig variants of the spec, with their required properties
// beyond id, description and schemeType.
var schemeTypes = map[string][]string{
	"none": nil, "basic-auth": nil, "certificate": nil,
	"api-key": {"name", "in"},
	"hmac":    {"name", "in", "algorithm", "digestInputs"},
	"oauth2":  {"authorizeUrl", "tokenUrl", "scopes", "defaultScopes", "grant"},
}

// authSchemeConfigIn checks an AuthSchemeConfig against the spec's shape and returns it as
// compact JSON to record, without the server-generated validationMessages.
func authSchemeConfigIn(raw json.RawMessage, field string) (string, error) {
	var m map[string]any
	if len(raw) == 0 || string(raw) == "null" {
		return "", invalid(field, "required")
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", invalid(field, "type")
	}
	delete(m, "validationMessages") // "This field will be ignored if sent to the API."
	st, _ := m["schemeType"].(string)
	required, ok := schemeTypes[st]
	switch {
	case m["schemeType"] == nil:
		return "", invalid(field+".schemeType", "required")
	case !ok:
		return "", invalid(field+".schemeType", "enum")
	}
	if id, _ := m["id"].(string); id == "" {
		return "", invalid(field+".id", "required")
	}
	if _, ok := m["description"].(string); !ok {
		return "", invalid(field+".description", "required")
	}
	for _, k := range required {
		if m[k] == nil {
			return "", invalid(field+"."+k, "required")
		}
	}
	enum := func(k string, allowed ...string) error {
		if s, _ := m[k].(string); !slices.Contains(allowed, s) {
			return invalid(field+"."+k, "enum")
		}
		return nil
	}
	switch st {
	case "api-key", "hmac":
		if s, _ := m["name"].(string); s == "" {
			return "", invalid(field+".name", "required")
		}
		if err := enum("in", "query", "header", "cookie"); err != nil {
			return "", err
		}
		if st == "hmac" {
			if err := enum("algorithm", "sha1", "sha256", "sha512"); err != nil {
				return "", err
			}
			inputs, _ := m["digestInputs"].([]any)
			for _, in := range inputs {
				if in != "body" && in != "url" {
					return "", invalid(field+".digestInputs", "enum")
				}
			}
		}
	case "oauth2":
		for _, k := range []string{"authorizeUrl", "tokenUrl"} {
			if _, ok := m[k].(string); !ok {
				return "", invalid(field+"."+k, "type")
			}
		}
		for _, k := range []string{"scopes", "defaultScopes"} {
			if _, ok := m[k].([]any); !ok {
				return "", invalid(field+"."+k, "type")
			}
		}
		g, _ := m["grant"].(map[string]any)
		if gt, _ := g["grantType"].(string); gt != "authorization_code" && gt != "client_credentials" && gt != "password" {
			return "", invalid(field+".grant.grantType", "enum")
		}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// connectionOut renders a connection with its credentials, in slot order.
func connectionOut(c *switchboard.Connection, action, trigger []*switchboard.Credential) connectionJSON {
	out := connectionJSON{
		ID: c.ID, Name: c.Name, Variables: []variableJSON{},
		Credentials: connectionCredentialsJSON{Action: credentialsOut(action), Trigger: credentialsOut(trigger)},
		CreatedAt:   c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	for _, v := range c.Variables {
		out.Variables = append(out.Variables, variableJSON{Name: v.Name, Value: v.Value})
	}
	return out
}

func credentialsOut(list []*switchboard.Credential) []connectionCredentialJSON {
	out := []connectionCredentialJSON{}
	for _, cr := range list {
		out = append(out, connectionCredentialJSON{ID: cr.ID, AuthSchemeConfig: authSchemeConfigOf(cr), Credential: credentialOut(cr)})
	}
	return out
}

func summaryOut(c *switchboard.Connection) connectionSummaryJSON {
	return connectionSummaryJSON{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
