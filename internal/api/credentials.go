package api

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

func (a *API) createCredential(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        string                   `json:"name"`
		Type        string                   `json:"type"`
		Data        map[string]string        `json:"data"`
		ExternalRef *switchboard.ExternalRef `json:"external_ref"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID := r.PathValue("workspace_id")
	c, err := a.svc.CreateCredential(r.Context(), wsID, switchboard.CredentialInput{
		Name: in.Name, Type: switchboard.CredentialType(in.Type), Data: in.Data, ExternalRef: in.ExternalRef,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/credentials/"+c.ID)
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusCreated, credentialOut(c, false))
	return nil
}

func (a *API) listCredentials(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListCredentials(r.Context(), r.PathValue("workspace_id"), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, func(c *switchboard.Credential) credentialJSON { return credentialOut(c, false) })
	return nil
}

func (a *API) getCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := a.svc.GetCredential(r.Context(), r.PathValue("workspace_id"), r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusOK, credentialOut(c, false))
	return nil
}

func (a *API) updateCredential(w http.ResponseWriter, r *http.Request) error {
	rev, err := ifMatch(r)
	if err != nil {
		return err
	}
	var m mergePatch
	if err := httpx.DecodeJSON(w, r, &m, a.bodyLimit); err != nil {
		return err
	}
	if err := m.check("name", "data"); err != nil {
		return err
	}
	var patch switchboard.CredentialPatch
	if patch.Name, err = patchField[string](m, "name"); err != nil {
		return err
	}
	data, err := patchField[map[string]*string](m, "data")
	if err != nil {
		return err
	}
	if data != nil {
		patch.Data = *data
	}
	c, err := a.svc.UpdateCredential(r.Context(), r.PathValue("workspace_id"), r.PathValue("credential_id"), patch, rev)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", httpx.ETag(c.Revision))
	httpx.WriteJSON(w, http.StatusOK, credentialOut(c, false))
	return nil
}

func (a *API) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteCredential(r.Context(), r.PathValue("workspace_id"), r.PathValue("credential_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
