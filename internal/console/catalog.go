package console

import (
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard"
)

type connectorsData struct {
	Items []*switchboard.Connector
}

func (c *Console) listConnectors(q *req) error {
	list, _, err := c.cfg.Service.ListConnectors(q.ctx, q.ws.ID, switchboard.Page{Limit: 1000})
	if err != nil {
		return err
	}
	return c.page(q, http.StatusOK, "connectors", q.l.T("connectors.title"), "connectors", connectorsData{Items: list})
}

// versionView is one connector version as the catalog shows it.
type versionView struct {
	V         switchboard.ConnectorVersion
	Fields    []*field
	SchemaErr bool
	Health    bool
	OAuth2    bool
	Latest    bool
}

type connectorData struct {
	C        *switchboard.Connector
	Versions []versionView
}

func (c *Console) showConnector(q *req) error {
	def, err := c.cfg.Service.GetConnector(q.ctx, q.ws.ID, q.r.PathValue("key"))
	if err != nil {
		return err
	}
	d := connectorData{C: &def.Connector}
	for i := len(def.Versions) - 1; i >= 0; i-- { // newest first
		v := def.Versions[i]
		vv := versionView{V: v, Health: len(v.HealthCheck) > 0 && strings.TrimSpace(string(v.HealthCheck)) != "null",
			OAuth2: len(v.OAuth2) > 0 && strings.TrimSpace(string(v.OAuth2)) != "null", Latest: v.Version == def.Connector.LatestVersion}
		if vv.Fields, err = schemaFields(v.Schema); err != nil {
			vv.SchemaErr = true
		}
		d.Versions = append(d.Versions, vv)
	}
	return c.page(q, http.StatusOK, "connector", def.Connector.Name, "connectors", d)
}
