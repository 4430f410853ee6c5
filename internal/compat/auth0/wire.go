package auth0

// Auth0 wire types: snake_case as the Management API v2 writes them.

// organizationIn is the body of POST /api/v2/organizations.
type organizationIn struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

// organizationJSON is an organization as Auth0 returns it.
type organizationJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
}

// connectionIn is the body of POST .../connections (CreateOrganizationAllConnectionRequestParameters).
type connectionIn struct {
	ConnectionID               string  `json:"connection_id"`
	OrganizationConnectionName *string `json:"organization_connection_name"`
	AssignMembershipOnLogin    *bool   `json:"assign_membership_on_login"`
	ShowAsButton               *bool   `json:"show_as_button"`
	IsSignupEnabled            *bool   `json:"is_signup_enabled"`
	OrganizationAccessLevel    *string `json:"organization_access_level"`
	IsEnabled                  *bool   `json:"is_enabled"`
}

// patchFields are the fields a PATCH may name: those of a create but connection_id.
var patchFields = []string{
	"organization_connection_name", "assign_membership_on_login", "show_as_button",
	"is_signup_enabled", "organization_access_level", "is_enabled",
}

// connectionRef is the tenant connection an organization connection enables.
type connectionRef struct {
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
}

// connectionJSON is an organization connection as Auth0 returns it.
type connectionJSON struct {
	ConnectionID               string        `json:"connection_id"`
	OrganizationConnectionName string        `json:"organization_connection_name,omitempty"`
	AssignMembershipOnLogin    bool          `json:"assign_membership_on_login"`
	ShowAsButton               bool          `json:"show_as_button"`
	IsSignupEnabled            bool          `json:"is_signup_enabled"`
	OrganizationAccessLevel    string        `json:"organization_access_level"`
	IsEnabled                  bool          `json:"is_enabled"`
	Connection                 connectionRef `json:"connection"`
}

// errorJSON is Auth0's error body.
type errorJSON struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}
