package api

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

func (a *API) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	ws, err := a.svc.CreateWorkspace(r.Context(), switchboard.WorkspaceInput{ID: in.ID, Name: in.Name})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/workspaces/"+ws.ID)
	httpx.WriteJSON(w, http.StatusCreated, workspaceOut(ws))
	return nil
}

func (a *API) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListWorkspaces(r.Context(), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, workspaceOut)
	return nil
}

func (a *API) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.svc.GetWorkspace(r.Context(), r.PathValue("workspace_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, workspaceOut(ws))
	return nil
}

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string   `json:"name"`
		Role   string   `json:"role"`
		Scopes []string `json:"scopes"`
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID := r.PathValue("workspace_id")
	k, key, err := a.svc.CreateAPIKey(r.Context(), switchboard.APIKeyInput{
		WorkspaceID: wsID, Role: switchboard.Role(in.Role), Scopes: in.Scopes, Name: in.Name,
	})
	if err != nil {
		return err
	}
	out := apiKeyOut(k)
	out.Key = key
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/api-keys/"+k.ID)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListAPIKeys(r.Context(), r.PathValue("workspace_id"), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, apiKeyOut)
	return nil
}

func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RevokeAPIKey(r.Context(), r.PathValue("workspace_id"), r.PathValue("key_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := a.svc.ListAudit(r.Context(), r.PathValue("workspace_id"), switchboard.AuditFilter{
		ObjectID: q.Get("object_id"), Action: q.Get("action"), Page: p,
	})
	if err != nil {
		return err
	}
	writeList(w, items, next, auditOut)
	return nil
}
