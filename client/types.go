package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The objects of the API, field for field as internal/api/wire.go renders them.

// Workspace is a workspace: the unit connections, keys and audit events belong to.
type Workspace struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Connector is a catalog entry, built-in or defined in a workspace. Versions is set only by
// GetConnector.
type Connector struct {
	ID            string             `json:"id"`
	Key           string             `json:"key"`
	Name          string             `json:"name"`
	Description   string             `json:"description"`
	Categories    []string           `json:"categories"`
	BuiltIn       bool               `json:"built_in"`
	LatestVersion string             `json:"latest_version"`
	CreatedAt     *time.Time         `json:"created_at,omitempty"`
	Versions      []ConnectorVersion `json:"versions,omitempty"`
}

// Version returns the version v of the connector ("" for the latest), or nil.
func (c *Connector) Version(v string) *ConnectorVersion {
	if v == "" {
		v = c.LatestVersion
	}
	for i := range c.Versions {
		if c.Versions[i].Version == v {
			return &c.Versions[i]
		}
	}
	return nil
}

// ConnectorVersion is one version of a connector: the JSON Schema of a connection's config
// and the config fields that are secret.
type ConnectorVersion struct {
	Version      string          `json:"version"`
	Schema       json.RawMessage `json:"schema"`
	SecretFields []string        `json:"secret_fields"`
	AuthSchemes  []string        `json:"auth_schemes"`
	Slots        []string        `json:"slots"`
	Permissions  []string        `json:"permissions"`
	HealthCheck  json.RawMessage `json:"health_check,omitempty"`
	OAuth2       json.RawMessage `json:"oauth2,omitempty"`
}

// Variable is a named non-secret value of a connection.
type Variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CredentialRefs lists the credentials a connection uses, by id, per slot.
type CredentialRefs struct {
	Action  []string `json:"action"`
	Trigger []string `json:"trigger"`
}

// Health is what the health checks last saw of a connection.
type Health struct {
	LastHealthyAt   *time.Time `json:"last_healthy_at"`
	LastUnhealthyAt *time.Time `json:"last_unhealthy_at"`
	LastError       string     `json:"last_error"`
}

// Connection is a connection with its secret config fields masked ("****" + the last 4
// characters). Revision goes in UpdateConnection's ifRevision.
type Connection struct {
	ID               string         `json:"id"`
	WorkspaceID      string         `json:"workspace_id"`
	ConnectorID      string         `json:"connector_id"`
	ConnectorVersion string         `json:"connector_version"`
	Name             string         `json:"connection_name"`
	Description      string         `json:"description"`
	Config           map[string]any `json:"config"`
	SecretFields     []string       `json:"secret_fields"`
	Variables        []Variable     `json:"variables"`
	Credentials      CredentialRefs `json:"credentials"`
	Status           string         `json:"status"`
	Enabled          bool           `json:"enabled"`
	Paused           bool           `json:"paused"`
	Environment      string         `json:"environment"`
	ExternalXref     string         `json:"external_xref"`
	Tags             []string       `json:"tags"`
	Permissions      []string       `json:"permissions"`
	Categories       []string       `json:"categories"`
	Health           Health         `json:"health"`
	Usages           int            `json:"usages"`
	CanBeDeleted     bool           `json:"can_be_deleted"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	CreatedBy        string         `json:"created_by"`
	UpdatedBy        string         `json:"updated_by"`
	Revision         int64          `json:"revision"`
	Unreadable       bool           `json:"unreadable,omitempty"`
}

// ConnectionCreate is the body of CreateConnection. Config holds every field of the
// connector version's schema, secret ones included. IdempotencyKey, when set, is sent as the
// Idempotency-Key header: a retry with the same key answers the first create.
type ConnectionCreate struct {
	ConnectorID      string          `json:"connector_id"`
	ConnectorVersion string          `json:"connector_version,omitempty"`
	Name             string          `json:"connection_name"`
	Description      string          `json:"description,omitempty"`
	Config           map[string]any  `json:"config,omitempty"`
	Variables        []Variable      `json:"variables,omitempty"`
	Credentials      *CredentialRefs `json:"credentials,omitempty"`
	Enabled          *bool           `json:"enabled,omitempty"`
	Paused           bool            `json:"paused,omitempty"`
	Environment      string          `json:"environment,omitempty"`
	ExternalXref     string          `json:"external_xref,omitempty"`
	Tags             []string        `json:"tags,omitempty"`
	Permissions      []string        `json:"permissions,omitempty"`
	Categories       []string        `json:"categories,omitempty"`
	IdempotencyKey   string          `json:"-"`
}

// ConnectionPatch changes a connection (a JSON merge patch): nil fields are left alone.
// Config is merged into the stored config: a key with a nil value is removed, others are
// set; a secret field sent back with the mask it was read with is left unchanged.
// ClearConfig empties the whole config ("config": null) and wins over Config. A pointer to
// an empty slice clears a list.
type ConnectionPatch struct {
	Name             *string
	Description      *string
	ConnectorVersion *string
	Config           map[string]any
	ClearConfig      bool
	Variables        *[]Variable
	Credentials      *CredentialRefs
	Enabled          *bool
	Paused           *bool
	Environment      *string
	ExternalXref     *string
	Tags             *[]string
	Permissions      *[]string
	Categories       *[]string
}

// MarshalJSON renders the patch as the merge-patch body the API reads.
func (p ConnectionPatch) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	set := func(name string, present bool, v any) {
		if present {
			m[name] = v
		}
	}
	set("connection_name", p.Name != nil, p.Name)
	set("description", p.Description != nil, p.Description)
	set("connector_version", p.ConnectorVersion != nil, p.ConnectorVersion)
	set("variables", p.Variables != nil, p.Variables)
	set("credentials", p.Credentials != nil, p.Credentials)
	set("enabled", p.Enabled != nil, p.Enabled)
	set("paused", p.Paused != nil, p.Paused)
	set("environment", p.Environment != nil, p.Environment)
	set("external_xref", p.ExternalXref != nil, p.ExternalXref)
	set("tags", p.Tags != nil, p.Tags)
	set("permissions", p.Permissions != nil, p.Permissions)
	set("categories", p.Categories != nil, p.Categories)
	switch {
	case p.ClearConfig:
		m["config"] = nil
	case p.Config != nil:
		m["config"] = p.Config
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a merge-patch body (the JSON MarshalJSON writes) into the patch:
// "config": null sets ClearConfig; null for another field gives its zero value, which the
// API takes as clearing it. A field the API does not know is an error.
func (p *ConnectionPatch) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = ConnectionPatch{}
	for k, raw := range m {
		var dst any
		switch k {
		case "connection_name":
			p.Name = new(string)
			dst = p.Name
		case "description":
			p.Description = new(string)
			dst = p.Description
		case "connector_version":
			p.ConnectorVersion = new(string)
			dst = p.ConnectorVersion
		case "environment":
			p.Environment = new(string)
			dst = p.Environment
		case "external_xref":
			p.ExternalXref = new(string)
			dst = p.ExternalXref
		case "enabled":
			p.Enabled = new(bool)
			dst = p.Enabled
		case "paused":
			p.Paused = new(bool)
			dst = p.Paused
		case "variables":
			p.Variables = &[]Variable{}
			dst = p.Variables
		case "credentials":
			p.Credentials = &CredentialRefs{}
			dst = p.Credentials
		case "tags":
			p.Tags = &[]string{}
			dst = p.Tags
		case "permissions":
			p.Permissions = &[]string{}
			dst = p.Permissions
		case "categories":
			p.Categories = &[]string{}
			dst = p.Categories
		case "config":
			if string(bytes.TrimSpace(raw)) == "null" {
				p.ClearConfig = true
				continue
			}
			dst = &p.Config
		default:
			return fmt.Errorf("unknown field %q", k)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return fmt.Errorf("field %q: %w", k, err)
		}
	}
	return nil
}

// ConnectionFilter narrows and pages ListConnections. Empty fields do not filter.
type ConnectionFilter struct {
	ConnectorID  string // a connector key or id
	Status       string // PENDING, CONFIGURING, ACTIVE, FAILED, SUSPENDED, CLOSED, DISABLED, PAUSED
	Environment  string
	ExternalXref string
	Tag          string
	ListOptions
}

// HealthResult is the outcome of one health check.
type HealthResult struct {
	Healthy   bool      `json:"healthy"`
	Error     string    `json:"error"`
	CheckedAt time.Time `json:"checked_at"`
}

// ConnectionTest is the answer of TestConnection: the check's result and the connection as
// stored after it.
type ConnectionTest struct {
	Connection Connection   `json:"connection"`
	Result     HealthResult `json:"result"`
}

// ExternalRef points at a secret kept in an external secret manager.
type ExternalRef struct {
	Provider string `json:"provider"`
	Ref      string `json:"ref"`
}

// Credential is a reusable secret. Data is masked, except in ConnectionCredentials.
type Credential struct {
	ID          string         `json:"id"`
	WorkspaceID string         `json:"workspace_id"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Data        map[string]any `json:"data"`
	ExternalRef *ExternalRef   `json:"external_ref,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	CreatedBy   string         `json:"created_by"`
	UpdatedBy   string         `json:"updated_by"`
	Revision    int64          `json:"revision"`
}

// OAuthToken is a connection's OAuth2 access token, fresh.
type OAuthToken struct {
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	GrantType   string     `json:"grant_type"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Scopes      []string   `json:"scopes"`
}

// ConnectionCredentials is a connection's config and credentials in clear: the answer of
// GetConnectionCredentials, for a principal with the scope credentials:read.
type ConnectionCredentials struct {
	ConnectionID string         `json:"connection_id"`
	ConnectorID  string         `json:"connector_id"`
	Config       map[string]any `json:"config"`
	Credentials  struct {
		Action  []Credential `json:"action"`
		Trigger []Credential `json:"trigger"`
	} `json:"credentials"`
	OAuth2 *OAuthToken `json:"oauth2,omitempty"`
}

// Usage records that a consumer uses a connection; a connection in use is deleted only
// with force.
type Usage struct {
	ID           string    `json:"id"`
	ConnectionID string    `json:"connection_id"`
	Consumer     string    `json:"consumer"`
	CreatedAt    time.Time `json:"created_at"`
}

// AuditEvent is who did what to which object, when, from where. Details never hold a
// secret value.
type AuditEvent struct {
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

// AuditFilter narrows and pages ListAudit. Events come oldest first.
type AuditFilter struct {
	ObjectID string
	Action   string // e.g. connection.create
	ListOptions
}

// APIKey is an API key. Key, the key itself, is set only in CreateAPIKey's answer.
type APIKey struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Scopes      []string   `json:"scopes"`
	Prefix      string     `json:"prefix"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Key         string     `json:"key,omitempty"`
}

// APIKeyCreate is the body of CreateAPIKey. Role is owner, admin, editor or viewer (at
// most the caller's own); Scopes may hold credentials:read when the caller holds it.
type APIKeyCreate struct {
	Name   string   `json:"name,omitempty"`
	Role   string   `json:"role"`
	Scopes []string `json:"scopes,omitempty"`
}

// WebhookEndpoint is where a workspace's connection events are delivered. Secret, the
// signing secret, is set only in the answers of create and rotate-secret.
type WebhookEndpoint struct {
	ID                      string     `json:"id"`
	WorkspaceID             string     `json:"workspace_id"`
	URL                     string     `json:"url"`
	Events                  []string   `json:"events"`
	Enabled                 bool       `json:"enabled"`
	Secret                  string     `json:"secret,omitempty"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               time.Time  `json:"created_at"`
	CreatedBy               string     `json:"created_by"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// WebhookEndpointCreate is the body of CreateWebhookEndpoint; Events defaults to every
// event type, Enabled to true.
type WebhookEndpointCreate struct {
	URL     string   `json:"url"`
	Events  []string `json:"events,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
}

// WebhookEndpointPatch changes an endpoint; nil fields are left alone.
type WebhookEndpointPatch struct {
	URL     *string  `json:"url,omitempty"`
	Events  []string `json:"events,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
}

// WebhookAttempt is one delivery attempt.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

// WebhookDelivery is one event for one endpoint with its attempts. Status is pending,
// delivered or failed.
type WebhookDelivery struct {
	ID             string           `json:"id"`
	EndpointID     string           `json:"endpoint_id"`
	EventType      string           `json:"event_type"`
	Status         string           `json:"status"`
	Attempts       int              `json:"attempts"`
	NextAttemptAt  *time.Time       `json:"next_attempt_at,omitempty"`
	LastStatusCode int              `json:"last_status_code,omitempty"`
	LastError      string           `json:"last_error,omitempty"`
	AttemptLog     []WebhookAttempt `json:"attempt_log"`
	CreatedAt      time.Time        `json:"created_at"`
	DeliveredAt    *time.Time       `json:"delivered_at,omitempty"`
}
