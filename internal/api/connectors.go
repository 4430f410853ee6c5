package api

import (
	"encoding/json"
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type connectorVersionIn struct {
	Version     string          `json:"version"`
	Schema      json.RawMessage `json:"schema"`
	AuthSchemes []string        `json:"auth_schemes"`
	Slots       []string        `json:"slots"`
	Permissions []string        `json:"permissions"`
	HealthCheck json.RawMessage `json:"health_check"`
	OAuth2      json.RawMessage `json:"oauth2"`
}

func (v connectorVersionIn) input() switchboard.ConnectorVersionInput {
	return switchboard.ConnectorVersionInput{
		Version: v.Version, Schema: v.Schema, AuthSchemes: v.AuthSchemes, Slots: v.Slots,
		Permissions: v.Permissions, HealthCheck: v.HealthCheck, OAuth2: v.OAuth2,
	}
}

func (a *API) listConnectors(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListConnectors(r.Context(), r.PathValue("workspace_id"), p)
	if err != nil {
		return err
	}
	writeList(w, items, next, connectorOut)
	return nil
}

func (a *API) getConnector(w http.ResponseWriter, r *http.Request) error {
	d, err := a.svc.GetConnector(r.Context(), r.PathValue("workspace_id"), r.PathValue("connector_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, connectorDefOut(d))
	return nil
}

func (a *API) createConnector(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Key         string   `json:"key"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Categories  []string `json:"categories"`
		connectorVersionIn
	}
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID := r.PathValue("workspace_id")
	d, err := a.svc.CreateConnector(r.Context(), wsID, switchboard.ConnectorInput{
		Key: in.Key, Name: in.Name, Description: in.Description, Categories: in.Categories,
		ConnectorVersionInput: in.input(),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/connectors/"+d.Connector.ID)
	httpx.WriteJSON(w, http.StatusCreated, connectorDefOut(d))
	return nil
}

func (a *API) createConnectorVersion(w http.ResponseWriter, r *http.Request) error {
	var in connectorVersionIn
	if err := httpx.DecodeJSON(w, r, &in, a.bodyLimit); err != nil {
		return err
	}
	wsID, cID := r.PathValue("workspace_id"), r.PathValue("connector_id")
	v, err := a.svc.CreateConnectorVersion(r.Context(), wsID, cID, in.input())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/workspaces/"+wsID+"/connectors/"+v.ConnectorID)
	httpx.WriteJSON(w, http.StatusCreated, versionOut(v))
	return nil
}
