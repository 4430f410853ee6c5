package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// formData is the content of the create, edit and rotate forms.
type formData struct {
	Mode       string // create, edit, rotate
	Action     string
	Connectors []option // create: the connector chooser
	Connector  *switchboard.Connector
	Version    string
	Fields     []*field
	SchemaErr  bool // the version's schema could not be turned into inputs

	Name, Description, Environment, Xref, Tags, Variables string

	Errors      map[string]string // errors of the connection's own inputs, by input id
	Summary     []summaryItem
	Revision    int64
	C           *switchboard.Connection
	Idempotency string
}

// summaryItem is one line of the error summary, linking to its input.
type summaryItem struct{ Href, Text string }

// latestVersion returns def's latest version (its last when none is marked latest).
func latestVersion(def *switchboard.ConnectorDefinition) *switchboard.ConnectorVersion {
	for i := range def.Versions {
		if def.Versions[i].Version == def.Connector.LatestVersion {
			return &def.Versions[i]
		}
	}
	if n := len(def.Versions); n > 0 {
		return &def.Versions[n-1]
	}
	return nil
}

// createForm prepares the create form for connector key ("" = the first in the catalog).
func (c *Console) createForm(q *req, key string) (*formData, error) {
	opts, err := c.connectorOptions(q, key)
	if err != nil {
		return nil, err
	}
	if key == "" && len(opts) > 0 {
		key = opts[0].Value
		opts[0].Selected = true
	}
	d := &formData{Mode: "create", Action: q.base() + "/connections", Connectors: opts, Errors: map[string]string{},
		Idempotency: randomID(), Environment: switchboard.DefaultEnvironment}
	if key == "" {
		return d, nil
	}
	def, err := c.cfg.Service.GetConnector(q.ctx, q.ws.ID, key)
	if err != nil {
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			return d, nil // an unknown ?connector= shows the chooser alone
		}
		return nil, err
	}
	d.Connector = &def.Connector
	if v := latestVersion(def); v != nil {
		d.Version = v.Version
		if d.Fields, err = schemaFields(v.Schema); err != nil {
			d.SchemaErr = true
		}
		applyDefaults(d.Fields)
	}
	return d, nil
}

func (c *Console) newConnection(q *req) error {
	if err := q.needEditor(); err != nil {
		return err
	}
	d, err := c.createForm(q, q.r.URL.Query().Get("connector"))
	if err != nil {
		return err
	}
	return c.page(q, http.StatusOK, "connform", q.l.T("new.title"), "connections", d)
}

func (c *Console) createConnection(q *req) error {
	// The role first: a viewer's POST is refused as such, whatever its form holds.
	if err := q.needEditor(); err != nil {
		return err
	}
	form := q.r.PostForm
	key := form.Get("connector")
	d, err := c.createForm(q, key)
	if err != nil {
		return err
	}
	if d.Connector == nil || key == "" { // createForm shows the first connector for none: not a choice
		d.Connector, d.Version, d.Fields = nil, "", nil
		for i := range d.Connectors {
			d.Connectors[i].Selected = false
		}
		d.Summary = append(d.Summary, summaryItem{Href: "#connector", Text: q.l.Field("required", q.l.T("form.connector"))})
		return c.page(q, http.StatusBadRequest, "connform", q.l.T("new.title"), "connections", d)
	}
	d.readCommon(form)
	in := switchboard.ConnectionInput{
		ConnectorID: d.Connector.Key, ConnectorVersion: d.Version, Name: d.Name, Description: d.Description,
		Environment: d.Environment, ExternalXref: d.Xref, Tags: splitTags(d.Tags), Variables: parseVariables(d.Variables),
		Config: formConfig(d.Fields, form, false),
	}
	if k := form.Get("idempotency_key"); len(k) == 43 {
		d.Idempotency = k // a double submit replays the first create
	}
	conn, _, err := c.cfg.Service.CreateConnection(q.ctx, q.ws.ID, in, "console:"+d.Idempotency)
	if err != nil {
		if !d.showErrors(q.l, err) {
			return err
		}
		fillForm(d.Fields, form)
		return c.page(q, statusOf(err), "connform", q.l.T("new.title"), "connections", d)
	}
	return q.redirect(c, c.detailPath(q, conn.ID), flashMsg{Kind: "ok", Key: "flash.created", Args: map[string]any{"Name": conn.Name}})
}

// readCommon reads the connection's own inputs.
func (d *formData) readCommon(form url.Values) {
	d.Name = form.Get("name")
	d.Description = form.Get("description")
	d.Environment = strings.TrimSpace(form.Get("environment"))
	d.Xref = form.Get("external_xref")
	d.Tags = form.Get("tags")
	d.Variables = form.Get("variables")
}

// showErrors puts a validation or conflict error on the inputs it is about and in the
// summary, and reports whether it did: other errors are the caller's.
func (d *formData) showErrors(l *localizer, err error) bool {
	e := switchboard.AsError(err)
	switch {
	case e.Code == switchboard.CodeConflict && e.Message == "connection.name_taken":
		msg := l.Err(e)
		d.Errors["name"] = msg
		d.Summary = append(d.Summary, summaryItem{Href: "#name", Text: msg})
		return true
	case e.Code == switchboard.CodeConflict, e.Code == switchboard.CodePreconditionFailed:
		d.Summary = append(d.Summary, summaryItem{Text: l.Err(e)})
		return true
	case e.Code != switchboard.CodeInvalid:
		return false
	}
	if len(e.Details) == 0 {
		d.Summary = append(d.Summary, summaryItem{Text: l.Err(e)})
		return true
	}
	for _, det := range e.Details {
		target := formFieldOf(det.Field)
		if name, ok := strings.CutPrefix(target, "config:"); ok {
			if f := findField(d.Fields, name); f != nil {
				msg := l.Field(det.Reason, f.Label)
				if f.Error == "" {
					f.Error = msg
				}
				d.Summary = append(d.Summary, summaryItem{Href: "#" + f.ID(), Text: msg})
				continue
			}
			target = ""
		}
		if target == "" {
			d.Summary = append(d.Summary, summaryItem{Text: l.Field(det.Reason, det.Field)})
			continue
		}
		msg := l.Field(det.Reason, l.T("form."+target))
		if _, dup := d.Errors[target]; !dup {
			d.Errors[target] = msg
		}
		d.Summary = append(d.Summary, summaryItem{Href: "#" + target, Text: msg})
	}
	return true
}

// findField returns the field named name, or the closest enclosing one ("a.b.c" of a field
// "a" edited as JSON is about "a").
func findField(fields []*field, name string) *field {
	var found *field
	walk(fields, func(f *field) {
		if found == nil && (f.Name == name || strings.HasPrefix(name, f.Name+".")) && (f.Name == name || f.Kind != "group") {
			found = f
		}
	})
	return found
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// parseVariables reads "NAME=VALUE" lines; a line without "=" is a name with an empty value.
func parseVariables(s string) []switchboard.Variable {
	var out []switchboard.Variable
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, _ := strings.Cut(line, "=")
		out = append(out, switchboard.Variable{Name: strings.TrimSpace(name), Value: value})
	}
	return out
}

func formatVariables(vs []switchboard.Variable) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.Name + "=" + v.Value + "\n")
	}
	return b.String()
}

// editForm prepares the edit form of the path's connection, filled with its values.
func (c *Console) editForm(q *req) (*formData, error) {
	conn, def, fields, schemaErr, err := c.loadConnection(q)
	if err != nil {
		return nil, err
	}
	d := &formData{
		Mode: "edit", Action: c.detailPath(q, conn.ID) + "/edit", Connector: &def.Connector, Version: conn.ConnectorVersion,
		Fields: fields, SchemaErr: schemaErr, C: conn, Revision: conn.Revision, Errors: map[string]string{},
		Name: conn.Name, Description: conn.Description, Environment: conn.Environment, Xref: conn.ExternalXref,
		Tags: strings.Join(conn.Tags, ", "), Variables: formatVariables(conn.Variables),
	}
	fill(d.Fields, conn.Config)
	return d, nil
}

func (c *Console) editConnection(q *req) error {
	if err := q.needEditor(); err != nil {
		return err
	}
	d, err := c.editForm(q)
	if err != nil {
		return err
	}
	return c.page(q, http.StatusOK, "connform", q.l.T("edit.title", "Name", d.C.Name), "connections", d)
}

func (c *Console) updateConnection(q *req) error {
	d, err := c.editForm(q)
	if err != nil {
		return err
	}
	conn, form := d.C, q.r.PostForm
	d.readCommon(form)
	var p switchboard.ConnectionPatch
	str := func(dst **string, now, was string) {
		if now != was {
			*dst = &now
		}
	}
	str(&p.Name, d.Name, conn.Name)
	str(&p.Description, d.Description, conn.Description)
	str(&p.Environment, d.Environment, conn.Environment)
	str(&p.ExternalXref, d.Xref, conn.ExternalXref)
	if tags := splitTags(d.Tags); !reflect.DeepEqual(nonNilStrings(tags), nonNilStrings(conn.Tags)) {
		p.Tags = &tags
	}
	if vars := parseVariables(d.Variables); !reflect.DeepEqual(vars, conn.Variables) && (len(vars) > 0 || len(conn.Variables) > 0) {
		p.Variables = &vars
	}
	cfg := formConfig(d.Fields, form, true)
	keepNestedSecrets(cfg, d.Fields, form, conn.Config)
	p.Config = changedConfig(cfg, conn)
	rev := conn.Revision
	if r, ok := parseRevision(form.Get("revision")); ok {
		rev = r
	}
	if _, err := c.cfg.Service.UpdateConnection(q.ctx, q.ws.ID, conn.ID, p, rev); err != nil {
		if !d.showErrors(q.l, err) {
			return err
		}
		fillForm(d.Fields, form)
		return c.page(q, statusOf(err), "connform", q.l.T("edit.title", "Name", conn.Name), "connections", d)
	}
	return q.redirect(c, c.detailPath(q, conn.ID), flashMsg{Kind: "ok", Key: "flash.updated"})
}

// changedConfig drops from a config patch the keys whose value is what is stored already (and
// removals of keys that are not there), so the audit event names only what changed.
func changedConfig(patch map[string]any, conn *switchboard.Connection) map[string]any {
	for k, v := range patch {
		old, had := conn.Config[k]
		if _, secret := conn.Secrets[k]; secret {
			had = true
		}
		switch {
		case v == nil && !had:
			delete(patch, k)
		case v != nil && had && sameJSON(v, old):
			delete(patch, k)
		}
	}
	if len(patch) == 0 {
		return nil
	}
	return patch
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func parseRevision(s string) (int64, bool) {
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// rotateForm prepares the form of new secret values (only the secret fields, all blank).
func (c *Console) rotateData(q *req) (*formData, error) {
	conn, def, fields, _, err := c.loadConnection(q)
	if err != nil {
		return nil, err
	}
	return &formData{
		Mode: "rotate", Action: c.detailPath(q, conn.ID) + "/rotate", Connector: &def.Connector,
		Version: conn.ConnectorVersion, Fields: secretFields(fields), C: conn, Revision: conn.Revision,
		Errors: map[string]string{},
	}, nil
}

func (c *Console) rotateForm(q *req) error {
	if err := q.needEditor(); err != nil {
		return err
	}
	d, err := c.rotateData(q)
	if err != nil {
		return err
	}
	return c.page(q, http.StatusOK, "connform", q.l.T("rotate.title", "Name", d.C.Name), "connections", d)
}

func (c *Console) rotate(q *req) error {
	// Before the form is read, as for the GET: a viewer is told it may not, not that its
	// form is empty.
	if err := q.needEditor(); err != nil {
		return err
	}
	d, err := c.rotateData(q)
	if err != nil {
		return err
	}
	cfg := formConfig(d.Fields, q.r.PostForm, false) // blank = keep
	if len(cfg) == 0 {
		d.Summary = append(d.Summary, summaryItem{Text: q.l.T("rotate.nothing")})
		return c.page(q, http.StatusBadRequest, "connform", q.l.T("rotate.title", "Name", d.C.Name), "connections", d)
	}
	if _, err := c.cfg.Service.UpdateConnection(q.ctx, q.ws.ID, d.C.ID, switchboard.ConnectionPatch{Config: cfg}, 0); err != nil {
		if !d.showErrors(q.l, err) {
			return err
		}
		return c.page(q, statusOf(err), "connform", q.l.T("rotate.title", "Name", d.C.Name), "connections", d)
	}
	return q.redirect(c, c.detailPath(q, d.C.ID), flashMsg{Kind: "ok", Key: "flash.rotated"})
}
