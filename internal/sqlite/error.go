package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	sb "github.com/switchboardhq/switchboard"
)

// uniqueKeys maps the columns of each unique constraint, as SQLite names them, to the
// conflict message key the Store interface promises.
var uniqueKeys = map[string]string{
	"tenants.id":             "tenant.exists",
	"workspaces.id":          "workspace.exists",
	"api_keys.id":            "api_key.exists",
	"api_keys.hash":          "api_key.exists",
	"access_keys.id":         "access_key.exists",
	"data_keys.workspace_id": "data_key.exists",
	"connectors.id":          "connector.exists",
	"connectors.workspace_id, connectors.key": "connector.key_taken",
	"credentials.id": "credential.exists",
	"credentials.workspace_id, credentials.name":                  "credential.name_taken",
	"connector_versions.connector_id, connector_versions.version": "connector_version.exists",
	"connections.id": "connection.exists",
	"connections.workspace_id, connections.connector_id, connections.name": "connection.name_taken",
	"connections.workspace_id, connections.idempotency_key":                "idempotency.key_taken",
	"usages.id":                             "usage.exists",
	"usages.connection_id, usages.consumer": "usage.exists",
	"audit_events.id":                       "audit_event.exists",
	"organizations.id":                      "organization.exists",
	"organizations.workspace_id, organizations.name":                                   "organization.name_taken",
	"organization_connections.organization_id, organization_connections.connection_id": "organization_connection.exists",
	"connect_sessions.id":         "connect_session.exists",
	"connect_sessions.token_hash": "connect_session.exists",
	"connect_sessions.state_hash": "connect_session.exists",

	// Webhooks (migration 00005).
	"webhook_endpoints.id":  "webhook_endpoint.exists",
	"webhook_deliveries.id": "webhook_delivery.exists",

	// Partners' webhook ids (migration 00007); RememberWebhookID upserts, so never raised.
	"inbound_webhook_ids.workspace_id, inbound_webhook_ids.connection_id, inbound_webhook_ids.webhook_id": "webhook.replayed",
}

// fail translates an error from database/sql or the driver into a *switchboard.Error. It is
// the one place where native errors become codes; an error that already is a
// *switchboard.Error passes through.
func (s *Store) fail(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*sb.Error](err); ok {
		return err
	}
	if s.closed.Load() {
		// database/sql reports a closed pool with an unexported error; the flag says it
		// without reading message text.
		return &sb.Error{Code: sb.CodeUnavailable, Message: "unavailable", Cause: err}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return sb.NotFound("object")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) {
		return &sb.Error{Code: sb.CodeUnavailable, Message: "unavailable", Cause: err}
	}
	e, ok := errors.AsType[*sqlite.Error](err)
	if !ok {
		return sb.Internal(err)
	}
	switch code := e.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		// SQLite reports which unique index failed only in the message ("UNIQUE constraint
		// failed: t.a, t.b"); the extended code says no more than "unique". The columns are
		// parsed here, and only here, to pick the conflict's message key.
		if key, ok := uniqueKeys[constraintColumns(e.Error())]; ok {
			return &sb.Error{Code: sb.CodeConflict, Message: key, Cause: err}
		}
		return &sb.Error{Code: sb.CodeConflict, Message: "code.4090", Cause: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		// Methods check their parents inside the transaction first, with the parent's kind;
		// a foreign key failure left over is a parent that the check did not cover.
		nf := sb.NotFound("object")
		nf.Cause = err
		return nf
	default:
		switch code & 0xff {
		case sqlite3.SQLITE_FULL:
			// The disk is full: writes fail until space is freed; reads go on.
			return &sb.Error{Code: sb.CodeUnavailable, Message: "storage.full", Cause: err}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_INTERRUPT:
			return &sb.Error{Code: sb.CodeUnavailable, Message: "unavailable", Cause: err}
		}
	}
	return sb.Internal(err)
}

// constraintColumns returns "t.a, t.b" from a driver message such as
// "constraint failed: UNIQUE constraint failed: t.a, t.b (2067)".
func constraintColumns(msg string) string {
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	cols := msg[i+len(marker):]
	if j := strings.Index(cols, " ("); j >= 0 {
		cols = cols[:j]
	}
	return strings.TrimSpace(cols)
}

// withArgs gives a conflict from fail the template data of its message ("a connection named
// {{.Name}} already exists"): kv are key/value pairs of names, keys or ids, never a secret.
// Other errors pass through.
func withArgs(err error, kv ...any) error {
	e, ok := errors.AsType[*sb.Error](err)
	if !ok || e.Code != sb.CodeConflict || e.Args != nil {
		return err
	}
	e.Args = sb.Errorf(e.Code, e.Message, kv...).Args
	return err
}
