package unified

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

// connectionJSON is Unified.to's Connection object as Switchboard renders it. Optional
// fields are omitted when empty, as Unified.to does (its SDKs read absent, not null).
type connectionJSON struct {
	ID              string         `json:"id"`
	CreatedAt       string         `json:"created_at"`
	UpdatedAt       string         `json:"updated_at"`
	WorkspaceID     string         `json:"workspace_id"`
	IntegrationType string         `json:"integration_type"`
	IntegrationName string         `json:"integration_name,omitempty"`
	ExternalXref    string         `json:"external_xref,omitempty"`
	Permissions     []string       `json:"permissions"`
	Categories      []string       `json:"categories"`
	Auth            map[string]any `json:"auth,omitempty"`
	IsPaused        bool           `json:"is_paused"`
	// Unreadable is set (and auth absent) when the stored secrets do not decrypt.
	Unreadable          bool   `json:"unreadable,omitempty"`
	AuthAWSARN          string `json:"auth_aws_arn,omitempty"`
	Environment         string `json:"environment"`
	AuthAzureKeyvaultID string `json:"auth_azure_keyvault_id,omitempty"`
	AuthGCPSecretName   string `json:"auth_gcp_secret_name,omitempty"`
	AuthHashiVaultPath  string `json:"auth_hashi_vault_path,omitempty"`
	LastHealthyAt       string `json:"last_healthy_at,omitempty"`
	LastUnhealthyAt     string `json:"last_unhealthy_at,omitempty"`
	SecretsmanagerID    string `json:"secretsmanager_id,omitempty"`
	SecretsmanagerKey   string `json:"secretsmanager_key,omitempty"`
}

// vaultFields are the request fields that say where the auth object is kept instead of in
// Switchboard, with the external-reference provider each maps to. secretsmanager_key goes
// with secretsmanager_id.
var vaultFields = []struct{ field, provider string }{
	{"auth_aws_arn", "aws_secrets_manager"},
	{"auth_azure_keyvault_id", "azure_key_vault"},
	{"auth_gcp_secret_name", "gcp_secret_manager"},
	{"auth_hashi_vault_path", "hashicorp_vault"},
	{"secretsmanager_id", "secrets_manager"},
}

// readOnly are fields of the Connection object a client may send back (it read them) and
// that are ignored: Switchboard sets them.
var readOnly = []string{
	"id", "created_at", "updated_at", "workspace_id", "integration_name", "is_paused",
	"last_healthy_at", "last_unhealthy_at", "last_unhealthy_code",
}

// writable are the fields a client sets.
var writable = []string{
	"integration_type", "external_xref", "permissions", "categories", "auth", "environment",
	"auth_aws_arn", "auth_azure_keyvault_id", "auth_gcp_secret_name", "auth_hashi_vault_path",
	"secretsmanager_id", "secretsmanager_key",
}

// body is a decoded request body: the fields present, raw. A field that is present as null
// is present with the value "null".
type body map[string]json.RawMessage

// decodeBody reads a Connection object, refusing fields Unified.to's object does not have.
func decodeBody(w http.ResponseWriter, r *http.Request) (body, error) {
	var b body
	if err := httpx.DecodeJSON(w, r, &b, bodyLimit); err != nil {
		return nil, err
	}
	if b == nil { // the body was "null"
		return nil, switchboard.Errorf(switchboard.CodeInvalid, "body.type")
	}
	for k := range b {
		if !slices.Contains(writable, k) && !slices.Contains(readOnly, k) {
			return nil, switchboard.Invalid(k, "unknown")
		}
	}
	return b, nil
}

// has reports whether field is present and not null.
func (b body) has(field string) bool {
	raw, ok := b[field]
	return ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// present reports whether field is present, null included.
func (b body) present(field string) bool {
	_, ok := b[field]
	return ok
}

// get decodes field into dst when it is present and not null.
func (b body) get(field string, dst any) error {
	if !b.has(field) {
		return nil
	}
	if err := json.Unmarshal(b[field], dst); err != nil {
		return switchboard.Invalid(field, "type")
	}
	return nil
}

// str returns a string field ("" when absent or null).
func (b body) str(field string) (string, error) {
	var s string
	err := b.get(field, &s)
	return s, err
}

// strings returns a string-array field, nil when absent or null.
func (b body) strings(field string) ([]string, error) {
	var s []string
	if err := b.get(field, &s); err != nil {
		return nil, err
	}
	if b.has(field) && s == nil {
		s = []string{}
	}
	return s, nil
}

// auth returns the auth object, nil when absent or null.
func (b body) auth() (map[string]any, error) {
	var m map[string]any
	if err := b.get("auth", &m); err != nil {
		return nil, err
	}
	return m, nil
}
