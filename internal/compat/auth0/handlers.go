package auth0

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

func (a *Adapter) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var in organizationIn
	if err := httpx.DecodeJSON(w, r, &in, bodyLimit); err != nil {
		return err
	}
	o, err := a.svc.CreateOrganization(r.Context(), workspaceOf(r), switchboard.OrganizationInput{Name: in.Name, DisplayName: in.DisplayName})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, organizationOut(o))
	return nil
}

func (a *Adapter) addConnection(w http.ResponseWriter, r *http.Request) error {
	var in connectionIn
	if err := httpx.DecodeJSON(w, r, &in, bodyLimit); err != nil {
		return err
	}
	v, err := a.svc.AddOrganizationConnection(r.Context(), workspaceOf(r), r.PathValue("id"), connectionInput(in))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, connectionOut(v))
	return nil
}

// listPage is a page of organization connections with totals; the legacy path names the
// array enabled_connections.
func listPage(key string, start, limit, total int, items []connectionJSON) map[string]any {
	return map[string]any{"start": start, "limit": limit, "total": total, key: items}
}

func (a *Adapter) listConnections(key string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		page, err := intParam(q.Get("page"), "page", 0, 0, 1<<20)
		if err != nil {
			return err
		}
		perPage, err := intParam(q.Get("per_page"), "per_page", 50, 1, 100)
		if err != nil {
			return err
		}
		totals, err := boolParam(q.Get("include_totals"), "include_totals")
		if err != nil {
			return err
		}
		f := switchboard.OrganizationConnectionFilter{Offset: page * perPage, Limit: perPage}
		if s := q.Get("is_enabled"); s != "" {
			b, err := boolParam(s, "is_enabled")
			if err != nil {
				return err
			}
			f.IsEnabled = &b
		}
		items, total, err := a.svc.ListOrganizationConnections(r.Context(), workspaceOf(r), r.PathValue("id"), f)
		if err != nil {
			return err
		}
		out := make([]connectionJSON, 0, len(items))
		for _, v := range items {
			out = append(out, connectionOut(v))
		}
		if !totals {
			httpx.WriteJSON(w, http.StatusOK, out)
			return nil
		}
		// As Auth0 recorded it: limit is how many items this page holds.
		httpx.WriteJSON(w, http.StatusOK, listPage(key, f.Offset, len(out), total, out))
		return nil
	}
}

func intParam(s, name string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, switchboard.Invalid(name, "type")
	}
	if n < lo {
		return 0, switchboard.Invalid(name, "minimum")
	}
	if n > hi {
		return 0, switchboard.Invalid(name, "maximum")
	}
	return n, nil
}

func boolParam(s, name string) (bool, error) {
	switch s {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, switchboard.Invalid(name, "type")
}

func (a *Adapter) getConnection(w http.ResponseWriter, r *http.Request) error {
	v, err := a.svc.GetOrganizationConnection(r.Context(), workspaceOf(r), r.PathValue("id"), r.PathValue("connection_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, connectionOut(v))
	return nil
}

func (a *Adapter) updateConnection(w http.ResponseWriter, r *http.Request) error {
	var m map[string]json.RawMessage
	if err := httpx.DecodeJSON(w, r, &m, bodyLimit); err != nil {
		return err
	}
	patch, err := decodePatch(m)
	if err != nil {
		return err
	}
	v, err := a.svc.UpdateOrganizationConnection(r.Context(), workspaceOf(r), r.PathValue("id"), r.PathValue("connection_id"), patch)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, connectionOut(v))
	return nil
}

// decodePatch reads Auth0's PATCH body: organization_connection_name null removes the name,
// organization_access_level null resets it to "none", is_enabled null leaves it.
func decodePatch(m map[string]json.RawMessage) (switchboard.OrganizationConnectionPatch, error) {
	var p switchboard.OrganizationConnectionPatch
	known := map[string]bool{}
	for _, f := range patchFields {
		known[f] = true
	}
	for k := range m {
		if !known[k] {
			return p, switchboard.Invalid(k, "unknown")
		}
	}
	isNull := func(k string) bool { return bytes.Equal(bytes.TrimSpace(m[k]), []byte("null")) }
	str := func(k string, nullValue string) (*string, error) {
		raw, ok := m[k]
		if !ok {
			return nil, nil
		}
		if isNull(k) {
			return &nullValue, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, switchboard.Invalid(k, "type")
		}
		return &s, nil
	}
	flag := func(k string) (*bool, error) {
		raw, ok := m[k]
		if !ok || isNull(k) {
			return nil, nil
		}
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, switchboard.Invalid(k, "type")
		}
		return &b, nil
	}
	var err error
	if p.Name, err = str("organization_connection_name", ""); err != nil {
		return p, err
	}
	if p.AccessLevel, err = str("organization_access_level", switchboard.AccessNone); err != nil {
		return p, err
	}
	for _, f := range []struct {
		name string
		dst  **bool
	}{
		{"assign_membership_on_login", &p.AssignMembershipOnLogin}, {"show_as_button", &p.ShowAsButton},
		{"is_signup_enabled", &p.IsSignupEnabled}, {"is_enabled", &p.IsEnabled},
	} {
		if *f.dst, err = flag(f.name); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (a *Adapter) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOrganizationConnection(r.Context(), workspaceOf(r), r.PathValue("id"), r.PathValue("connection_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
