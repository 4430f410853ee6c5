package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// connectionRow holds the jsonb encodings of a connection's structured fields.
type connectionRow struct {
	config, variables, credentials, tags, permissions, categories []byte
}

func encodeConnection(c *switchboard.Connection) (connectionRow, error) {
	var (
		r   connectionRow
		err error
	)
	for _, f := range []struct {
		dst *[]byte
		v   any
	}{{&r.config, c.Config}, {&r.variables, c.Variables}, {&r.credentials, c.Credentials}, {&r.tags, c.Tags},
		{&r.permissions, c.Permissions}, {&r.categories, c.Categories}} {
		if *f.dst, err = marshal(f.v); err != nil {
			return r, err
		}
	}
	return r, nil
}

// nullable returns nil for "", so an unset idempotency key is SQL NULL and stays out of the
// partial unique index.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateConnection inserts c and sets its Revision to 1. Conflict "connection.name_taken" when
// the workspace has a connection with that name for the same connector; Conflict
// "idempotency.key_taken" when c.IdempotencyKey is set and already used in the workspace.
func (s *Store) CreateConnection(ctx context.Context, c *switchboard.Connection, ev *switchboard.AuditEvent) error {
	r, err := encodeConnection(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO connections
			(workspace_id, id, connector_id, connector_version, name, description, config, sealed,
			 variables, credentials, status, enabled, paused, environment, external_xref, tags,
			 last_healthy_at, last_unhealthy_at, last_error, created_at, updated_at, created_by, updated_by,
			 revision, idempotency_key, request_hash, permissions, categories)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
			 $17, $18, $19, $20, $21, $22, $23, 1, $24, $25, $26, $27)`,
			c.WorkspaceID, c.ID, c.ConnectorID, c.ConnectorVersion, c.Name, c.Description, r.config, c.Sealed,
			r.variables, r.credentials, c.Status, c.Enabled, c.Paused, c.Environment, c.ExternalXref, r.tags,
			c.Health.LastHealthyAt, c.Health.LastUnhealthyAt, c.Health.LastError,
			c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy, nullable(c.IdempotencyKey), c.RequestHash,
			r.permissions, r.categories)
		if err != nil {
			return err
		}
		return writeConnectionLinks(ctx, tx, c, false)
	}, "Name", c.Name)
	if err != nil {
		return err
	}
	c.Revision = 1
	return nil
}

// writeConnectionLinks mirrors c's credential references, tags and categories into their lookup tables,
// replacing what an earlier version of c put there.
func writeConnectionLinks(ctx context.Context, tx pgx.Tx, c *switchboard.Connection, replace bool) error {
	if replace {
		for _, table := range []string{"connection_credentials", "connection_tags", "connection_categories"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE workspace_id = $1 AND connection_id = $2`,
				c.WorkspaceID, c.ID); err != nil {
				return err
			}
		}
	}
	var (
		slots     []string
		positions []int32
		ids       []string
	)
	for slot, refs := range map[string][]string{"action": c.Credentials.Action, "trigger": c.Credentials.Trigger} {
		for i, id := range refs {
			slots, positions, ids = append(slots, slot), append(positions, int32(i)), append(ids, id)
		}
	}
	if len(ids) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO connection_credentials (workspace_id, connection_id, slot, position, credential_id)
			SELECT $1, $2, s, p, id FROM unnest($3::text[], $4::int[], $5::text[]) AS u(s, p, id)`,
			c.WorkspaceID, c.ID, slots, positions, ids)
		if err != nil {
			return err
		}
	}
	if len(c.Tags) > 0 {
		// A tag listed twice is one row: the filter asks "has this tag", not "how often".
		_, err := tx.Exec(ctx, `INSERT INTO connection_tags (workspace_id, connection_id, tag)
			SELECT DISTINCT $1, $2, t FROM unnest($3::text[]) AS u(t)`, c.WorkspaceID, c.ID, c.Tags)
		if err != nil {
			return err
		}
	}
	if len(c.Categories) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO connection_categories (workspace_id, connection_id, category)
			SELECT DISTINCT $1, $2, t FROM unnest($3::text[]) AS u(t)`, c.WorkspaceID, c.ID, c.Categories)
		if err != nil {
			return err
		}
	}
	return nil
}

const connectionColumns = `c.id, c.workspace_id, c.connector_id, c.connector_version, c.name, c.description,
	c.config, c.sealed, c.variables, c.credentials, c.status, c.enabled, c.paused, c.environment,
	c.external_xref, c.tags, c.last_healthy_at, c.last_unhealthy_at, c.last_error, c.created_at,
	c.updated_at, c.created_by, c.updated_by, c.revision, coalesce(c.idempotency_key, ''), c.request_hash,
	c.permissions, c.categories,
	(SELECT count(*) FROM usages u WHERE u.workspace_id = c.workspace_id AND u.connection_id = c.id)`

func scanConnection(row pgx.Row) (*switchboard.Connection, error) {
	var (
		c switchboard.Connection
		r connectionRow
	)
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.ConnectorID, &c.ConnectorVersion, &c.Name, &c.Description,
		&r.config, &c.Sealed, &r.variables, &r.credentials, &c.Status, &c.Enabled, &c.Paused, &c.Environment,
		&c.ExternalXref, &r.tags, &c.Health.LastHealthyAt, &c.Health.LastUnhealthyAt, &c.Health.LastError,
		&c.CreatedAt, &c.UpdatedAt, &c.CreatedBy, &c.UpdatedBy, &c.Revision, &c.IdempotencyKey, &c.RequestHash,
		&r.permissions, &r.categories, &c.UsageCount)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		b []byte
		v any
	}{{r.config, &c.Config}, {r.variables, &c.Variables}, {r.credentials, &c.Credentials}, {r.tags, &c.Tags},
		{r.permissions, &c.Permissions}, {r.categories, &c.Categories}} {
		if err := unmarshal(f.b, f.v); err != nil {
			return nil, err
		}
	}
	c.Health.LastHealthyAt, c.Health.LastUnhealthyAt = utc(c.Health.LastHealthyAt), utc(c.Health.LastUnhealthyAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

// GetConnection returns one connection with its UsageCount. NotFound.
func (s *Store) GetConnection(ctx context.Context, workspaceID, id string) (*switchboard.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections c
		WHERE c.workspace_id = $1 AND c.id = $2`, workspaceID, id))
	if err != nil {
		return nil, translate(err, "connection")
	}
	return c, nil
}

// GetConnectionByIdempotencyKey returns the connection created with key. NotFound.
func (s *Store) GetConnectionByIdempotencyKey(ctx context.Context, workspaceID, key string) (*switchboard.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections c
		WHERE c.workspace_id = $1 AND c.idempotency_key = $2`, workspaceID, key))
	if err != nil {
		return nil, translate(err, "connection")
	}
	return c, nil
}

// ListConnections lists a workspace's connections matching f, each with its UsageCount.
func (s *Store) ListConnections(ctx context.Context, workspaceID string, f switchboard.ConnectionFilter) ([]*switchboard.Connection, error) {
	sql, args := listConnectionsQuery(workspaceID, f)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, "")
	}
	list, err := collect(rows, scanConnection)
	if err != nil {
		return nil, err
	}
	if f.Before != "" {
		// The query walks down from the cursor; pages are ascending.
		slices.Reverse(list)
	}
	return list, nil
}

// CountConnections counts a workspace's connections matching f; its order and paging fields
// are ignored.
func (s *Store) CountConnections(ctx context.Context, workspaceID string, f switchboard.ConnectionFilter) (int, error) {
	where, args := connectionWhere(workspaceID, f)
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM connections c WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
	if err != nil {
		return 0, translate(err, "")
	}
	return n, nil
}

// connectionWhere returns the conditions of f's filters (not its order and paging fields),
// numbered from $1, and their arguments.
func connectionWhere(workspaceID string, f switchboard.ConnectionFilter) ([]string, []any) {
	where := []string{"c.workspace_id = $1"}
	args := []any{workspaceID}
	// Each filter is one more condition with the next placeholder; the equality ones have an
	// index that starts with (workspace_id, <column>).
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	filter := func(cond string, v string) {
		if v != "" {
			add(cond, v)
		}
	}
	filter("c.connector_id = $%d", f.ConnectorID)
	filter("c.status = $%d", string(f.Status))
	filter("c.environment = $%d", f.Environment)
	filter("c.external_xref = $%d", f.ExternalXref)
	filter("c.created_by = $%d", f.CreatedBy)
	filter(`EXISTS (SELECT 1 FROM connection_tags t
		WHERE t.workspace_id = c.workspace_id AND t.connection_id = c.id AND t.tag = $%d)`, f.Tag)
	filter(`EXISTS (SELECT 1 FROM connection_categories k
		WHERE k.workspace_id = c.workspace_id AND k.connection_id = c.id AND k.category = $%d)`, f.Category)
	// strpos rather than ILIKE: the needle is taken literally, '%', '_' and '\' included.
	filter("strpos(lower(c.name), lower($%d)) > 0", f.NameContains)
	filter("strpos(lower(c.description), lower($%d)) > 0", f.DescriptionContains)
	for _, b := range []struct {
		cond string
		at   time.Time
	}{
		{"c.created_at >= $%d", f.CreatedFrom},
		{"c.created_at < $%d", f.CreatedTo},
		{"c.updated_at >= $%d", f.UpdatedFrom},
	} {
		if !b.at.IsZero() {
			add(b.cond, b.at)
		}
	}
	return where, args
}

func listConnectionsQuery(workspaceID string, f switchboard.ConnectionFilter) (string, []any) {
	where, args := connectionWhere(workspaceID, f)
	if f.After != "" {
		args = append(args, f.After)
		where = append(where, fmt.Sprintf("c.id > $%d", len(args)))
	}
	var order string
	switch {
	case f.Before != "":
		// The Limit items just before the cursor are the first ones walking down from it;
		// ListConnections puts them back in ascending order.
		args = append(args, f.Before)
		where = append(where, fmt.Sprintf("c.id < $%d", len(args)))
		order = "c.id DESC"
	case f.Sort == "updated_at":
		order = "c.updated_at %[1]s, c.id %[1]s"
	case f.Sort == "name":
		order = `c.name COLLATE "C" %[1]s, c.id %[1]s`
	default:
		order = "c.id %[1]s"
	}
	if f.Before == "" {
		dir := "ASC"
		if f.Desc {
			dir = "DESC"
		}
		order = fmt.Sprintf(order, dir)
	}
	args = append(args, limit(f.Limit), max(f.Offset, 0))
	sql := fmt.Sprintf(`SELECT %s FROM connections c WHERE %s ORDER BY %s LIMIT $%d OFFSET $%d`,
		connectionColumns, strings.Join(where, " AND "), order, len(args)-1, len(args))
	return sql, args
}

// UpdateConnection stores c if its stored revision is still c.Revision, then increments
// c.Revision and sets nothing else. PreconditionFailed when stale; NotFound; Conflict
// "connection.name_taken".
func (s *Store) UpdateConnection(ctx context.Context, c *switchboard.Connection, ev *switchboard.AuditEvent) error {
	r, err := encodeConnection(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE connections SET
			connector_id = $4, connector_version = $5, name = $6, description = $7, config = $8, sealed = $9,
			variables = $10, credentials = $11, status = $12, enabled = $13, paused = $14, environment = $15,
			external_xref = $16, tags = $17, last_healthy_at = $18, last_unhealthy_at = $19, last_error = $20,
			created_at = $21, updated_at = $22, created_by = $23, updated_by = $24,
			idempotency_key = $25, request_hash = $26, permissions = $27, categories = $28, revision = revision + 1
			WHERE workspace_id = $1 AND id = $2 AND revision = $3`,
			c.WorkspaceID, c.ID, c.Revision,
			c.ConnectorID, c.ConnectorVersion, c.Name, c.Description, r.config, c.Sealed,
			r.variables, r.credentials, c.Status, c.Enabled, c.Paused, c.Environment,
			c.ExternalXref, r.tags, c.Health.LastHealthyAt, c.Health.LastUnhealthyAt, c.Health.LastError,
			c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy,
			nullable(c.IdempotencyKey), c.RequestHash, r.permissions, r.categories)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return staleOrMissing(ctx, tx, "connection", `SELECT EXISTS (SELECT 1 FROM connections
				WHERE workspace_id = $1 AND id = $2)`, c.WorkspaceID, c.ID)
		}
		return writeConnectionLinks(ctx, tx, c, true)
	}, "Name", c.Name)
	if err != nil {
		return err
	}
	c.Revision++
	return nil
}

// DeleteConnection removes one connection and, by cascade, its usages, credential links, tags,
// categories and organization connections. NotFound.
func (s *Store) DeleteConnection(ctx context.Context, workspaceID, id string, ev *switchboard.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM connections WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return switchboard.NotFound("connection")
		}
		return nil
	})
}
