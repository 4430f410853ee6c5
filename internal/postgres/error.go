package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/switchboardhq/switchboard"
)

// conflictKeys maps a unique constraint (see migrations) to the message key of the Conflict
// the Store interface names for it.
var conflictKeys = map[string]string{
	"tenants_pkey":                  "tenant.exists",
	"workspaces_pkey":               "workspace.exists",
	"api_keys_pkey":                 "api_key.exists",
	"api_keys_hash_key":             "api_key.exists",
	"access_keys_pkey":              "access_key.exists",
	"webhook_endpoints_pkey":        "webhook_endpoint.exists",
	"webhook_deliveries_pkey":       "webhook_delivery.exists",
	"data_keys_pkey":                "data_key.exists",
	"connectors_pkey":               "connector.exists",
	"connectors_key_key":            "connector.key_taken",
	"connector_versions_pkey":       "connector_version.exists",
	"credentials_pkey":              "credential.exists",
	"credentials_name_key":          "credential.name_taken",
	"connections_pkey":              "connection.exists",
	"connections_name_key":          "connection.name_taken",
	"connections_idempotency_key":   "idempotency.key_taken",
	"usages_pkey":                   "usage.exists",
	"usages_consumer_key":           "usage.exists",
	"audit_events_pkey":             "audit_event.exists",
	"organizations_pkey":            "organization.exists",
	"organizations_name_key":        "organization.name_taken",
	"organization_connections_pkey": "organization_connection.exists",
}

// missingParents maps a foreign key to the kind of the parent whose absence violates it, for
// the methods whose doc promises NotFound when the parent does not exist.
var missingParents = map[string]string{
	"workspaces_tenant_fkey":                     "tenant",
	"access_keys_tenant_fkey":                    "tenant",
	"access_keys_workspace_fkey":                 "workspace",
	"webhook_endpoints_workspace_fkey":           "workspace",
	"webhook_deliveries_endpoint_fkey":           "webhook_endpoint",
	"connector_versions_connector_fkey":          "connector",
	"usages_connection_fkey":                     "connection",
	"organizations_workspace_fkey":               "workspace",
	"organization_connections_organization_fkey": "organization",
	"organization_connections_connection_fkey":   "connection",
	"oauth_clients_workspace_fkey":               "workspace",
	"connect_sessions_workspace_fkey":            "workspace",
	"connection_tokens_connection_fkey":          "connection",
	"inbound_webhook_ids_connection_fkey":        "connection",
}

// translate turns an error of pgx or PostgreSQL into a *switchboard.Error, by SQLSTATE and
// constraint name, never by message text. kind names the object a pgx.ErrNoRows did not find;
// kv (key/value pairs) are the Args of a Conflict, for the message templates ("a connection
// named {{.Name}} already exists"): only names, keys and ids, never a secret. An
// *switchboard.Error passes through unchanged, so translate can wrap whole transactions.
func translate(err error, kind string, kv ...any) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*switchboard.Error](err); ok {
		return e
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return switchboard.NotFound(kind)
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case pgErr.Code == "23505": // unique_violation
			key, ok := conflictKeys[pgErr.ConstraintName]
			if !ok {
				key = "conflict"
			}
			e := switchboard.Conflict(key, kv...)
			e.Cause = err
			return e
		case pgErr.Code == "23503": // foreign_key_violation
			if parent, ok := missingParents[pgErr.ConstraintName]; ok {
				e := switchboard.NotFound(parent)
				e.Cause = err
				return e
			}
		case pgErr.Code == "53100": // disk_full: writes fail until space is freed, reads go on
			e := unavailable(err)
			e.Message = "storage.full"
			return e
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception
			pgErr.Code == "57P01", // admin_shutdown
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03", // cannot_connect_now (starting up, in recovery)
			// insufficient_resources: out_of_memory, too_many_connections,
			// configuration_limit_exceeded; the server's trouble, and it passes.
			strings.HasPrefix(pgErr.Code, "53"),
			pgErr.Code == "57014", // query_canceled (statement_timeout)
			pgErr.Code == "55P03", // lock_not_available (lock_timeout)
			pgErr.Code == "40001", // serialization_failure
			pgErr.Code == "40P01": // deadlock_detected
			return unavailable(err)
		}
		return switchboard.Internal(err)
	}
	if connectionLost(err) {
		return unavailable(err)
	}
	return switchboard.Internal(err)
}

// connectionLost reports whether err means the database could not be reached or went away
// mid-query, as opposed to rejecting what was asked.
func connectionLost(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, puddle.ErrClosedPool) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded)
}

func unavailable(cause error) *switchboard.Error {
	e := switchboard.Errorf(switchboard.CodeUnavailable, "unavailable")
	e.Cause = cause
	return e
}
