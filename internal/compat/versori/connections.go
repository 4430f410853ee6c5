package versori

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// defaultFirst is the page size when first is not given, as the spec says.
const defaultFirst = 20

// connector resolves the connector_id path value (id or key) in the organisation.
func (h *Handler) connector(ctx context.Context, org, idOrKey string) (*switchboard.Connector, error) {
	d, err := h.svc.GetConnector(ctx, org, idOrKey)
	if err != nil {
		return nil, err
	}
	return &d.Connector, nil
}

// connection returns the path's connection; one of another connector is not found.
func (h *Handler) connection(r *http.Request) (*switchboard.Connection, error) {
	ctx, org := r.Context(), r.PathValue("organisation_id")
	ctr, err := h.connector(ctx, org, r.PathValue("connector_id"))
	if err != nil {
		return nil, err
	}
	c, err := h.svc.GetConnection(ctx, org, r.PathValue("connection_id"))
	if err != nil {
		return nil, err
	}
	if c.ConnectorID != ctr.ID {
		return nil, switchboard.NotFound("connection")
	}
	return c, nil
}

// render loads a connection's credentials and renders it.
func (h *Handler) render(ctx context.Context, org string, c *switchboard.Connection) (connectionJSON, error) {
	load := func(ids []string) ([]*switchboard.Credential, error) {
		var out []*switchboard.Credential
		for _, id := range ids {
			cr, err := h.svc.GetCredential(ctx, org, id)
			if err != nil {
				return nil, err
			}
			out = append(out, cr)
		}
		return out, nil
	}
	action, err := load(c.Credentials.Action)
	if err != nil {
		return connectionJSON{}, err
	}
	trigger, err := load(c.Credentials.Trigger)
	if err != nil {
		return connectionJSON{}, err
	}
	return connectionOut(c, action, trigger), nil
}

// list serves ListConnectorConnections: first/after/before cursors over the connector's
// connections in creation order, with the total count.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), r.PathValue("organisation_id")
	ctr, err := h.connector(ctx, org, r.PathValue("connector_id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	first := defaultFirst
	if s := q.Get("first"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return invalid("first", "type")
		case n < 1:
			return invalid("first", "minimum")
		case n > 1000:
			return invalid("first", "maximum")
		}
		first = n
	}
	after, before := q.Get("after"), q.Get("before")
	if after != "" && before != "" {
		return invalid("before", "invalid")
	}
	items, cursor, err := h.svc.ListConnections(ctx, org, switchboard.ConnectionFilter{
		ConnectorID: ctr.ID, Before: before, Page: switchboard.Page{Limit: first, After: after},
	})
	if err != nil {
		return renameFields(err, func(f string) string { return f })
	}
	total, err := h.svc.CountConnections(ctx, org, switchboard.ConnectionFilter{ConnectorID: ctr.ID})
	if err != nil {
		return err
	}
	out := pageJSON{TotalCount: total, Items: []connectionSummaryJSON{}}
	for _, c := range items {
		out.Items = append(out.Items, summaryOut(c))
	}
	if before != "" {
		// cursor is where the page before this one ends; the page after it starts after our last.
		out.Prev = cursor
		if len(items) > 0 {
			out.Next = items[len(items)-1].ID
		}
	} else {
		out.Next = cursor
		if after != "" && len(items) > 0 {
			out.Prev = items[0].ID
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// get serves GetConnection.
func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	c, err := h.connection(r)
	if err != nil {
		return err
	}
	out, err := h.render(r.Context(), r.PathValue("organisation_id"), c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// delete serves DeleteConnection: 204; 412 while the connection is in use unless force=true.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	force := false
	if s := r.URL.Query().Get("force"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return invalid("force", "type")
		}
		force = b
	}
	c, err := h.connection(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteConnection(r.Context(), r.PathValue("organisation_id"), c.ID, force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// variablesIn checks ConnectionVariables (both properties required) and converts them.
func variablesIn(in []variableIn) ([]switchboard.Variable, error) {
	out := make([]switchboard.Variable, 0, len(in))
	for i, v := range in {
		f := fmt.Sprintf("variables[%d]", i)
		switch {
		case v.Name == nil:
			return nil, invalid(f+".name", "required")
		case v.Value == nil:
			return nil, invalid(f+".value", "required")
		}
		out = append(out, switchboard.Variable{Name: *v.Name, Value: *v.Value})
	}
	return out, nil
}

// slotEntry is one credential of a create request, checked: either a new credential to create
// or an existing one referenced by id, with the AuthSchemeConfig to record.
type slotEntry struct {
	slot   string
	field  string // "credentials.action[0]"
	config string // the AuthSchemeConfig as compact JSON
	ref    *switchboard.Credential
	in     switchboard.CredentialInput
	vtype  credentialType
}

// entries checks every credential of a create request and resolves the references, before
// anything is written.
func (h *Handler) entries(ctx context.Context, org string, in *credentialsCreateJSON) ([]*slotEntry, error) {
	var out []*slotEntry
	for _, slot := range []struct {
		name  string
		items []connectionCredentialCreateJSON
	}{{"action", in.Action}, {"trigger", in.Trigger}} {
		for i, it := range slot.items {
			e := &slotEntry{slot: slot.name, field: fmt.Sprintf("credentials.%s[%d]", slot.name, i)}
			cfg, err := authSchemeConfigIn(it.AuthSchemeConfig, e.field+".authSchemeConfig")
			if err != nil {
				return nil, err
			}
			e.config = cfg
			cr := it.Credential
			cf := e.field + ".credential"
			switch {
			case cr == nil:
				return nil, invalid(cf, "required")
			case cr.ID != nil:
				if cr.Name != nil || cr.Type != nil || cr.Data != nil {
					return nil, invalid(cf, "invalid")
				}
				ref, err := h.svc.GetCredential(ctx, org, *cr.ID)
				if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
					return nil, invalid(cf+".id", "invalid")
				} else if err != nil {
					return nil, err
				}
				e.ref = ref
			default:
				if cr.Name == nil {
					return nil, invalid(cf+".name", "required")
				}
				if cr.Type == nil {
					return nil, invalid(cf+".type", "required")
				}
				t, ok := credentialTypes[*cr.Type]
				if !ok {
					return nil, invalid(cf+".type", "enum")
				}
				data, err := dataIn(t, cr.Data, cf+".data")
				if err != nil {
					return nil, err
				}
				data[keyType], data[keyAuthSchemeConfig] = *cr.Type, cfg
				e.vtype = t
				e.in = switchboard.CredentialInput{Name: *cr.Name, Type: t.core, Data: data}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// credentialField maps a core credential field to the Versori one under prefix.
func credentialField(prefix string, t credentialType) func(string) string {
	return func(f string) string {
		if k, ok := strings.CutPrefix(f, "data."); ok {
			for _, df := range t.fields {
				if df.core == k {
					return prefix + "data." + df.wire
				}
			}
		}
		return prefix + f
	}
}

// create serves CreateConnectorConnection: it creates the new credentials, then the
// connection referencing them in order; when the connection cannot be created, the credentials
// it just made are deleted again.
func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), r.PathValue("organisation_id")
	var in connectionCreateJSON
	if err := httpx.DecodeJSON(w, r, &in, 0); err != nil {
		return err
	}
	switch {
	case in.Name == nil:
		return invalid("name", "required")
	case in.Credentials == nil:
		return invalid("credentials", "required")
	case in.Variables == nil:
		return invalid("variables", "required")
	}
	vars, err := variablesIn(*in.Variables)
	if err != nil {
		return err
	}
	ctr, err := h.connector(ctx, org, r.PathValue("connector_id"))
	if err != nil {
		return err
	}
	entries, err := h.entries(ctx, org, in.Credentials)
	if err != nil {
		return err
	}
	var made []string
	undo := func() {
		// Best effort, on a context the client cannot cancel: nothing should dangle.
		for _, id := range made {
			_ = h.svc.DeleteCredential(context.WithoutCancel(ctx), org, id)
		}
	}
	refs := switchboard.CredentialRefs{Action: []string{}, Trigger: []string{}}
	for _, e := range entries {
		id := ""
		if e.ref != nil {
			id = e.ref.ID
		} else {
			cr, err := h.svc.CreateCredential(ctx, org, e.in)
			if err != nil {
				undo()
				return renameFields(err, credentialField(e.field+".credential.", e.vtype))
			}
			id = cr.ID
			made = append(made, id)
		}
		if e.slot == "action" {
			refs.Action = append(refs.Action, id)
		} else {
			refs.Trigger = append(refs.Trigger, id)
		}
	}
	c, _, err := h.svc.CreateConnection(ctx, org, switchboard.ConnectionInput{
		ConnectorID: ctr.ID, Name: *in.Name, Variables: vars, Credentials: refs,
	}, "")
	if err != nil {
		undo()
		return renameFields(err, connectionField)
	}
	for _, e := range entries {
		if e.ref != nil {
			if err := h.recordConfig(ctx, org, e.ref, e.config); err != nil {
				return err
			}
		}
	}
	out, err := h.render(ctx, org, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// recordConfig records the AuthSchemeConfig a connection uses an existing credential with,
// when it changed. A credential kept in an external secret manager has no data to keep it in:
// its config is derived from its type instead.
func (h *Handler) recordConfig(ctx context.Context, org string, cr *switchboard.Credential, config string) error {
	if cr.ExternalRef != nil || cr.Data[keyAuthSchemeConfig].Reveal() == config {
		return nil
	}
	_, err := h.svc.UpdateCredential(ctx, org, cr.ID, switchboard.CredentialPatch{
		Data: map[string]*string{keyAuthSchemeConfig: &config},
	}, 0)
	return err
}

// update serves UpdateConnection: the name, the variables (when given) and the order and
// AuthSchemeConfig of the connection's credentials (when given); credentials themselves change
// only through UpdateCredential.
func (h *Handler) update(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), r.PathValue("organisation_id")
	var in connectionUpdateJSON
	if err := httpx.DecodeJSON(w, r, &in, 0); err != nil {
		return err
	}
	switch {
	case in.ID == nil:
		return invalid("id", "required")
	case *in.ID != r.PathValue("connection_id"):
		return invalid("id", "invalid")
	case in.Name == nil:
		return invalid("name", "required")
	}
	c, err := h.connection(r)
	if err != nil {
		return err
	}
	patch := switchboard.ConnectionPatch{Name: in.Name}
	if in.Variables != nil {
		vars, err := variablesIn(*in.Variables)
		if err != nil {
			return err
		}
		patch.Variables = &vars
	}
	type change struct {
		cred   *switchboard.Credential
		config string
	}
	var changes []change
	if in.Credentials != nil {
		current := map[string]bool{}
		for _, id := range c.Credentials.All() {
			current[id] = true
		}
		refs := switchboard.CredentialRefs{Action: []string{}, Trigger: []string{}}
		for _, slot := range []struct {
			name  string
			items []connectionCredentialUpdateJSON
			dst   *[]string
		}{{"action", in.Credentials.Action, &refs.Action}, {"trigger", in.Credentials.Trigger, &refs.Trigger}} {
			for i, it := range slot.items {
				f := fmt.Sprintf("credentials.%s[%d]", slot.name, i)
				if it.ID == nil || *it.ID == "" {
					return invalid(f+".id", "required")
				}
				if !current[*it.ID] {
					// Only the connection's own credentials can be reordered; a new one needs a
					// new ConnectionCredential, as in Versori.
					return invalid(f+".id", "invalid")
				}
				cfg, err := authSchemeConfigIn(it.AuthSchemeConfig, f+".authSchemeConfig")
				if err != nil {
					return err
				}
				cr, err := h.svc.GetCredential(ctx, org, *it.ID)
				if err != nil {
					return err
				}
				if schemeTypeOf(cfg) != authSchemeConfigOf(cr)["schemeType"] {
					return invalid(f+".authSchemeConfig.schemeType", "read_only")
				}
				changes = append(changes, change{cr, cfg})
				*slot.dst = append(*slot.dst, *it.ID)
			}
		}
		patch.Credentials = &refs
	}
	c, err = h.svc.UpdateConnection(ctx, org, c.ID, patch, 0)
	if err != nil {
		return renameFields(err, connectionField)
	}
	for _, ch := range changes {
		if err := h.recordConfig(ctx, org, ch.cred, ch.config); err != nil {
			return err
		}
	}
	out, err := h.render(ctx, org, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
