package slash

import (
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Config keys of the "slash" connector; the three secret ones are writeOnly in its schema.
const (
	fieldPartnerEndpoint    = "partnerEndpoint"
	fieldSlashAPIBaseURL    = "slashApiBaseUrl"
	fieldSlashAPIKey        = "slashApiKey"
	fieldSlashAccountID     = "slashAccountId"
	fieldSlashWebhookSecret = "slashWebhookSecret"
)

// Slash status codes. The core has more statuses than Slash; statusOf maps them.
const (
	codePending     = 20010201
	codeConfiguring = 20010202
	codeActive      = 20010203
	codeSuspended   = 20010204
	codeClosed      = 20010205
)

// statusOf maps a core status to the Slash name and code. FAILED (a health check failed) is
// shown as CONFIGURING: the connection needs its setup fixed before it can serve; DISABLED and
// PAUSED are SUSPENDED: the connection is out of service until activated again.
func statusOf(s switchboard.Status) (string, int) {
	switch s {
	case switchboard.StatusPending:
		return "PENDING", codePending
	case switchboard.StatusConfiguring, switchboard.StatusFailed:
		return "CONFIGURING", codeConfiguring
	case switchboard.StatusActive:
		return "ACTIVE", codeActive
	case switchboard.StatusSuspended, switchboard.StatusDisabled, switchboard.StatusPaused:
		return "SUSPENDED", codeSuspended
	case switchboard.StatusClosed:
		return "CLOSED", codeClosed
	}
	return "PENDING", codePending
}

// input turns a create request into the core's connection input.
func (req *createRequest) input() switchboard.ConnectionInput {
	return switchboard.ConnectionInput{
		ConnectorID: ConnectorKey,
		Name:        req.ConnectionName,
		Config: map[string]any{
			fieldPartnerEndpoint:    req.PartnerEndpoint,
			fieldSlashAPIBaseURL:    req.SlashAPIBaseURL,
			fieldSlashAPIKey:        req.SlashAPIKey,
			fieldSlashAccountID:     req.SlashAccountID,
			fieldSlashWebhookSecret: req.SlashWebhookSecret,
		},
	}
}

// toWire renders a core connection in the Slash shape, secrets masked.
func toWire(c *switchboard.Connection, tenantID string) connection {
	name, code := statusOf(c.Status)
	str := func(k string) string { s, _ := c.Config[k].(string); return s }
	secret := func(k string) string {
		if c.Unreadable {
			return "" // not a mask, which would claim a value is stored
		}
		return switchboard.MaskEnds(c.Secrets[k].Reveal())
	}
	return connection{
		ConnectionBizID:      c.ID,
		BizID:                c.ID,
		WorkspaceID:          c.WorkspaceID,
		TenantBizID:          tenantID,
		ConnectionName:       c.Name,
		PartnerEndpoint:      str(fieldPartnerEndpoint),
		SlashAPIBaseURL:      str(fieldSlashAPIBaseURL),
		SlashAPIKey:          secret(fieldSlashAPIKey),
		SlashAccountID:       secret(fieldSlashAccountID),
		SlashWebhookSecret:   secret(fieldSlashWebhookSecret),
		ConnectionStatus:     code,
		ConnectionStatusName: name,
		CreatedAt:            c.CreatedAt.UTC().Format(time.RFC3339),
		UpdatedAt:            c.UpdatedAt.UTC().Format(time.RFC3339),
		Unreadable:           c.Unreadable,
	}
}

// wireField names a core field the Slash way: "connection_name" is connectionName and
// "config.X" is X (the connector's config keys are already the Slash names).
func wireField(f string) string {
	if f == "connection_name" {
		return "connectionName"
	}
	return strings.TrimPrefix(f, "config.")
}

// explain words a validation error of the core about a create request the way Slash does:
// a field sent blank (missing, empty or only spaces) "must not be blank", whatever schema
// keyword caught it; a URL field that is not blank but not an http(s) URL says so.
func explain(err error, req *createRequest) error {
	e, ok := err.(*switchboard.Error)
	if !ok || e.Code != switchboard.CodeInvalid {
		return err
	}
	field, _ := e.Args["Field"].(string)
	var value string
	switch wireField(field) {
	case "connectionName":
		value = req.ConnectionName
	case fieldPartnerEndpoint:
		value = req.PartnerEndpoint
	case fieldSlashAPIBaseURL:
		value = req.SlashAPIBaseURL
	case fieldSlashAPIKey:
		value = req.SlashAPIKey
	case fieldSlashAccountID:
		value = req.SlashAccountID
	case fieldSlashWebhookSecret:
		value = req.SlashWebhookSecret
	default:
		return err
	}
	out := *e
	switch {
	case strings.TrimSpace(value) == "":
		out.Message = "field.required"
	case wireField(field) == fieldPartnerEndpoint || wireField(field) == fieldSlashAPIBaseURL:
		if e.Message == "field.pattern" || e.Message == "field.format" {
			out.Message = "field.http_url"
		}
	}
	return &out
}
