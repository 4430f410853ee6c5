package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	sbclient "github.com/switchboardhq/switchboard/client"
	"go.yaml.in/yaml/v3"
)

// format is how a read command prints: aligned columns for people, or the API's objects as
// JSON or YAML for programs.
type outFormat string

const (
	formatTable outFormat = "table"
	formatJSON  outFormat = "json"
	formatYAML  outFormat = "yaml"
)

func parseFormat(s string) (outFormat, error) {
	switch f := outFormat(strings.ToLower(s)); f {
	case formatTable, formatJSON, formatYAML:
		return f, nil
	}
	return "", usageError{fmt.Errorf("--output %q: want table, json or yaml", s)}
}

// column is one column of a table of T.
type outColumn[T any] struct {
	name  string
	value func(*T) string
}

// printList prints items: a table with cols, or the objects as a JSON array or YAML sequence.
func printList[T any](r *remote, items []T, cols []outColumn[T]) error {
	f, err := parseFormat(r.output)
	if err != nil {
		return err
	}
	if items == nil {
		items = []T{}
	}
	if f != formatTable {
		return writeEncoded(r.o.stdout, f, items)
	}
	if len(items) == 0 {
		fmt.Fprintln(r.o.stderr, "(none)")
		return nil
	}
	tw := tabwriter.NewWriter(r.o.stdout, 0, 8, 2, ' ', 0)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	for i := range items {
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = outCell(c.value(&items[i]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// field is one line of the table of a single object.
type outField struct{ name, value string }

// printOne prints one object: its fields one per line, or the object as JSON or YAML.
func (r *remote) printOne(v any, fields []outField) error {
	f, err := parseFormat(r.output)
	if err != nil {
		return err
	}
	if f != formatTable {
		return writeEncoded(r.o.stdout, f, v)
	}
	tw := tabwriter.NewWriter(r.o.stdout, 0, 8, 2, ' ', 0)
	for _, fl := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", fl.name, outCell(fl.value))
	}
	return tw.Flush()
}

// writeEncoded writes v as indented JSON, or as YAML with the JSON's field order.
func writeEncoded(w io.Writer, f outFormat, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if f == formatJSON {
		_, err = w.Write(append(raw, '\n'))
		return err
	}
	y, err := jsonToYAML(raw)
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
}

// jsonToYAML converts JSON to block-style YAML, keeping the order of object keys (a map
// would sort them). JSON is YAML, so the YAML parser reads it; only the flow style and quoting
// it reads it with are dropped, and strings that would read back as another type (a "true",
// a "5") stay quoted.
func jsonToYAML(raw []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	var plain func(*yaml.Node)
	plain = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			plain(c)
		}
	}
	plain(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cell makes a value fit one table cell: no tabs, newlines or control characters (a name
// from the server could hold terminal escapes).
func outCell(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func joinList(s []string) string { return strings.Join(s, ",") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// scalar renders a config value for a table: strings as they are, anything else as JSON.
func outScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// mapFields renders a map as fields prefix.key, sorted.
func mapFields(prefix string, m map[string]any) []outField {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]outField, 0, len(keys))
	for _, k := range keys {
		out = append(out, outField{prefix + "." + k, outScalar(m[k])})
	}
	return out
}

var connectorColumns = []outColumn[sbclient.Connector]{
	{"KEY", func(c *sbclient.Connector) string { return c.Key }},
	{"ID", func(c *sbclient.Connector) string { return c.ID }},
	{"NAME", func(c *sbclient.Connector) string { return c.Name }},
	{"VERSION", func(c *sbclient.Connector) string { return c.LatestVersion }},
	{"BUILT-IN", func(c *sbclient.Connector) string { return yesNo(c.BuiltIn) }},
	{"CATEGORIES", func(c *sbclient.Connector) string { return joinList(c.Categories) }},
}

func connectorFields(c *sbclient.Connector) []outField {
	fs := []outField{
		{"id", c.ID}, {"key", c.Key}, {"name", c.Name}, {"description", c.Description},
		{"categories", joinList(c.Categories)}, {"built_in", yesNo(c.BuiltIn)}, {"latest_version", c.LatestVersion},
		{"created_at", fmtTimePtr(c.CreatedAt)},
	}
	for _, v := range c.Versions {
		p := "version " + v.Version
		fs = append(fs, outField{p + " secret_fields", joinList(v.SecretFields)}, outField{p + " auth_schemes", joinList(v.AuthSchemes)},
			outField{p + " slots", joinList(v.Slots)}, outField{p + " permissions", joinList(v.Permissions)}, outField{p + " config fields", schemaFields(v.Schema)})
	}
	return fs
}

// schemaFields lists a config schema's properties, required ones marked with *.
func schemaFields(schema json.RawMessage) string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if json.Unmarshal(schema, &s) != nil {
		return ""
	}
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		if req[k] {
			k += "*"
		}
		names = append(names, k)
	}
	sort.Strings(names)
	return joinList(names)
}

// collectPages reads pages from list (given the page token, "" for the first) until the last
// one, or only the first unless all is set: then more goes to stderr, its %s (if any) filled
// with the next page's token.
func collectPages[T any](r *remote, all bool, more string, list func(token string) (*sbclient.Page[T], error)) ([]T, error) {
	var items []T
	token := ""
	for {
		p, err := list(token)
		if err != nil {
			return nil, r.fail(err)
		}
		items = append(items, p.Items...)
		if p.NextPageToken == "" {
			return items, nil
		}
		if !all {
			if strings.Contains(more, "%s") {
				more = fmt.Sprintf(more, p.NextPageToken)
			}
			fmt.Fprintln(r.o.stderr, more)
			return items, nil
		}
		token = p.NextPageToken
	}
}
