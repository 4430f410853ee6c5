package switchboard

import "time"

// Organization is an end-customer organization of a workspace (Auth0's organizations).
type Organization struct {
	ID          string // "org_..."
	WorkspaceID string
	Name        string // 1-50 characters, unique in the workspace
	DisplayName string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Organization access levels of an OrganizationConnection.
const (
	AccessNone     = "none"
	AccessReadonly = "readonly"
	AccessLimited  = "limited"
	AccessFull     = "full"
)

// OrganizationConnection enables a connection for an organization, with how members use it.
type OrganizationConnection struct {
	WorkspaceID             string
	OrganizationID          string
	ConnectionID            string
	Name                    string // organization_connection_name: "" or 1-50 characters
	AssignMembershipOnLogin bool
	ShowAsButton            bool
	IsSignupEnabled         bool
	AccessLevel             string // none | readonly | limited | full
	IsEnabled               bool
	CreatedAt               time.Time
	UpdatedAt               time.Time
}
