package switchboard

import (
	"encoding/json"
	"time"
)

// Connector is a catalog entry: built in (WorkspaceID "") or defined by a workspace. Its
// versions carry the configuration schema.
type Connector struct {
	ID            string // built-in: the key; workspace-defined: "ctr_..."
	WorkspaceID   string // "" for built-in connectors
	Key           string // unique within the workspace plus the built-ins: "slash", "kafka"
	Name          string
	Description   string
	Categories    []string
	LatestVersion string
	CreatedAt     time.Time
	CreatedBy     string
}

// BuiltIn reports whether the connector comes from the embedded catalog.
func (c *Connector) BuiltIn() bool { return c.WorkspaceID == "" }

// ConnectorVersion is one version of a connector: its config schema (JSON Schema draft
// 2020-12; a top-level property with "writeOnly": true is secret), auth schemes, credential
// slots, categories, permissions and health-check spec.
type ConnectorVersion struct {
	ConnectorID string
	WorkspaceID string // "" for built-in connectors
	Version     string
	Schema      json.RawMessage
	AuthSchemes []string        // api_key, basic, bearer, oauth2, custom
	Slots       []string        // credential slots: "action", "trigger"
	Permissions []string        // e.g. OAuth scopes a connection may be granted
	HealthCheck json.RawMessage // opaque for now; interpreted by the health checker
	OAuth2      json.RawMessage // authorize/token URLs and scopes, for OAuth2 connectors
	CreatedAt   time.Time
}

// ConnectorDefinition is a connector with all its versions, as the built-in catalog gives it.
type ConnectorDefinition struct {
	Connector Connector
	Versions  []ConnectorVersion // oldest first; the last is Connector.LatestVersion
}
