package console

import "strings"

// fieldCtx is what the "field" partial renders: a generated input with the page it is on.
type fieldCtx struct {
	F    *field
	L    *localizer
	Mode string // create, edit, rotate
}

// Keep reports whether a blank secret input keeps the stored value (edit and rotate).
func (c fieldCtx) Keep() bool { return c.F.Secret && c.Mode != "create" }

// DescribedBy lists the ids of the texts that describe the input: its description, the
// keep-if-blank hint and its error.
func (c fieldCtx) DescribedBy() string {
	var ids []string
	if c.F.Description != "" {
		ids = append(ids, "desc-"+c.F.Name)
	}
	if c.Keep() {
		ids = append(ids, "keep-"+c.F.Name)
	}
	if c.F.Error != "" {
		ids = append(ids, "error-"+c.F.Name)
	}
	return strings.Join(ids, " ")
}

// Size is the number of rows a multiple select shows.
func (c fieldCtx) Size() int { return min(max(len(c.F.Options), 2), 8) }

// textInput is one of a connection's own inputs (name, description, ...).
type textInput struct {
	ID, Label, Value, Error, Hint string
	Required, Multiline           bool
	L                             *localizer
}

// DescribedBy lists the ids of the hint and the error.
func (t textInput) DescribedBy() string {
	var ids []string
	if t.Hint != "" {
		ids = append(ids, "hint-"+t.ID)
	}
	if t.Error != "" {
		ids = append(ids, "error-"+t.ID)
	}
	return strings.Join(ids, " ")
}

func init() {
	funcs["fc"] = func(v *view, f *field) fieldCtx {
		d, _ := v.Data.(*formData)
		mode := "create"
		if d != nil {
			mode = d.Mode
		}
		return fieldCtx{F: f, L: v.L, Mode: mode}
	}
	funcs["child"] = func(parent fieldCtx, f *field) fieldCtx { return fieldCtx{F: f, L: parent.L, Mode: parent.Mode} }
	// ti builds a textInput of the form on v: id, its value, required, multiline; the label is
	// the catalog's "form.<id>", the hint "form.<id>.hint" when hint is set.
	funcs["ti"] = func(v *view, id, value string, required, multiline, hint bool) textInput {
		t := textInput{ID: id, Label: v.L.T("form." + id), Value: value, Required: required, Multiline: multiline, L: v.L}
		if hint {
			t.Hint = v.L.T("form." + id + ".hint")
		}
		if d, ok := v.Data.(*formData); ok {
			t.Error = d.Errors[id]
		}
		return t
	}
}
