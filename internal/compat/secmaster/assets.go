package secmaster

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// maxLimit bounds limit on the list routes, as the core bounds a page.
const maxLimit = 1000

// required checks the body fields SecMaster requires that the core does not (the core takes
// a missing version as the latest; SecMaster's clients always name one).
func (in *assetRequest) required() error {
	switch {
	case strings.TrimSpace(in.ComponentID) == "":
		return switchboard.Invalid("component_id", "required")
	case strings.TrimSpace(in.ComponentVersionID) == "":
		return switchboard.Invalid("component_version_id", "required")
	}
	return nil
}

// assetInput is a decoded create or replace body: the request with its config parsed and its
// component resolved.
type assetInput struct {
	assetRequest
	config      map[string]any
	def         *switchboard.ConnectorDefinition
	version     string
	description string
}

// decodeAsset reads and checks the body both POST and PUT take.
func (a *Adapter) decodeAsset(w http.ResponseWriter, r *http.Request, wsID string) (*assetInput, error) {
	in := &assetInput{}
	if err := httpx.DecodeJSON(w, r, &in.assetRequest, 0); err != nil {
		return nil, err
	}
	if err := in.required(); err != nil {
		return nil, err
	}
	var err error
	if in.config, err = parseConfig(in.Config); err != nil {
		return nil, err
	}
	if in.def, in.version, err = a.componentVersion(r.Context(), wsID, in.ComponentID, in.ComponentVersionID); err != nil {
		return nil, err
	}
	if in.Description != nil {
		in.description = *in.Description
	}
	return in, nil
}

func (a *Adapter) createAsset(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	in, err := a.decodeAsset(w, r, ws.ID)
	if err != nil {
		return err
	}
	c, _, err := a.svc.CreateConnection(r.Context(), ws.ID, switchboard.ConnectionInput{
		ConnectorID: in.def.Connector.ID, ConnectorVersion: in.version, Name: in.Name, Description: in.description,
		Config: in.config,
	}, "")
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, assetResponse{Code: successCode, Asset: assetOut(c, ws, in.def)})
	return nil
}

func (a *Adapter) listAssets(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	f, none, err := a.filter(r.Context(), ws.ID, r)
	if err != nil {
		return err
	}
	out := assetListResponse{Code: successCode, Asset: []assetInfo{}}
	if none {
		httpx.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	if out.Total, err = a.svc.CountConnections(r.Context(), ws.ID, f); err != nil {
		return err
	}
	items, _, err := a.svc.ListConnections(r.Context(), ws.ID, f)
	if err != nil {
		return err
	}
	defs := map[string]*switchboard.ConnectorDefinition{}
	for _, c := range items {
		def, err := a.connectorOf(r.Context(), ws.ID, c, defs)
		if err != nil {
			return err
		}
		out.Asset = append(out.Asset, assetOut(c, ws, def))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// filter translates the list's query. none reports a filter nothing can match (a component
// name no connector has, or is_defense_type=true: Switchboard has no emergency-policy
// connections). Filters the core cannot apply are refused rather than ignored, so a client
// never mistakes an unfiltered list for a filtered one.
func (a *Adapter) filter(ctx context.Context, wsID string, r *http.Request) (f switchboard.ConnectionFilter, none bool, err error) {
	q := r.URL.Query()
	for _, k := range []string{"modifier_name", "update_end_time"} {
		if q.Get(k) != "" {
			return f, false, switchboard.Invalid(k, "invalid")
		}
	}
	if f.Offset, f.Limit, err = offsetLimit(q.Get("offset"), q.Get("limit")); err != nil {
		return f, false, err
	}
	f.NameContains, f.DescriptionContains, f.CreatedBy = q.Get("name"), q.Get("description"), q.Get("creator_name")
	for _, t := range []struct {
		param string
		dst   *time.Time
	}{
		{"create_start_time", &f.CreatedFrom},
		{"create_end_time", &f.CreatedTo},
		{"update_start_time", &f.UpdatedFrom},
	} {
		if s := q.Get(t.param); s != "" {
			if *t.dst, err = parseTime(t.param, s); err != nil {
				return f, false, err
			}
		}
	}
	if s := q.Get("is_defense_type"); s != "" {
		b, perr := strconv.ParseBool(s)
		if perr != nil {
			return f, false, switchboard.Invalid("is_defense_type", "type")
		}
		none = b
	}
	if name := q.Get("component_name"); name != "" && !none {
		cs, err := a.allConnectors(ctx, wsID)
		if err != nil {
			return f, false, err
		}
		var ids []string
		for _, c := range cs {
			if strings.EqualFold(c.Name, name) || c.Key == name {
				ids = append(ids, c.ID)
			}
		}
		switch len(ids) {
		case 0:
			none = true
		case 1:
			f.ConnectorID = ids[0]
		default:
			// Two connectors share the name (a workspace connector named like a built-in):
			// the core filters by one connector, so the caller must name it by key.
			return f, false, switchboard.Invalid("component_name", "invalid")
		}
	}
	return f, none, nil
}

// offsetLimit parses offset and limit (both optional, non-negative; limit at most maxLimit,
// 0 or absent = the core's default page).
func offsetLimit(offset, limit string) (int, int, error) {
	var o, l int
	var err error
	if offset != "" {
		if o, err = strconv.Atoi(offset); err != nil {
			return 0, 0, switchboard.Invalid("offset", "type")
		}
		if o < 0 {
			return 0, 0, switchboard.Invalid("offset", "minimum")
		}
	}
	if limit != "" {
		if l, err = strconv.Atoi(limit); err != nil {
			return 0, 0, switchboard.Invalid("limit", "type")
		}
		switch {
		case l < 0:
			return 0, 0, switchboard.Invalid("limit", "minimum")
		case l > maxLimit:
			return 0, 0, switchboard.Invalid("limit", "maximum")
		}
	}
	return o, l, nil
}

func (a *Adapter) getAsset(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	c, err := a.svc.GetConnection(r.Context(), ws.ID, r.PathValue("asset_id"))
	if err != nil {
		return err
	}
	def, err := a.connectorOf(r.Context(), ws.ID, c, nil)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, assetResponse{Code: successCode, Asset: assetOut(c, ws, def)})
	return nil
}

// updateAsset replaces a connection's name, description, version and config, as SecMaster's
// PUT does. A secret sent back as "******" keeps its stored value. The component cannot
// change: the core keeps a connection on its connector.
func (a *Adapter) updateAsset(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	id := r.PathValue("asset_id")
	cur, err := a.svc.GetConnection(r.Context(), ws.ID, id)
	if err != nil {
		return err
	}
	in, err := a.decodeAsset(w, r, ws.ID)
	if err != nil {
		return err
	}
	if in.def.Connector.ID != cur.ConnectorID {
		return switchboard.Invalid("component_id", "read_only")
	}
	c, err := a.svc.UpdateConnection(r.Context(), ws.ID, id, switchboard.ConnectionPatch{
		Name: &in.Name, Description: &in.description, ConnectorVersion: &in.version,
		Config: in.config, ReplaceConfig: true, SecretMask: secretMask,
	}, 0)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, assetResponse{Code: successCode, Asset: assetOut(c, ws, in.def)})
	return nil
}

// deleteAsset deletes a connection; one in use (can_be_deleted false) is refused.
func (a *Adapter) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteConnection(r.Context(), ws.ID, r.PathValue("asset_id"), false); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, plainResponse{Code: successCode})
	return nil
}
