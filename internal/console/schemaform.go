package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// field is one input generated from a connector version's JSON Schema. Name is the property's
// path ("port", "tls.ca" for a nested object); the input's id is "field-" + Name and its form
// name "config." + Name.
type field struct {
	Name        string
	Label       string
	Description string
	Kind        string // text, password, number, checkbox, select, multiselect, lines, json, group
	InputType   string // the <input type> of text and number kinds
	Step        string // number kind: "1" for integers, "any" otherwise
	Min, Max    string
	Placeholder string // the schema's default, as a hint
	Required    bool
	Secret      bool // writeOnly: a password input, never filled in
	ItemType    string
	Options     []option
	Value       string // current value (never of a secret)
	Checked     bool
	Error       string
	Children    []*field
	Depth       int
}

type option struct {
	Value, Label string
	Selected     bool
}

// ID is the input's id.
func (f *field) ID() string { return "field-" + f.Name }

// InputName is the input's form name.
func (f *field) InputName() string { return "config." + f.Name }

// propSchema is the part of a property schema the form generator reads.
type propSchema struct {
	Type        any             `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Enum        []any           `json:"enum"`
	Default     any             `json:"default"`
	WriteOnly   bool            `json:"writeOnly"`
	Format      string          `json:"format"`
	Minimum     *float64        `json:"minimum"`
	Maximum     *float64        `json:"maximum"`
	Items       json.RawMessage `json:"items"`
	Properties  json.RawMessage `json:"properties"`
	Required    []string        `json:"required"`
}

// maxDepth bounds how deep nested objects become nested fieldsets; deeper ones are edited as
// JSON.
const maxDepth = 3

// schemaFields returns the fields of an object schema's properties, in the order the schema
// lists them. A schema the generator cannot read gives no fields and an error.
func schemaFields(raw json.RawMessage) ([]*field, error) {
	var root propSchema
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	return objectFields("", root, 0)
}

func objectFields(prefix string, s propSchema, depth int) ([]*field, error) {
	names, props, err := orderedProperties(s.Properties)
	if err != nil {
		return nil, err
	}
	var out []*field
	for _, name := range names {
		var p propSchema
		if err := json.Unmarshal(props[name], &p); err != nil {
			// A boolean schema or another form the generator does not read: edit as JSON.
			p = propSchema{Type: "json"}
		}
		f := &field{
			Name: prefix + name, Label: p.Title, Description: p.Description,
			Required: slices.Contains(s.Required, name), Secret: p.WriteOnly, Depth: depth,
		}
		if f.Label == "" {
			f.Label = name
		}
		if p.Default != nil {
			if b, err := json.Marshal(p.Default); err == nil {
				f.Placeholder = strings.Trim(string(b), `"`)
			}
		}
		typ := schemaType(p)
		switch {
		case len(p.Enum) > 0 && typ != "array":
			f.Kind = "select"
			f.Options = enumOptions(p.Enum)
		case typ == "string" && p.WriteOnly:
			f.Kind, f.InputType = "password", "password"
		case typ == "string":
			f.Kind, f.InputType = "text", "text"
			switch p.Format {
			case "uri", "url":
				f.InputType = "url"
			case "email":
				f.InputType = "email"
			}
		case typ == "integer" || typ == "number":
			f.Kind, f.InputType, f.Step, f.ItemType = "number", "number", "any", typ
			if typ == "integer" {
				f.Step = "1"
			}
			if p.Minimum != nil {
				f.Min = strconv.FormatFloat(*p.Minimum, 'f', -1, 64)
			}
			if p.Maximum != nil {
				f.Max = strconv.FormatFloat(*p.Maximum, 'f', -1, 64)
			}
		case typ == "boolean":
			f.Kind = "checkbox"
		case typ == "array":
			var items propSchema
			_ = json.Unmarshal(p.Items, &items)
			it := schemaType(items)
			switch {
			case len(items.Enum) > 0:
				f.Kind, f.Options = "multiselect", enumOptions(items.Enum)
			case it == "string" || it == "integer" || it == "number":
				f.Kind, f.ItemType = "lines", it
			default:
				f.Kind = "json"
			}
		case typ == "object" && len(p.Properties) > 0 && depth < maxDepth:
			f.Kind = "group"
			if f.Children, err = objectFields(f.Name+".", p, depth+1); err != nil {
				return nil, err
			}
		default:
			f.Kind = "json"
		}
		out = append(out, f)
	}
	return out, nil
}

// schemaType is the property's type: its "type" (the first that is not "null" of a list),
// else "string" for an enum of strings, "object" when it has properties.
func schemaType(p propSchema) string {
	switch t := p.Type.(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
	}
	if len(p.Properties) > 0 {
		return "object"
	}
	if len(p.Enum) > 0 {
		return "string"
	}
	return ""
}

func enumOptions(vals []any) []option {
	var out []option
	for _, v := range vals {
		s := enumString(v)
		out = append(out, option{Value: s, Label: s})
	}
	return out
}

// enumString is v as text: a string as it is, anything else as JSON.
func enumString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// orderedProperties reads a "properties" object keeping its key order.
func orderedProperties(raw json.RawMessage) ([]string, map[string]json.RawMessage, error) {
	props := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, props, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("properties is not an object")
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := props[name]; !dup {
			names = append(names, name)
		}
		props[name] = v
	}
	return names, props, nil
}

// applyDefaults fills a create form with the schema's defaults: the default option of a
// choice, a checkbox on by default. Text and numbers keep their default as a placeholder
// only, so a blank input still means "not set".
func applyDefaults(fields []*field) {
	walk(fields, func(f *field) {
		switch {
		case f.Kind == "select" && f.Placeholder != "":
			for i := range f.Options {
				f.Options[i].Selected = f.Options[i].Value == f.Placeholder
			}
		case f.Kind == "checkbox" && f.Placeholder == "true":
			f.Checked = true
		}
	})
}

// fill sets the fields' values from a stored config (secrets are never filled).
func fill(fields []*field, config map[string]any) {
	for _, f := range fields {
		v, ok := config[lastPart(f.Name)]
		if !ok || f.Secret {
			continue
		}
		switch f.Kind {
		case "group":
			m, _ := v.(map[string]any)
			fill(f.Children, m)
		case "checkbox":
			f.Checked, _ = v.(bool)
		case "select":
			s := enumString(v)
			f.Value = s
			for i := range f.Options {
				f.Options[i].Selected = f.Options[i].Value == s
			}
		case "multiselect":
			list, _ := v.([]any)
			for i := range f.Options {
				f.Options[i].Selected = slices.ContainsFunc(list, func(x any) bool { return enumString(x) == f.Options[i].Value })
			}
		case "lines":
			list, _ := v.([]any)
			var lines []string
			for _, x := range list {
				lines = append(lines, enumString(x))
			}
			f.Value = strings.Join(lines, "\n")
		case "json":
			b, _ := json.MarshalIndent(v, "", "  ")
			f.Value = string(b)
		default:
			f.Value = enumString(v)
		}
	}
}

// fillForm sets the fields' values from a submitted form, to show it again with its errors
// (secrets are never shown back).
func fillForm(fields []*field, form url.Values) {
	for _, f := range fields {
		name := f.InputName()
		switch {
		case f.Secret:
		case f.Kind == "group":
			fillForm(f.Children, form)
		case f.Kind == "checkbox":
			f.Checked = form.Get(name) != ""
		case f.Kind == "select":
			f.Value = form.Get(name)
			for i := range f.Options {
				f.Options[i].Selected = f.Options[i].Value == f.Value
			}
		case f.Kind == "multiselect":
			vals := form[name]
			for i := range f.Options {
				f.Options[i].Selected = slices.Contains(vals, f.Options[i].Value)
			}
		default:
			f.Value = form.Get(name)
		}
	}
}

func lastPart(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// formConfig turns the submitted form into a config for the service. A blank input is left
// out; with patch set (an edit), a blank non-secret top-level input is sent as null (merge
// patch: remove the key) and a blank secret is left out (keep the stored one). A value that
// does not parse as the field's type is sent as the text it is, so the service's validation
// reports it on the field, as the API would.
func formConfig(fields []*field, form url.Values, patch bool) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		v, set := fieldValue(f, form)
		switch {
		case set:
			out[lastPart(f.Name)] = v
		case patch && f.Depth == 0 && !f.Secret:
			out[lastPart(f.Name)] = nil
		}
	}
	return out
}

func fieldValue(f *field, form url.Values) (any, bool) {
	name := f.InputName()
	raw := form.Get(name)
	switch f.Kind {
	case "group":
		m := formConfig(f.Children, form, false)
		return m, len(m) > 0
	case "checkbox":
		return raw != "", true
	case "multiselect":
		vals := form[name]
		if len(vals) == 0 {
			return nil, false
		}
		out := make([]any, 0, len(vals))
		for _, v := range vals {
			out = append(out, v)
		}
		return out, true
	case "lines":
		var out []any
		for _, line := range strings.Split(raw, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			out = append(out, typed(f.ItemType, line))
		}
		return out, len(out) > 0
	case "json":
		if strings.TrimSpace(raw) == "" {
			return nil, false
		}
		var v any
		if json.Unmarshal([]byte(raw), &v) != nil {
			return raw, true
		}
		return v, true
	case "number":
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil, false
		}
		return typed(f.ItemType, raw), true
	}
	if raw == "" {
		return nil, false
	}
	return raw, true
}

// typed parses s as an integer or number when typ says so; s itself when it does not parse.
func typed(typ, s string) any {
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case "number":
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n
		}
	}
	return s
}

// keepNestedSecrets puts back, into an edit's config patch, the stored value of every nested
// writeOnly field left blank: a nested object is replaced as a whole, so without this a blank
// (which means "keep") would drop the value. Top-level secrets are kept by the service.
func keepNestedSecrets(patch map[string]any, fields []*field, form url.Values, stored map[string]any) {
	walk(fields, func(f *field) {
		if !f.Secret || f.Depth == 0 || form.Get(f.InputName()) != "" {
			return
		}
		parts := strings.Split(f.Name, ".")
		old, ok := lookup(stored, parts)
		if !ok {
			return
		}
		m := patch
		for _, p := range parts[:len(parts)-1] {
			next, _ := m[p].(map[string]any)
			if next == nil {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = old
	})
}

func lookup(m map[string]any, path []string) (any, bool) {
	for i, p := range path {
		v, ok := m[p]
		if !ok {
			return nil, false
		}
		if i == len(path)-1 {
			return v, true
		}
		if m, ok = v.(map[string]any); !ok {
			return nil, false
		}
	}
	return nil, false
}

// walk calls fn for every field, nested ones included.
func walk(fields []*field, fn func(*field)) {
	for _, f := range fields {
		fn(f)
		walk(f.Children, fn)
	}
}

// secretFields returns the top-level secret fields.
func secretFields(fields []*field) []*field {
	var out []*field
	for _, f := range fields {
		if f.Secret && f.Depth == 0 {
			out = append(out, f)
		}
	}
	return out
}

var indexSuffix = regexp.MustCompile(`\[\d+\]`)

// formFieldOf maps a field of a service validation error ("config.port",
// "config.scopes[2]", "connection_name", "variables[0].name") to the name of the form input
// it is about: a config property's path, or one of the connection's own inputs. "" when the
// error is about no one input (the config as a whole).
func formFieldOf(detail string) string {
	detail = indexSuffix.ReplaceAllString(detail, "")
	if rest, ok := strings.CutPrefix(detail, "config."); ok {
		return "config:" + rest
	}
	switch {
	case detail == "connection_name":
		return "name"
	case detail == "connector_id", detail == "connector_version":
		return "connector"
	case strings.HasPrefix(detail, "variables"):
		return "variables"
	case detail == "description", detail == "environment", detail == "external_xref", detail == "tags":
		return detail
	}
	return ""
}
