package switchboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// configSchema is a compiled connector-version schema with what the service needs to know
// about it: which top-level properties are secret (writeOnly).
type configSchema struct {
	schema  *jsonschema.Schema
	secrets map[string]bool
	version *ConnectorVersion // the version the schema belongs to, when known
}

// compileSchema compiles a JSON Schema (draft 2020-12 unless it says otherwise). An invalid
// schema is a 4000 error on field, with the compiler's reason (which describes the schema,
// never a secret).
func compileSchema(field string, raw json.RawMessage) (*configSchema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, Invalid(field, "required")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, schemaError(field, "not valid JSON")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, schemaError(field, "a schema must be a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// "format" is an assertion here: a connector that says "uri" means it.
	c.AssertFormat()
	// Schemas may not load anything from outside: a $ref to a URL must not make us fetch it.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	const url = "mem:///schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, schemaError(field, err.Error())
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, schemaError(field, err.Error())
	}
	cs := &configSchema{schema: sch, secrets: map[string]bool{}}
	props, _ := obj["properties"].(map[string]any)
	for name, p := range props {
		pm, _ := p.(map[string]any)
		if wo, _ := pm["writeOnly"].(bool); wo {
			cs.secrets[name] = true
		}
	}
	return cs, nil
}

func schemaError(field, reason string) *Error {
	const max = 300
	reason = strings.ReplaceAll(reason, "mem:///schema.json", "")
	if len(reason) > max {
		reason = reason[:max] + "..."
	}
	return &Error{
		Code:    CodeInvalid,
		Message: "field.schema",
		Args:    map[string]any{"Field": field, "Reason": reason},
		Details: []FieldError{{Field: field, Reason: "schema"}},
	}
}

// validate checks config against the schema. Field names in the details are prefixed with
// prefix ("config"). Details name the field and the failed keyword only: messages from the
// validator can quote the value, which may be a secret.
func (cs *configSchema) validate(prefix string, config map[string]any) error {
	// Round-trip through JSON so the validator sees the types it expects (json.Number, etc.).
	raw, err := json.Marshal(config)
	if err != nil {
		return Invalid(prefix, "type")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return Invalid(prefix, "type")
	}
	err = cs.schema.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := errors.AsType[*jsonschema.ValidationError](err)
	if !ok {
		return Invalid(prefix, "invalid")
	}
	var details []FieldError
	collectDetails(prefix, ve, &details)
	if len(details) == 0 {
		details = append(details, FieldError{Field: prefix, Reason: "invalid"})
	}
	sort.Slice(details, func(i, j int) bool {
		if details[i].Field != details[j].Field {
			return details[i].Field < details[j].Field
		}
		return details[i].Reason < details[j].Reason
	})
	details = slices.Compact(details)
	return &Error{
		Code:    CodeInvalid,
		Message: "field." + details[0].Reason,
		Args:    map[string]any{"Field": details[0].Field},
		Details: details,
	}
}

func collectDetails(prefix string, ve *jsonschema.ValidationError, out *[]FieldError) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collectDetails(prefix, c, out)
		}
		return
	}
	field := joinField(prefix, ve.InstanceLocation)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, FieldError{Field: field + "." + m, Reason: "required"})
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, FieldError{Field: field + "." + p, Reason: "unknown"})
		}
	default:
		*out = append(*out, FieldError{Field: field, Reason: reasonOf(ve.ErrorKind)})
	}
}

func joinField(prefix string, loc []string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, p := range loc {
		if p != "" && p[0] >= '0' && p[0] <= '9' {
			fmt.Fprintf(&b, "[%s]", p)
			continue
		}
		b.WriteString(".")
		b.WriteString(p)
	}
	return b.String()
}

func reasonOf(k jsonschema.ErrorKind) string {
	switch k.(type) {
	case *kind.Type:
		return "type"
	case *kind.Enum:
		return "enum"
	case *kind.Const:
		return "const"
	case *kind.Format:
		return "format"
	case *kind.MinLength:
		return "min_length"
	case *kind.MaxLength:
		return "max_length"
	case *kind.Pattern:
		return "pattern"
	case *kind.Minimum, *kind.ExclusiveMinimum:
		return "minimum"
	case *kind.Maximum, *kind.ExclusiveMaximum:
		return "maximum"
	case *kind.MinItems:
		return "min_items"
	case *kind.MaxItems:
		return "max_items"
	case *kind.UniqueItems:
		return "unique"
	}
	return "invalid"
}

// SecretFields returns the sorted names of the top-level properties of a schema marked
// "writeOnly": true — the secret fields of a connector version.
func SecretFields(schema json.RawMessage) []string {
	var doc struct {
		Properties map[string]struct {
			WriteOnly bool `json:"writeOnly"`
		} `json:"properties"`
	}
	out := []string{}
	if json.Unmarshal(schema, &doc) != nil {
		return out
	}
	for name, p := range doc.Properties {
		if p.WriteOnly {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
