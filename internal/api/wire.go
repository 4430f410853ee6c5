package api

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Wire types of the native API: snake_case, RFC 3339 UTC times, secrets masked except in the
// credentials response.

type workspaceJSON struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func workspaceOut(w *switchboard.Workspace) workspaceJSON {
	return workspaceJSON{ID: w.ID, TenantID: w.TenantID, Name: w.Name, CreatedAt: w.CreatedAt}
}

type apiKeyJSON struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Scopes      []string   `json:"scopes"`
	Prefix      string     `json:"prefix"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Key         string     `json:"key,omitempty"` // only in the create response
}

func apiKeyOut(k *switchboard.APIKey) apiKeyJSON {
	return apiKeyJSON{
		ID: k.ID, WorkspaceID: k.WorkspaceID, Name: k.Name, Role: string(k.Role),
		Scopes: nonNil(k.Scopes), Prefix: k.Prefix, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy,
		RevokedAt: k.RevokedAt,
	}
}

type connectorJSON struct {
	ID            string                 `json:"id"`
	Key           string                 `json:"key"`
	Name          string                 `json:"name"`
	Description   string                 `json:"description"`
	Categories    []string               `json:"categories"`
	BuiltIn       bool                   `json:"built_in"`
	LatestVersion string                 `json:"latest_version"`
	CreatedAt     *time.Time             `json:"created_at,omitempty"`
	Versions      []connectorVersionJSON `json:"versions,omitempty"`
}

type connectorVersionJSON struct {
	Version      string          `json:"version"`
	Schema       json.RawMessage `json:"schema"`
	SecretFields []string        `json:"secret_fields"`
	AuthSchemes  []string        `json:"auth_schemes"`
	Slots        []string        `json:"slots"`
	Permissions  []string        `json:"permissions"`
	HealthCheck  json.RawMessage `json:"health_check,omitempty"`
	OAuth2       json.RawMessage `json:"oauth2,omitempty"`
}

func connectorOut(c *switchboard.Connector) connectorJSON {
	out := connectorJSON{
		ID: c.ID, Key: c.Key, Name: c.Name, Description: c.Description,
		Categories: nonNil(c.Categories), BuiltIn: c.BuiltIn(), LatestVersion: c.LatestVersion,
	}
	if !c.CreatedAt.IsZero() {
		t := c.CreatedAt
		out.CreatedAt = &t
	}
	return out
}

func connectorDefOut(d *switchboard.ConnectorDefinition) connectorJSON {
	out := connectorOut(&d.Connector)
	for i := range d.Versions {
		out.Versions = append(out.Versions, versionOut(&d.Versions[i]))
	}
	return out
}

func versionOut(v *switchboard.ConnectorVersion) connectorVersionJSON {
	return connectorVersionJSON{
		Version: v.Version, Schema: v.Schema, SecretFields: switchboard.SecretFields(v.Schema),
		AuthSchemes: nonNil(v.AuthSchemes), Slots: nonNil(v.Slots), Permissions: nonNil(v.Permissions),
		HealthCheck: v.HealthCheck, OAuth2: v.OAuth2,
	}
}

type credentialJSON struct {
	ID          string                   `json:"id"`
	WorkspaceID string                   `json:"workspace_id"`
	Name        string                   `json:"name"`
	Type        string                   `json:"type"`
	Data        map[string]any           `json:"data"`
	ExternalRef *switchboard.ExternalRef `json:"external_ref,omitempty"`
	CreatedAt   time.Time                `json:"created_at"`
	UpdatedAt   time.Time                `json:"updated_at"`
	CreatedBy   string                   `json:"created_by"`
	UpdatedBy   string                   `json:"updated_by"`
	Revision    int64                    `json:"revision"`
	Unreadable  bool                     `json:"unreadable,omitempty"`
}

// credentialOut renders a credential; its values are masked unless reveal is set.
func credentialOut(c *switchboard.Credential, reveal bool) credentialJSON {
	data := make(map[string]any, len(c.Data))
	for k, v := range c.Data {
		if reveal {
			data[k] = v.Reveal()
		} else {
			data[k] = v.Mask()
		}
	}
	return credentialJSON{
		ID: c.ID, WorkspaceID: c.WorkspaceID, Name: c.Name, Type: string(c.Type), Data: data,
		ExternalRef: c.ExternalRef, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy, Revision: c.Revision, Unreadable: c.Unreadable,
	}
}

type healthJSON struct {
	LastHealthyAt   *time.Time `json:"last_healthy_at"`
	LastUnhealthyAt *time.Time `json:"last_unhealthy_at"`
	LastError       string     `json:"last_error"`
}

type connectionJSON struct {
	ID               string                     `json:"id"`
	WorkspaceID      string                     `json:"workspace_id"`
	ConnectorID      string                     `json:"connector_id"`
	ConnectorVersion string                     `json:"connector_version"`
	Name             string                     `json:"connection_name"`
	Description      string                     `json:"description"`
	Config           map[string]any             `json:"config"`
	SecretFields     []string                   `json:"secret_fields"`
	Variables        []switchboard.Variable     `json:"variables"`
	Credentials      switchboard.CredentialRefs `json:"credentials"`
	Status           string                     `json:"status"`
	Enabled          bool                       `json:"enabled"`
	Paused           bool                       `json:"paused"`
	Environment      string                     `json:"environment"`
	ExternalXref     string                     `json:"external_xref"`
	Tags             []string                   `json:"tags"`
	Permissions      []string                   `json:"permissions"`
	Categories       []string                   `json:"categories"`
	Health           healthJSON                 `json:"health"`
	Usages           int                        `json:"usages"`
	CanBeDeleted     bool                       `json:"can_be_deleted"`
	CreatedAt        time.Time                  `json:"created_at"`
	UpdatedAt        time.Time                  `json:"updated_at"`
	CreatedBy        string                     `json:"created_by"`
	UpdatedBy        string                     `json:"updated_by"`
	Revision         int64                      `json:"revision"`
	Unreadable       bool                       `json:"unreadable,omitempty"`
}

// connectionOut renders a connection with its secret fields masked.
func connectionOut(c *switchboard.Connection) connectionJSON {
	cfg := make(map[string]any, len(c.Config)+len(c.Secrets))
	for k, v := range c.Config {
		cfg[k] = v
	}
	secretFields := make([]string, 0, len(c.Secrets))
	for k, v := range c.Secrets {
		cfg[k] = v.Mask()
		secretFields = append(secretFields, k)
	}
	sortStrings(secretFields)
	return connectionJSON{
		ID: c.ID, WorkspaceID: c.WorkspaceID, ConnectorID: c.ConnectorID, ConnectorVersion: c.ConnectorVersion,
		Name: c.Name, Description: c.Description, Config: cfg, SecretFields: secretFields,
		Variables: nonNil(c.Variables),
		Credentials: switchboard.CredentialRefs{
			Action: nonNil(c.Credentials.Action), Trigger: nonNil(c.Credentials.Trigger),
		},
		Status: string(c.Status), Enabled: c.Enabled, Paused: c.Paused, Environment: c.Environment,
		ExternalXref: c.ExternalXref, Tags: nonNil(c.Tags),
		Permissions: nonNil(c.Permissions), Categories: nonNil(c.Categories),
		Health: healthJSON{
			LastHealthyAt: c.Health.LastHealthyAt, LastUnhealthyAt: c.Health.LastUnhealthyAt, LastError: c.Health.LastError,
		},
		Usages: c.UsageCount, CanBeDeleted: c.UsageCount == 0,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy,
		Revision: c.Revision, Unreadable: c.Unreadable,
	}
}

type connectionCredentialsJSON struct {
	ConnectionID string         `json:"connection_id"`
	ConnectorID  string         `json:"connector_id"`
	Config       map[string]any `json:"config"`
	Credentials  struct {
		Action  []credentialJSON `json:"action"`
		Trigger []credentialJSON `json:"trigger"`
	} `json:"credentials"`
	OAuth2 *oauthTokenJSON `json:"oauth2,omitempty"`
}

// oauthTokenJSON is a connection's OAuth2 access token, fresh; the refresh token never
// leaves Switchboard.
type oauthTokenJSON struct {
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	GrantType   string     `json:"grant_type"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Scopes      []string   `json:"scopes"`
}

func connectionCredentialsOut(cc *switchboard.ConnectionCredentials) connectionCredentialsJSON {
	c := cc.Connection
	out := connectionCredentialsJSON{ConnectionID: c.ID, ConnectorID: c.ConnectorID, Config: map[string]any{}}
	for k, v := range c.Config {
		out.Config[k] = v
	}
	for k, v := range c.Secrets {
		out.Config[k] = v.Reveal()
	}
	out.Credentials.Action = []credentialJSON{}
	out.Credentials.Trigger = []credentialJSON{}
	for _, cr := range cc.Action {
		out.Credentials.Action = append(out.Credentials.Action, credentialOut(cr, true))
	}
	for _, cr := range cc.Trigger {
		out.Credentials.Trigger = append(out.Credentials.Trigger, credentialOut(cr, true))
	}
	if t := cc.OAuth2; t != nil {
		out.OAuth2 = &oauthTokenJSON{AccessToken: t.Secrets["access_token"].Reveal(), TokenType: t.Secrets["token_type"].Reveal(),
			GrantType: t.GrantType, ExpiresAt: t.ExpiresAt, Scopes: nonNil(t.Scopes)}
		if out.OAuth2.TokenType == "" {
			out.OAuth2.TokenType = "Bearer"
		}
	}
	return out
}

type usageJSON struct {
	ID           string    `json:"id"`
	ConnectionID string    `json:"connection_id"`
	Consumer     string    `json:"consumer"`
	CreatedAt    time.Time `json:"created_at"`
}

func usageOut(u *switchboard.Usage) usageJSON {
	return usageJSON{ID: u.ID, ConnectionID: u.ConnectionID, Consumer: u.Consumer, CreatedAt: u.CreatedAt}
}

type auditJSON struct {
	ID          string         `json:"id"`
	WorkspaceID string         `json:"workspace_id"`
	Actor       string         `json:"actor"`
	Action      string         `json:"action"`
	ObjectType  string         `json:"object_type"`
	ObjectID    string         `json:"object_id"`
	RequestID   string         `json:"request_id"`
	IP          string         `json:"ip"`
	ClientHash  string         `json:"client_hash,omitempty"`
	Details     map[string]any `json:"details"`
	CreatedAt   time.Time      `json:"created_at"`
}

func auditOut(e *switchboard.AuditEvent) auditJSON {
	d := e.Details
	if d == nil {
		d = map[string]any{}
	}
	return auditJSON{
		ID: e.ID, WorkspaceID: e.WorkspaceID, Actor: e.Actor, Action: e.Action, ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, RequestID: e.RequestID, IP: e.IP, ClientHash: e.ClientHash, Details: d,
		CreatedAt: e.CreatedAt,
	}
}

// listJSON is the envelope of every list: the page and the token of the next one.
type listJSON[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sortStrings(s []string) { sort.Strings(s) }
