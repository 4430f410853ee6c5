package api

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type organizationJSON struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func organizationOut(o *switchboard.Organization) organizationJSON {
	return organizationJSON{
		ID: o.ID, WorkspaceID: o.WorkspaceID, Name: o.Name, DisplayName: o.DisplayName,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

func (a *API) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID := r.PathValue("workspace_id")
	o, err := a.svc.CreateOrganization(r.Context(), wsID, switchboard.OrganizationInput{Name: in.Name, DisplayName: in.DisplayName})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/organizations/"+o.ID)
	httpx.WriteJSON(w, http.StatusCreated, organizationOut(o))
	return nil
}

func (a *API) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListOrganizations(r.Context(), r.PathValue("workspace_id"), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, organizationOut)
	return nil
}

func (a *API) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := a.svc.GetOrganization(r.Context(), r.PathValue("workspace_id"), r.PathValue("organization_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, organizationOut(o))
	return nil
}

func (a *API) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	var m mergePatch
	if err := httpx.DecodeJSON(w, r, &m, a.bodyLimit); err != nil {
		return err
	}
	if err := m.check("name", "display_name"); err != nil {
		return err
	}
	var patch switchboard.OrganizationPatch
	var err error
	if patch.Name, err = patchField[string](m, "name"); err != nil {
		return err
	}
	if patch.DisplayName, err = patchField[string](m, "display_name"); err != nil {
		return err
	}
	o, err := a.svc.UpdateOrganization(r.Context(), r.PathValue("workspace_id"), r.PathValue("organization_id"), patch)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, organizationOut(o))
	return nil
}

func (a *API) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOrganization(r.Context(), r.PathValue("workspace_id"), r.PathValue("organization_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
