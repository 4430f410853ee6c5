package unified

import (
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// unifiedProduction is Unified.to's default environment; the core's is "production".
const unifiedProduction = "Production"

// envIn translates a Unified.to environment into the core's: "Production" (any case) is the
// core's default environment, anything else is kept as given.
func envIn(env string) string {
	if strings.EqualFold(env, unifiedProduction) {
		return switchboard.DefaultEnvironment
	}
	return env
}

// envOut translates the core's environment back: its default is Unified.to's "Production".
func envOut(env string) string {
	if env == "" || env == switchboard.DefaultEnvironment {
		return unifiedProduction
	}
	return env
}

// timeFormat is Unified.to's date format, ISO-8601 in UTC to the second.
const timeFormat = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func formatTimePtr(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return formatTime(*t)
}

// parseTime reads an ISO-8601 date of a query (updated_gte): a full RFC 3339 time, one
// without a zone (UTC), or a date.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// vaultRef is where a connection's auth object is kept outside Switchboard: one wire field
// (or the secretsmanager_id/key pair) and its value.
type vaultRef struct {
	field string // "auth_aws_arn", ..., "secretsmanager_id"
	value string
	key   string // secretsmanager_key
}

// externalRef is the core reference for v.
func (v vaultRef) externalRef() *switchboard.ExternalRef {
	for _, f := range vaultFields {
		if f.field == v.field {
			ref := v.value
			if v.key != "" {
				ref += "#" + v.key
			}
			return &switchboard.ExternalRef{Provider: f.provider, Ref: ref}
		}
	}
	return nil
}

// vaultRefOf is the wire form of a core reference (ok false for a provider Unified.to does
// not name).
func vaultRefOf(ref *switchboard.ExternalRef) (vaultRef, bool) {
	if ref == nil {
		return vaultRef{}, false
	}
	for _, f := range vaultFields {
		if f.provider == ref.Provider {
			v := vaultRef{field: f.field, value: ref.Ref}
			if f.provider == "secrets_manager" {
				v.value, v.key, _ = strings.Cut(ref.Ref, "#")
			}
			return v, true
		}
	}
	return vaultRef{}, false
}

// view is what a connection renders with besides itself: its connector's key and name, and
// the vault reference of its action credentials, if any.
type view struct {
	key, name string
	vault     *vaultRef
}

// connectionOut renders c. Secret auth fields are masked ("****" and at most the last 4
// characters), never in clear.
func connectionOut(c *switchboard.Connection, v view) connectionJSON {
	out := connectionJSON{
		ID: c.ID, CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt),
		WorkspaceID: c.WorkspaceID, IntegrationType: v.key, IntegrationName: v.name,
		ExternalXref: c.ExternalXref, Permissions: nonNil(c.Permissions), Categories: nonNil(c.Categories),
		IsPaused: c.Paused, Environment: envOut(c.Environment), Unreadable: c.Unreadable,
		LastHealthyAt: formatTimePtr(c.Health.LastHealthyAt), LastUnhealthyAt: formatTimePtr(c.Health.LastUnhealthyAt),
	}
	if !c.Unreadable && len(c.Config)+len(c.Secrets) > 0 {
		out.Auth = make(map[string]any, len(c.Config)+len(c.Secrets))
		for k, val := range c.Config {
			out.Auth[k] = val
		}
		for k, s := range c.Secrets {
			out.Auth[k] = s.Mask()
		}
	}
	if v.vault != nil {
		switch v.vault.field {
		case "auth_aws_arn":
			out.AuthAWSARN = v.vault.value
		case "auth_azure_keyvault_id":
			out.AuthAzureKeyvaultID = v.vault.value
		case "auth_gcp_secret_name":
			out.AuthGCPSecretName = v.vault.value
		case "auth_hashi_vault_path":
			out.AuthHashiVaultPath = v.vault.value
		case "secretsmanager_id":
			out.SecretsmanagerID, out.SecretsmanagerKey = v.vault.value, v.vault.key
		}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
