// Package catalog holds Switchboard's built-in connector catalog.
//
// Each built-in connector is one JSON data file in connectors/ (embedded in the binary):
//
//	{
//	  "key": "slash", "name": "Slash", "description": "...", "categories": ["payment"],
//	  "versions": [{
//	    "version": "1.0.0",                  // MAJOR.MINOR.PATCH, oldest first
//	    "auth_schemes": ["api_key"],         // api_key | basic | bearer | oauth2 | custom
//	    "slots": ["action", "trigger"],      // optional credential slots
//	    "permissions": [...],                // what a connection may be granted (e.g. OAuth scopes)
//	    "schema": {...},                     // config JSON Schema, draft 2020-12
//	    "health_check": {...},               // optional, see HealthCheck
//	    "oauth2": {...}                      // optional, see OAuth2
//	  }]
//	}
//
// Every schema is a draft 2020-12 object schema with "additionalProperties": false. A secret
// field is a top-level property of type string with "writeOnly": true; "writeOnly" appears
// nowhere else. Load checks all of this, compiles every schema, and fails on any file that
// breaks a rule, so a bad catalog stops the binary at start rather than at first use.
//
// The file name is the key: connectors/<key>.json.
package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	switchboard "github.com/switchboardhq/switchboard"
)

//go:embed connectors/*.json
var files embed.FS

// SchemaDialect is the "$schema" every connector config schema must declare.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// AuthSchemes are the auth scheme names a connector version may list.
var AuthSchemes = []string{"api_key", "basic", "bearer", "oauth2", "custom"}

// Slots are the credential slot names a connector version may list.
var Slots = []string{"action", "trigger"}

// HealthCheck is the format of a version's "health_check" block. It is a template: every
// "{{config.NAME}}" in a string value (and in a header name) is replaced by the connection's
// config value NAME, or the schema's default for NAME when the config has none. A check whose
// templates name a field that has neither a value nor a default is not run.
type HealthCheck struct {
	// Type is "http" or "tcp".
	Type string `json:"type"`

	// Method, URL, Headers, BasicAuth and ExpectStatus apply to "http" checks: the check
	// sends the request and passes when the response status is one of ExpectStatus.
	Method       string            `json:"method,omitempty"`
	URL          string            `json:"url,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
	BasicAuth    *BasicAuth        `json:"basic_auth,omitempty"`
	ExpectStatus []int             `json:"expect_status,omitempty"`

	// Address and Port apply to "tcp" checks: Address is one host[:port] or a
	// comma-separated list of them (IPv6 literals in brackets when a port follows); Port is
	// used for an entry without one. The check passes when a TCP connection to any entry
	// succeeds.
	Address string `json:"address,omitempty"`
	Port    string `json:"port,omitempty"`
}

// BasicAuth is the username and password (templates) of an http HealthCheck that
// authenticates with HTTP Basic authentication.
type BasicAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// OAuth2 is the format of a version's "oauth2" block: where the authorization-code flow
// sends the user and exchanges the code, the scopes requested by default, whether PKCE (S256)
// is used, and extra query parameters for the authorize URL.
type OAuth2 struct {
	AuthorizeURL    string            `json:"authorize_url"`
	TokenURL        string            `json:"token_url"`
	Scopes          []string          `json:"scopes"`
	PKCE            bool              `json:"pkce"`
	AuthorizeParams map[string]string `json:"authorize_params,omitempty"`
}

// fileConnector is the shape of one connectors/<key>.json file.
type fileConnector struct {
	Key         string        `json:"key"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Categories  []string      `json:"categories"`
	Versions    []fileVersion `json:"versions"`
}

type fileVersion struct {
	Version     string          `json:"version"`
	AuthSchemes []string        `json:"auth_schemes"`
	Slots       []string        `json:"slots"`
	Permissions []string        `json:"permissions"`
	Schema      json.RawMessage `json:"schema"`
	HealthCheck json.RawMessage `json:"health_check"`
	OAuth2      json.RawMessage `json:"oauth2"`
}

// Load parses every embedded connector file and returns the definitions sorted by key. Each
// Connector has ID = Key and WorkspaceID "" (built in) and LatestVersion = its last version;
// each version carries its ConnectorID. Load fails on any malformed file.
func Load() ([]switchboard.ConnectorDefinition, error) {
	return load(files, "connectors")
}

// MustLoad is Load that panics on error; the embedded catalog is checked by the package's
// tests, so a failure here is a build defect.
func MustLoad() []switchboard.ConnectorDefinition {
	defs, err := Load()
	if err != nil {
		panic(err)
	}
	return defs
}

// load reads every *.json file in dir of fsys.
func load(fsys fs.FS, dir string) ([]switchboard.ConnectorDefinition, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("catalog: no connector files")
	}
	defs := make([]switchboard.ConnectorDefinition, 0, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		def, err := parse(strings.TrimSuffix(path.Base(name), ".json"), data)
		if err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", path.Base(name), err)
		}
		defs = append(defs, def)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Connector.Key < defs[j].Connector.Key })
	return defs, nil
}

var (
	keyPattern     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	versionPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
)

// parse checks one connector file whose name (without .json) is key.
func parse(key string, data []byte) (switchboard.ConnectorDefinition, error) {
	var fc fileConnector
	if err := decodeStrict(data, &fc); err != nil {
		return switchboard.ConnectorDefinition{}, err
	}
	switch {
	case fc.Key != key:
		return switchboard.ConnectorDefinition{}, fmt.Errorf("key %q does not match the file name", fc.Key)
	case !keyPattern.MatchString(fc.Key):
		return switchboard.ConnectorDefinition{}, fmt.Errorf("key %q: want lower-case letters, digits and single dashes", fc.Key)
	case strings.TrimSpace(fc.Name) == "":
		return switchboard.ConnectorDefinition{}, errors.New("name must not be blank")
	case len(fc.Versions) == 0:
		return switchboard.ConnectorDefinition{}, errors.New("no versions")
	}
	if err := checkNames("categories", fc.Categories, nil); err != nil {
		return switchboard.ConnectorDefinition{}, err
	}
	def := switchboard.ConnectorDefinition{
		Connector: switchboard.Connector{
			ID:            fc.Key,
			Key:           fc.Key,
			Name:          fc.Name,
			Description:   fc.Description,
			Categories:    nonNil(fc.Categories),
			LatestVersion: fc.Versions[len(fc.Versions)-1].Version,
		},
		Versions: make([]switchboard.ConnectorVersion, 0, len(fc.Versions)),
	}
	var prev []int
	for _, fv := range fc.Versions {
		v, err := parseVersion(fc.Key, fv)
		if err != nil {
			return switchboard.ConnectorDefinition{}, fmt.Errorf("version %q: %w", fv.Version, err)
		}
		cur := semver(fv.Version)
		if prev != nil && slices.Compare(prev, cur) >= 0 {
			return switchboard.ConnectorDefinition{}, fmt.Errorf("version %q: versions must be listed in ascending order without duplicates", fv.Version)
		}
		prev = cur
		def.Versions = append(def.Versions, v)
	}
	return def, nil
}

func parseVersion(key string, fv fileVersion) (switchboard.ConnectorVersion, error) {
	if !versionPattern.MatchString(fv.Version) {
		return switchboard.ConnectorVersion{}, errors.New("version: want MAJOR.MINOR.PATCH")
	}
	if len(fv.AuthSchemes) == 0 {
		return switchboard.ConnectorVersion{}, errors.New("auth_schemes: at least one is required")
	}
	if err := checkNames("auth_schemes", fv.AuthSchemes, AuthSchemes); err != nil {
		return switchboard.ConnectorVersion{}, err
	}
	if err := checkNames("slots", fv.Slots, Slots); err != nil {
		return switchboard.ConnectorVersion{}, err
	}
	if err := checkNames("permissions", fv.Permissions, nil); err != nil {
		return switchboard.ConnectorVersion{}, err
	}
	schema, props, err := checkSchema(fv.Schema)
	if err != nil {
		return switchboard.ConnectorVersion{}, fmt.Errorf("schema: %w", err)
	}
	v := switchboard.ConnectorVersion{
		ConnectorID: key,
		Version:     fv.Version,
		Schema:      schema,
		AuthSchemes: fv.AuthSchemes,
		Slots:       nonNil(fv.Slots),
		Permissions: nonNil(fv.Permissions),
	}
	if len(fv.HealthCheck) > 0 && !isNull(fv.HealthCheck) {
		var hc HealthCheck
		if err := decodeStrict(fv.HealthCheck, &hc); err != nil {
			return switchboard.ConnectorVersion{}, fmt.Errorf("health_check: %w", err)
		}
		if err := checkHealthCheck(&hc, props); err != nil {
			return switchboard.ConnectorVersion{}, fmt.Errorf("health_check: %w", err)
		}
		v.HealthCheck = compact(fv.HealthCheck)
	}
	if len(fv.OAuth2) > 0 && !isNull(fv.OAuth2) {
		var o OAuth2
		if err := decodeStrict(fv.OAuth2, &o); err != nil {
			return switchboard.ConnectorVersion{}, fmt.Errorf("oauth2: %w", err)
		}
		if !strings.HasPrefix(o.AuthorizeURL, "https://") || !strings.HasPrefix(o.TokenURL, "https://") ||
			switchboard.CheckOutboundURL(o.AuthorizeURL) != nil || switchboard.CheckOutboundURL(o.TokenURL) != nil {
			return switchboard.ConnectorVersion{}, errors.New("oauth2: authorize_url and token_url must be https URLs with a plain host name (no userinfo, fragment, numeric or localhost host)")
		}
		if err := checkNames("oauth2 scopes", o.Scopes, nil); err != nil {
			return switchboard.ConnectorVersion{}, err
		}
		if !slices.Contains(fv.AuthSchemes, "oauth2") {
			return switchboard.ConnectorVersion{}, errors.New("oauth2 block without the oauth2 auth scheme")
		}
		v.OAuth2 = compact(fv.OAuth2)
	} else if slices.Contains(fv.AuthSchemes, "oauth2") {
		return switchboard.ConnectorVersion{}, errors.New("oauth2 auth scheme without an oauth2 block")
	}
	return v, nil
}

// checkSchema checks the rules of a config schema and compiles it. It returns the schema
// compacted and the top-level properties by name.
func checkSchema(raw json.RawMessage) (json.RawMessage, map[string]map[string]any, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil, errors.New("missing")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, err
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, errors.New("not a JSON object")
	}
	if root["$schema"] != SchemaDialect {
		return nil, nil, fmt.Errorf(`"$schema" must be %q`, SchemaDialect)
	}
	if root["type"] != "object" {
		return nil, nil, errors.New(`"type" must be "object"`)
	}
	if root["additionalProperties"] != false {
		return nil, nil, errors.New(`"additionalProperties" must be false`)
	}
	propsAny, ok := root["properties"].(map[string]any)
	if !ok || len(propsAny) == 0 {
		return nil, nil, errors.New(`"properties" must be a non-empty object`)
	}
	props := make(map[string]map[string]any, len(propsAny))
	for name, p := range propsAny {
		prop, ok := p.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("property %q: not an object", name)
		}
		if s, _ := prop["title"].(string); strings.TrimSpace(s) == "" {
			return nil, nil, fmt.Errorf("property %q: title is required", name)
		}
		if s, _ := prop["description"].(string); strings.TrimSpace(s) == "" {
			return nil, nil, fmt.Errorf("property %q: description is required", name)
		}
		if wo, present := prop["writeOnly"]; present {
			if wo != true {
				return nil, nil, fmt.Errorf(`property %q: "writeOnly" must be true or absent`, name)
			}
			if prop["type"] != "string" {
				return nil, nil, fmt.Errorf(`property %q: a secret ("writeOnly") field must be of type "string"`, name)
			}
			if _, hasDefault := prop["default"]; hasDefault {
				return nil, nil, fmt.Errorf("property %q: a secret field must not have a default", name)
			}
		}
		if err := noNestedWriteOnly(prop, true); err != nil {
			return nil, nil, fmt.Errorf("property %q: %w", name, err)
		}
		props[name] = prop
	}
	for k, v := range root {
		if k == "properties" {
			continue
		}
		if k == "writeOnly" {
			return nil, nil, errors.New(`"writeOnly" is allowed on top-level properties only`)
		}
		if err := noNestedWriteOnly(v, false); err != nil {
			return nil, nil, fmt.Errorf("%q: %w", k, err)
		}
	}
	if req, present := root["required"]; present {
		list, ok := req.([]any)
		if !ok {
			return nil, nil, errors.New(`"required" must be an array`)
		}
		for _, r := range list {
			if _, ok := props[fmt.Sprint(r)]; !ok {
				return nil, nil, fmt.Errorf("required field %v is not a property", r)
			}
		}
	}
	if _, err := Compile(raw); err != nil {
		return nil, nil, err
	}
	return compact(raw), props, nil
}

// noNestedWriteOnly reports a "writeOnly" keyword anywhere inside v. When own is true, v is a
// top-level property schema whose own "writeOnly" is allowed (and checked by the caller).
func noNestedWriteOnly(v any, own bool) error {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == "writeOnly" {
				if !own {
					return errors.New(`"writeOnly" is allowed on top-level properties only`)
				}
				continue
			}
			if err := noNestedWriteOnly(child, false); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range x {
			if err := noNestedWriteOnly(child, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Compile compiles a connector config schema as JSON Schema draft 2020-12. Formats are
// annotations only, as the draft specifies; the catalog's schemas carry a pattern wherever a
// value's shape matters.
func Compile(schema json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const loc = "switchboard:///connector-config.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

var templateRef = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// checkHealthCheck checks the fields of a health check and that its templates name config
// properties.
func checkHealthCheck(hc *HealthCheck, props map[string]map[string]any) error {
	var templated []string
	switch hc.Type {
	case "http":
		if hc.Method == "" || hc.URL == "" || len(hc.ExpectStatus) == 0 {
			return errors.New("an http check needs method, url and expect_status")
		}
		if hc.Address != "" || hc.Port != "" {
			return errors.New("an http check has no address or port")
		}
		for _, s := range hc.ExpectStatus {
			if s < 100 || s > 599 {
				return fmt.Errorf("expect_status %d is not an HTTP status", s)
			}
		}
		templated = append(templated, hc.Method, hc.URL)
		for k, v := range hc.Headers {
			templated = append(templated, k, v)
		}
		if hc.BasicAuth != nil {
			templated = append(templated, hc.BasicAuth.Username, hc.BasicAuth.Password)
		}
	case "tcp":
		if hc.Address == "" {
			return errors.New("a tcp check needs an address")
		}
		if hc.Method != "" || hc.URL != "" || hc.Headers != nil || hc.BasicAuth != nil || hc.ExpectStatus != nil {
			return errors.New("a tcp check has only address and port")
		}
		if hc.Port != "" && !strings.Contains(hc.Port, "{{") {
			if n, err := strconv.Atoi(hc.Port); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("port %q is not a TCP port", hc.Port)
			}
		}
		templated = append(templated, hc.Address, hc.Port)
	default:
		return fmt.Errorf("type %q: want http or tcp", hc.Type)
	}
	for _, s := range templated {
		for _, m := range templateRef.FindAllStringSubmatch(s, -1) {
			name, ok := strings.CutPrefix(m[1], "config.")
			if !ok {
				return fmt.Errorf("template %q: want {{config.NAME}}", m[0])
			}
			if _, ok := props[name]; !ok {
				return fmt.Errorf("template %q: no such config property", m[0])
			}
		}
	}
	return nil
}

// checkNames checks a list of names: none blank, no duplicates and, when allowed is not nil,
// each one of allowed.
func checkNames(what string, names, allowed []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("%s: blank name", what)
		}
		if seen[n] {
			return fmt.Errorf("%s: %q listed twice", what, n)
		}
		seen[n] = true
		if allowed != nil && !slices.Contains(allowed, n) {
			return fmt.Errorf("%s: unknown %q (want one of %s)", what, n, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func semver(v string) []int {
	out := make([]int, 0, 3)
	for _, p := range strings.Split(v, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
