package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// listPageSize is how many connections a list page shows.
const listPageSize = 25

// connRow is one row of the connections list.
type connRow struct {
	ID, Name, Connector, Environment, Xref string
	Status                                 switchboard.Status
	Health                                 string // healthy, unhealthy, unknown
	LastHealthy, LastUnhealthy             *time.Time
}

type listFilter struct {
	Connector, Status, Environment, Xref, Q string
}

type listData struct {
	Rows       []connRow
	Filter     listFilter
	Connectors []option
	Statuses   []option
	Prev, Next string
	Filtered   bool
}

var allStatuses = []switchboard.Status{
	switchboard.StatusPending, switchboard.StatusConfiguring, switchboard.StatusActive, switchboard.StatusFailed,
	switchboard.StatusDisabled, switchboard.StatusPaused, switchboard.StatusSuspended, switchboard.StatusClosed,
}

// healthOf says whether the latest check passed: "healthy" when the last healthy time is the
// newer, "unhealthy" when the last unhealthy one is, "unknown" before any check.
func healthOf(h switchboard.Health) string {
	switch {
	case h.LastHealthyAt == nil && h.LastUnhealthyAt == nil:
		return "unknown"
	case h.LastUnhealthyAt == nil:
		return "healthy"
	case h.LastHealthyAt == nil || h.LastUnhealthyAt.After(*h.LastHealthyAt):
		return "unhealthy"
	}
	return "healthy"
}

// connectorOptions lists the connectors usable in the workspace, built-in first.
func (c *Console) connectorOptions(q *req, selected string) ([]option, error) {
	list, _, err := c.cfg.Service.ListConnectors(q.ctx, q.ws.ID, switchboard.Page{Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(list))
	for _, k := range list {
		out = append(out, option{Value: k.Key, Label: k.Name + " (" + k.Key + ")", Selected: k.Key == selected || k.ID == selected})
	}
	return out, nil
}

func (c *Console) listConnections(q *req) error {
	v := q.r.URL.Query()
	f := listFilter{Connector: v.Get("connector"), Status: v.Get("status"), Environment: v.Get("environment"),
		Xref: v.Get("external_xref"), Q: v.Get("q")}
	filter := switchboard.ConnectionFilter{
		ConnectorID: f.Connector, Status: switchboard.Status(f.Status), Environment: f.Environment,
		ExternalXref: f.Xref, NameContains: f.Q,
		Before: v.Get("before"),
		Page:   switchboard.Page{Limit: listPageSize, After: v.Get("after")},
	}
	if filter.Before != "" {
		filter.After = ""
	}
	items, cursor, err := c.cfg.Service.ListConnections(q.ctx, q.ws.ID, filter)
	if err != nil {
		return err
	}
	d := listData{Filter: f, Filtered: f != listFilter{}}
	if d.Connectors, err = c.connectorOptions(q, f.Connector); err != nil {
		return err
	}
	for _, s := range allStatuses {
		d.Statuses = append(d.Statuses, option{Value: string(s), Label: q.l.T("status." + string(s)), Selected: string(s) == f.Status})
	}
	for _, it := range items {
		d.Rows = append(d.Rows, connRow{
			ID: it.ID, Name: it.Name, Connector: it.ConnectorID, Environment: it.Environment, Xref: it.ExternalXref,
			Status: it.Status, Health: healthOf(it.Health),
			LastHealthy: it.Health.LastHealthyAt, LastUnhealthy: it.Health.LastUnhealthyAt,
		})
	}
	// Paging: the service returns a cursor to go on in the direction asked.
	link := func(key, id string) string {
		u := url.Values{}
		for k, val := range map[string]string{"connector": f.Connector, "status": f.Status, "environment": f.Environment, "external_xref": f.Xref, "q": f.Q} {
			if val != "" {
				u.Set(k, val)
			}
		}
		u.Set(key, id)
		return q.base() + "/connections?" + u.Encode()
	}
	switch {
	case filter.Before != "":
		if cursor != "" {
			d.Prev = link("before", cursor)
		}
		if len(items) > 0 {
			d.Next = link("after", items[len(items)-1].ID)
		}
	default:
		if cursor != "" {
			d.Next = link("after", cursor)
		}
		if filter.After != "" && len(items) > 0 {
			d.Prev = link("before", items[0].ID)
		}
	}
	return c.page(q, http.StatusOK, "connections", q.l.T("connections.title"), "connections", d)
}

// kv is a config entry as the detail page shows it.
type kv struct {
	Key, Label, Value string
	Secret, Set       bool
}

type auditRow struct {
	At                   time.Time
	Actor, Action        string
	From, To, Details    string
	RequestID, IP        string
	StatusChange, System bool
}

type detailData struct {
	C              *switchboard.Connection
	ConnectorName  string
	Health         string
	Config         []kv
	Usages         []*switchboard.Usage
	Audit          []auditRow
	StatusHistory  []auditRow
	AuditForbidden bool
}

// loadConnection returns the connection of the path, its connector and the fields of its
// connector version; schemaErr reports a schema the form generator cannot read (the config
// then shows as stored).
func (c *Console) loadConnection(q *req) (conn *switchboard.Connection, def *switchboard.ConnectorDefinition, fields []*field, schemaErr bool, err error) {
	if conn, err = c.cfg.Service.GetConnection(q.ctx, q.ws.ID, q.r.PathValue("id")); err != nil {
		return nil, nil, nil, false, err
	}
	if def, err = c.cfg.Service.GetConnector(q.ctx, q.ws.ID, conn.ConnectorID); err != nil {
		return nil, nil, nil, false, err
	}
	for _, v := range def.Versions {
		if v.Version == conn.ConnectorVersion {
			var ferr error
			fields, ferr = schemaFields(v.Schema)
			schemaErr = ferr != nil
		}
	}
	return conn, def, fields, schemaErr, nil
}

func (c *Console) showConnection(q *req) error {
	conn, def, fields, _, err := c.loadConnection(q)
	if err != nil {
		return err
	}
	d := detailData{C: conn, ConnectorName: def.Connector.Name, Health: healthOf(conn.Health)}
	d.Config = configEntries(conn, fields)
	if d.Usages, err = c.cfg.Service.ListUsages(q.ctx, q.ws.ID, conn.ID); err != nil {
		return err
	}
	events, err := c.lastAudit(q, conn.ID, 50)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeForbidden:
		d.AuditForbidden = true // the audit log needs the admin role
	case err != nil:
		return err
	}
	for i := len(events) - 1; i >= 0; i-- { // newest first
		row := auditOf(events[i])
		d.Audit = append(d.Audit, row)
		if row.StatusChange {
			d.StatusHistory = append(d.StatusHistory, row)
		}
	}
	return c.page(q, http.StatusOK, "connection", conn.Name, "connections", d)
}

// configEntries lists a connection's config in its schema's order, then keys the schema
// does not name; secrets are masked as the API masks them.
func configEntries(conn *switchboard.Connection, fields []*field) []kv {
	var out []kv
	seen := map[string]bool{}
	add := func(key, label string, secret bool) {
		if seen[key] {
			return
		}
		seen[key] = true
		e := kv{Key: key, Label: label, Secret: secret}
		if s, ok := conn.Secrets[key]; ok {
			e.Secret, e.Set, e.Value = true, !s.IsZero(), s.Mask()
		} else if v, ok := conn.Config[key]; ok {
			e.Set, e.Value = true, enumString(v)
		}
		if !e.Set && !secret {
			return
		}
		out = append(out, e)
	}
	for _, f := range fields {
		add(f.Name, f.Label, f.Secret)
	}
	var rest []string
	for k := range conn.Config {
		rest = append(rest, k)
	}
	for k := range conn.Secrets {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range slices.Compact(rest) {
		add(k, k, false)
	}
	return out
}

// lastAudit returns the last n audit events about objectID, oldest first.
func (c *Console) lastAudit(q *req, objectID string, n int) ([]*switchboard.AuditEvent, error) {
	return lastN(n, func(after string) ([]*switchboard.AuditEvent, string, error) {
		return c.cfg.Service.ListAudit(q.ctx, q.ws.ID, switchboard.AuditFilter{ObjectID: objectID, Page: switchboard.Page{Limit: 1000, After: after}})
	})
}

// lastN returns the last n items of a list the service pages oldest first: it pages to the
// end (at most 20 pages) keeping only the last n.
func lastN[T any](n int, list func(after string) ([]T, string, error)) ([]T, error) {
	var out []T
	after := ""
	for range 20 {
		page, next, err := list(after)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(out) > n {
			out = out[len(out)-n:]
		}
		if next == "" {
			break
		}
		after = next
	}
	return out, nil
}

func auditOf(e *switchboard.AuditEvent) auditRow {
	row := auditRow{At: e.CreatedAt, Actor: e.Actor, Action: e.Action, RequestID: e.RequestID, IP: e.IP,
		System: e.Actor == switchboard.HealthActor}
	if from, ok := e.Details["status_from"].(string); ok {
		row.From = from
		row.To, _ = e.Details["status_to"].(string)
		row.StatusChange = from != row.To
	}
	if e.Action == "connection.create" {
		// The first status, which the history starts from.
		row.To, _ = e.Details["status"].(string)
		row.StatusChange = row.To != ""
	}
	if len(e.Details) > 0 {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // the template escapes; \u003c would only make it unreadable
		_ = enc.Encode(e.Details)
		row.Details = strings.TrimSpace(b.String())
	}
	return row
}

func (c *Console) detailPath(q *req, id string) string {
	return q.base() + "/connections/" + url.PathEscape(id)
}

// testConnection runs the health check now and shows the outcome.
func (c *Console) testConnection(q *req) error {
	id := q.r.PathValue("id")
	_, res, err := c.cfg.Service.TestConnection(q.ctx, q.ws.ID, id)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeForbidden, switchboard.ErrorCode(err) == switchboard.CodeNotFound:
		return err
	case err != nil:
		return q.redirect(c, c.detailPath(q, id), errorFlash(err))
	case res.Healthy:
		return q.redirect(c, c.detailPath(q, id), flashMsg{Kind: "ok", Key: "flash.test_passed"})
	}
	return q.redirect(c, c.detailPath(q, id), flashMsg{Kind: "error", Key: "flash.test_failed", Args: map[string]any{"Error": res.Error}})
}

func (c *Console) enableConnection(q *req) error  { return c.setEnabled(q, true) }
func (c *Console) disableConnection(q *req) error { return c.setEnabled(q, false) }

func (c *Console) setEnabled(q *req, on bool) error {
	id := q.r.PathValue("id")
	_, err := c.cfg.Service.UpdateConnection(q.ctx, q.ws.ID, id, switchboard.ConnectionPatch{Enabled: &on}, 0)
	if err != nil {
		if switchboard.ErrorCode(err) == switchboard.CodeForbidden || switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			return err
		}
		return q.redirect(c, c.detailPath(q, id), errorFlash(err))
	}
	key := "flash.disabled"
	if on {
		key = "flash.enabled"
	}
	return q.redirect(c, c.detailPath(q, id), flashMsg{Kind: "ok", Key: key})
}

type deleteData struct {
	C      *switchboard.Connection
	Usages []*switchboard.Usage
	Error  string
}

func (c *Console) deleteForm(q *req) error {
	if err := q.needEditor(); err != nil {
		return err
	}
	conn, err := c.cfg.Service.GetConnection(q.ctx, q.ws.ID, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	usages, err := c.cfg.Service.ListUsages(q.ctx, q.ws.ID, conn.ID)
	if err != nil {
		return err
	}
	return c.page(q, http.StatusOK, "delete", q.l.T("delete.title", "Name", conn.Name), "connections", deleteData{C: conn, Usages: usages})
}

func (c *Console) deleteConnection(q *req) error {
	id := q.r.PathValue("id")
	conn, err := c.cfg.Service.GetConnection(q.ctx, q.ws.ID, id)
	if err != nil {
		return err
	}
	force := q.r.PostForm.Get("force") != ""
	if err := c.cfg.Service.DeleteConnection(q.ctx, q.ws.ID, id, force); err != nil {
		if switchboard.ErrorCode(err) != switchboard.CodeConflict {
			return err
		}
		usages, _ := c.cfg.Service.ListUsages(q.ctx, q.ws.ID, id)
		return c.page(q, http.StatusConflict, "delete", q.l.T("delete.title", "Name", conn.Name), "connections",
			deleteData{C: conn, Usages: usages, Error: q.l.Err(switchboard.AsError(err))})
	}
	return q.redirect(c, q.base()+"/connections", flashMsg{Kind: "ok", Key: "flash.deleted", Args: map[string]any{"Name": conn.Name}})
}
