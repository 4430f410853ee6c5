package secmaster

import (
	"context"
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

func (a *Adapter) listComponents(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	offset, limit, err := offsetLimit(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	all, err := a.allConnectors(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	out := componentListResponse{
		Code: successCode, Total: len(all), Size: limit, Page: offset/limit + 1, Success: true,
		RequestID: httpx.RequestIDFrom(r.Context()), Data: []componentInfo{},
	}
	for _, c := range all[min(offset, len(all)):min(offset+limit, len(all))] {
		def, err := a.svc.GetConnector(r.Context(), ws.ID, c.ID)
		if err != nil {
			return err
		}
		out.Data = append(out.Data, componentOut(def))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *Adapter) getComponent(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspace(r)
	if err != nil {
		return err
	}
	def, err := a.component(r.Context(), ws.ID, r.PathValue("component_id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, componentResponse{
		Code: successCode, Success: true, RequestID: httpx.RequestIDFrom(r.Context()), Data: componentOut(def),
	})
	return nil
}

// allConnectors lists every connector the workspace sees, built-in ones first.
func (a *Adapter) allConnectors(ctx context.Context, wsID string) ([]*switchboard.Connector, error) {
	var all []*switchboard.Connector
	after := ""
	for {
		page, next, err := a.svc.ListConnectors(ctx, wsID, switchboard.Page{Limit: maxLimit, After: after})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		after = next
	}
}

// component returns the connector a component_id names: a UUID of convert.go's scheme, or a
// connector key or id. NotFound "connector" when there is none.
func (a *Adapter) component(ctx context.Context, wsID, id string) (*switchboard.ConnectorDefinition, error) {
	key := id
	for k, alias := range componentAliases {
		if alias == id {
			key = k
		}
	}
	if key == id && isUUID(id) {
		cs, err := a.allConnectors(ctx, wsID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if componentID(c.ID) == id {
				key = c.ID
				break
			}
		}
	}
	def, err := a.svc.GetConnector(ctx, wsID, key)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return nil, switchboard.NotFound("connector")
	}
	return def, err
}

// componentVersion resolves the component and version a request body names; either one
// unknown is a validation error of that field.
func (a *Adapter) componentVersion(ctx context.Context, wsID, componentID, versionID string) (*switchboard.ConnectorDefinition, string, error) {
	def, err := a.component(ctx, wsID, componentID)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return nil, "", switchboard.Invalid("component_id", "enum")
	}
	if err != nil {
		return nil, "", err
	}
	version, err := resolveVersion(def, versionID)
	return def, version, err
}

// connectorOf returns the connector of c, through the cache defs when not nil. A connector
// that is gone (nil) shows its id as the component name rather than failing the answer.
func (a *Adapter) connectorOf(ctx context.Context, wsID string, c *switchboard.Connection, defs map[string]*switchboard.ConnectorDefinition) (*switchboard.ConnectorDefinition, error) {
	if def, ok := defs[c.ConnectorID]; ok {
		return def, nil
	}
	def, err := a.svc.GetConnector(ctx, wsID, c.ConnectorID)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		def, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if defs != nil {
		defs[c.ConnectorID] = def
	}
	return def, nil
}

// isUUID reports whether s has the 8-4-4-4-12 hex form of a UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'):
			return false
		}
	}
	return true
}
