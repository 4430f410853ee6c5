package storetest

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// PlanCall is one store call whose queries a driver's plan test records, then explains.
type PlanCall struct {
	Name string
	Run  func() error
}

// PlanSetup creates what PlanCalls needs in s: tenant "tn_1", workspace ws and its connector
// "ctr_1" (ListConnectorVersions reads the versions only of a connector that exists).
func PlanSetup(ctx context.Context, s sb.Store, ws string, at time.Time) error {
	if err := s.CreateTenant(ctx, &sb.Tenant{ID: "tn_1", Name: "T", CreatedAt: at}); err != nil {
		return err
	}
	if err := s.CreateWorkspace(ctx, &sb.Workspace{ID: ws, TenantID: "tn_1", Name: "W", CreatedAt: at}, nil); err != nil {
		return err
	}
	return s.CreateConnector(ctx, &sb.Connector{ID: "ctr_1", WorkspaceID: ws, Key: "api", Name: "API", LatestVersion: "1", CreatedAt: at},
		&sb.ConnectorVersion{ConnectorID: "ctr_1", WorkspaceID: ws, Version: "1", Schema: []byte(`{}`), CreatedAt: at}, nil)
}

// PlanCalls returns every list, count and hot lookup of s, in workspace ws (made by
// PlanSetup): each filter, order and paging form of ConnectionFilter and the combinations the
// native API and the compat families send, the other lists and the lookups every request
// makes. Connection times asked for lie around at. filters maps the name of each call that
// counts connections by a single filter to that filter's name ("connector", "status", ...,
// "name" and "description" included): the driver's test checks the count's plan reads the
// filter's own index.
func PlanCalls(ctx context.Context, s sb.Store, ws string, at time.Time) (calls []PlanCall, filters map[string]string) {
	early := at.Add(-1000 * time.Hour)
	page := sb.Page{Limit: 10, After: "conn_0"}
	yes, no := true, false
	add := func(name string, run func() error) { calls = append(calls, PlanCall{name, run}) }
	ignoreNotFound := func(err error) error {
		if sb.ErrorCode(err) == sb.CodeNotFound {
			return nil
		}
		return err
	}
	connections := func(f sb.ConnectionFilter) func() error {
		return func() error { _, err := s.ListConnections(ctx, ws, f); return err }
	}
	countConnections := func(f sb.ConnectionFilter) func() error {
		return func() error { _, err := s.CountConnections(ctx, ws, f); return err }
	}

	// Each filter of ConnectionFilter alone, listed and counted. A count has no order to
	// keep, so it reads the filter's index whenever there is one.
	filters = map[string]string{}
	for name, f := range map[string]sb.ConnectionFilter{
		"none":          {},
		"connector":     {ConnectorID: "kafka"},
		"status":        {Status: sb.StatusActive},
		"environment":   {Environment: "production"},
		"external_xref": {ExternalXref: "customer-42"},
		"tag":           {Tag: "billing"},
		"category":      {Category: "crm"},
		"created_by":    {CreatedBy: "user_1"},
		"name":          {NameContains: "ord"},
		"description":   {DescriptionContains: "x"},
		"created_from":  {CreatedFrom: at},
		"created_to":    {CreatedTo: early},
		"updated_from":  {UpdatedFrom: at},
	} {
		list := f
		list.Page = page
		add("ListConnections/"+name, connections(list))
		add("CountConnections/"+name, countConnections(f))
		filters["CountConnections/"+name] = name
	}
	// Orders, cursors and offsets, and what the native API and the families combine.
	for name, f := range map[string]sb.ConnectionFilter{
		"first page":                   {Page: sb.Page{Limit: 10}},
		"before":                       {Before: "conn_9", Page: sb.Page{Limit: 10}},
		"desc offset":                  {Desc: true, Offset: 20, Page: sb.Page{Limit: 10}},
		"updated_at":                   {Sort: "updated_at", Page: sb.Page{Limit: 10}},
		"updated_at desc offset":       {Sort: "updated_at", Desc: true, Offset: 5, Page: sb.Page{Limit: 10}},
		"name order":                   {Sort: "name", Page: sb.Page{Limit: 10}},
		"name order desc":              {Sort: "name", Desc: true, Page: sb.Page{Limit: 10}},
		"native all filters":           {ConnectorID: "kafka", Status: sb.StatusActive, Environment: "production", ExternalXref: "x", Tag: "eu", Page: page},
		"slash page":                   {ConnectorID: "slash", Page: sb.Page{Limit: 1000, After: "conn_0"}},
		"versori before":               {ConnectorID: "ctr_1", Before: "conn_9", Page: sb.Page{Limit: 10}},
		"unified updated_gte":          {UpdatedFrom: at, Offset: 10, Page: sb.Page{Limit: 100}},
		"unified updated_gte by time":  {UpdatedFrom: at, Sort: "updated_at", Desc: true, Page: sb.Page{Limit: 100}},
		"unified category env xref":    {Category: "crm", Environment: "Production", ExternalXref: "x", Offset: 10, Page: sb.Page{Limit: 100}},
		"unified category by name":     {Category: "crm", Sort: "name", Desc: true, Page: sb.Page{Limit: 100}},
		"secmaster name":               {NameContains: "ord", Offset: 10, Page: sb.Page{Limit: 100}},
		"secmaster all filters":        {ConnectorID: "kafka", NameContains: "o", DescriptionContains: "x", CreatedBy: "user_1", CreatedFrom: at, CreatedTo: at.Add(time.Hour), UpdatedFrom: at, Page: sb.Page{Limit: 100}},
		"secmaster component and time": {ConnectorID: "kafka", CreatedFrom: at, Offset: 10, Page: sb.Page{Limit: 100}},
	} {
		add("ListConnections/"+name, connections(f))
	}
	for name, f := range map[string]sb.ConnectionFilter{
		"native all filters":    {ConnectorID: "kafka", Status: sb.StatusActive, Environment: "production", ExternalXref: "x", Tag: "eu"},
		"secmaster all filters": {ConnectorID: "kafka", NameContains: "o", DescriptionContains: "x", CreatedBy: "user_1", CreatedFrom: at, CreatedTo: at.Add(time.Hour), UpdatedFrom: at},
		"secmaster name":        {NameContains: "ord", DescriptionContains: "x"},
	} {
		add("CountConnections/"+name, countConnections(f))
	}
	for name, f := range map[string]sb.OrganizationConnectionFilter{
		"all":          {},
		"enabled page": {IsEnabled: &yes, Offset: 20, Limit: 10},
		"disabled":     {IsEnabled: &no, Limit: 10},
	} {
		add("ListOrganizationConnections/"+name, func() error {
			_, _, err := s.ListOrganizationConnections(ctx, ws, "org_1", f)
			return err
		})
	}
	for name, f := range map[string]sb.AuditFilter{
		"all":    {Page: page},
		"object": {ObjectID: "conn_1", Page: page},
		"action": {Action: "connection.create", Page: page},
		"both":   {ObjectID: "conn_1", Action: "connection.create", Page: page},
	} {
		add("ListAudit/"+name, func() error { _, err := s.ListAudit(ctx, ws, f); return err })
	}
	add("ListCredentials", func() error { _, err := s.ListCredentials(ctx, ws, page); return err })
	add("CountCredentialUses", func() error { _, err := s.CountCredentialUses(ctx, ws, "cred_1"); return err })
	add("ListUsages", func() error { _, err := s.ListUsages(ctx, ws, "conn_1"); return err })
	add("ListWebhookEndpoints", func() error { _, err := s.ListWebhookEndpoints(ctx, ws, page); return err })
	add("ListWebhookDeliveries", func() error { _, err := s.ListWebhookDeliveries(ctx, ws, "whe_1", page); return err })
	add("ListOrganizations", func() error { _, err := s.ListOrganizations(ctx, ws, page); return err })
	add("ListConnectors", func() error { _, err := s.ListConnectors(ctx, ws, page); return err })
	add("ListConnectorVersions", func() error { _, err := s.ListConnectorVersions(ctx, ws, "ctr_1"); return err })
	add("ListWorkspaces", func() error { _, err := s.ListWorkspaces(ctx, "tn_1", page); return err })
	add("ListAPIKeys/workspace", func() error { _, err := s.ListAPIKeys(ctx, "tn_1", ws, page); return err })
	add("ListAPIKeys/tenant", func() error { _, err := s.ListAPIKeys(ctx, "tn_1", sb.AllWorkspaces, page); return err })
	add("ListAccessKeys", func() error { _, err := s.ListAccessKeys(ctx, "tn_1", ws, page); return err })
	add("GetConnection", func() error { _, err := s.GetConnection(ctx, ws, "conn_1"); return ignoreNotFound(err) })
	add("GetConnectionByIdempotencyKey", func() error {
		_, err := s.GetConnectionByIdempotencyKey(ctx, ws, "key")
		return ignoreNotFound(err)
	})
	add("GetAPIKeyByHash", func() error { _, err := s.GetAPIKeyByHash(ctx, []byte{1}); return ignoreNotFound(err) })

	return calls, filters
}
