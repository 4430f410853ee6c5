package api

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/switchboardhq/switchboard"
)

// mergePatch is a decoded JSON merge-patch body (RFC 7396): the fields it names, raw.
type mergePatch map[string]json.RawMessage

// check refuses fields the resource does not have.
func (m mergePatch) check(known ...string) error {
	allowed := make(map[string]bool, len(known))
	for _, k := range known {
		allowed[k] = true
	}
	var unknown []string
	for k := range m {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return switchboard.Invalid(unknown[0], "unknown")
}

// isNull reports whether the patch sets name to null.
func (m mergePatch) isNull(name string) bool {
	raw, ok := m[name]
	return ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// patchField decodes m[name] into a new T when present. null gives the zero T, the merge-patch
// way of removing a value.
func patchField[T any](m mergePatch, name string) (*T, error) {
	raw, ok := m[name]
	if !ok {
		return nil, nil
	}
	v := new(T)
	if m.isNull(name) {
		return v, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, switchboard.Invalid(name, "type")
	}
	return v, nil
}
