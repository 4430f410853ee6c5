package switchboard

import "time"

// Tenant is the top of the tree: a customer of the platform (Slash tenantBizId, SecMaster
// project_id).
type Tenant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Workspace belongs to a tenant and holds connectors, credentials and connections. Every
// store query is scoped by workspace.
type Workspace struct {
	ID        string
	TenantID  string
	Name      string
	CreatedAt time.Time
}

// DefaultID is the id of the tenant and workspace created on first start.
const DefaultID = "default"
