package api

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type connectionIn struct {
	ConnectorID      string                     `json:"connector_id"`
	ConnectorVersion string                     `json:"connector_version"`
	Name             string                     `json:"connection_name"`
	Description      string                     `json:"description"`
	Config           map[string]any             `json:"config"`
	Variables        []switchboard.Variable     `json:"variables"`
	Credentials      switchboard.CredentialRefs `json:"credentials"`
	Enabled          *bool                      `json:"enabled"`
	Paused           bool                       `json:"paused"`
	Environment      string                     `json:"environment"`
	ExternalXref     string                     `json:"external_xref"`
	Tags             []string                   `json:"tags"`
	Permissions      []string                   `json:"permissions"`
	Categories       []string                   `json:"categories"`
}

func (a *API) createConnection(w http.ResponseWriter, r *http.Request) error {
	var in connectionIn
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID := r.PathValue("workspace_id")
	c, replayed, err := a.svc.CreateConnection(r.Context(), wsID, switchboard.ConnectionInput{
		ConnectorID: in.ConnectorID, ConnectorVersion: in.ConnectorVersion, Name: in.Name,
		Description: in.Description, Config: in.Config, Variables: in.Variables,
		Credentials: in.Credentials, Enabled: in.Enabled, Paused: in.Paused,
		Environment: in.Environment, ExternalXref: in.ExternalXref, Tags: in.Tags,
		Permissions: in.Permissions, Categories: in.Categories,
	}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/connections/"+c.ID)
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusCreated, connectionOut(c))
	return nil
}

func (a *API) listConnections(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := a.svc.ListConnections(r.Context(), r.PathValue("workspace_id"), switchboard.ConnectionFilter{
		ConnectorID: q.Get("connector_id"), Status: switchboard.Status(q.Get("status")),
		Environment: q.Get("environment"), ExternalXref: q.Get("external_xref"), Tag: q.Get("tag"),
		Page: p,
	})
	if err != nil {
		return err
	}
	writeList(w, items, next, connectionOut)
	return nil
}

func (a *API) getConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := a.svc.GetConnection(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusOK, connectionOut(c))
	return nil
}

func (a *API) updateConnection(w http.ResponseWriter, r *http.Request) error {
	rev, err := ifMatch(r)
	if err != nil {
		return err
	}
	var m mergePatch
	if err := httpx.DecodeJSON(w, r, &m, a.bodyLimit); err != nil {
		return err
	}
	if err := m.check("connection_name", "description", "connector_version", "config", "variables",
		"credentials", "enabled", "paused", "environment", "external_xref", "tags", "permissions", "categories"); err != nil {
		return err
	}
	var p switchboard.ConnectionPatch
	for _, f := range []struct {
		name string
		dst  **string
	}{
		{"connection_name", &p.Name}, {"description", &p.Description}, {"connector_version", &p.ConnectorVersion},
		{"environment", &p.Environment}, {"external_xref", &p.ExternalXref},
	} {
		if *f.dst, err = patchField[string](m, f.name); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		dst  **bool
	}{{"enabled", &p.Enabled}, {"paused", &p.Paused}} {
		if *f.dst, err = patchField[bool](m, f.name); err != nil {
			return err
		}
	}
	if p.Variables, err = patchField[[]switchboard.Variable](m, "variables"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  **[]string
	}{{"tags", &p.Tags}, {"permissions", &p.Permissions}, {"categories", &p.Categories}} {
		if *f.dst, err = patchField[[]string](m, f.name); err != nil {
			return err
		}
	}
	if p.Credentials, err = patchField[switchboard.CredentialRefs](m, "credentials"); err != nil {
		return err
	}
	cfg, err := patchField[map[string]any](m, "config")
	if err != nil {
		return err
	}
	if cfg != nil {
		p.Config = *cfg
		if p.Config == nil { // "config": null clears the whole config
			p.Config, p.ReplaceConfig = map[string]any{}, true
		}
	}
	c, err := a.svc.UpdateConnection(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"), p, rev)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusOK, connectionOut(c))
	return nil
}

func (a *API) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteConnection(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"), force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) getConnectionCredentials(w http.ResponseWriter, r *http.Request) error {
	cc, err := a.svc.GetCredentials(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"))
	if err != nil {
		return err
	}
	// Plaintext secrets: never cached by anyone on the way.
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, connectionCredentialsOut(cc))
	return nil
}

func (a *API) listUsages(w http.ResponseWriter, r *http.Request) error {
	us, err := a.svc.ListUsages(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"))
	if err != nil {
		return err
	}
	writeList(w, us, "", usageOut)
	return nil
}

func (a *API) addUsage(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Consumer string `json:"consumer"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID, cID := r.PathValue("workspace_id"), r.PathValue("connection_id")
	u, err := a.svc.AddUsage(r.Context(), wsID, cID, in.Consumer)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/connections/"+cID+"/usages/"+u.ID)
	httpx.WriteJSON(w, http.StatusCreated, usageOut(u))
	return nil
}

func (a *API) deleteUsage(w http.ResponseWriter, r *http.Request) error {
	err := a.svc.DeleteUsage(r.Context(), r.PathValue("workspace_id"), r.PathValue("connection_id"), r.PathValue("usage_id"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
