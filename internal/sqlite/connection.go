package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// connectionArgs are the encoded columns of a connection, from connector_id to request_hash
// in the order of connectionColumns.
func connectionArgs(c *sb.Connection) ([]any, error) {
	var docs [6]string
	for i, v := range []any{c.Config, c.Variables, c.Credentials, c.Tags, c.Permissions, c.Categories} {
		var err error
		if docs[i], err = toJSON(v); err != nil {
			return nil, sb.Internal(err)
		}
	}
	return []any{
		c.ConnectorID, c.ConnectorVersion, c.Name, c.Description, docs[0], c.Sealed, docs[1], docs[2],
		string(c.Status), c.Enabled, c.Paused, c.Environment, c.ExternalXref, docs[3],
		nullMicros(c.Health.LastHealthyAt), nullMicros(c.Health.LastUnhealthyAt), c.Health.LastError,
		micros(c.UpdatedAt), c.UpdatedBy, nullString(c.IdempotencyKey), c.RequestHash, docs[4], docs[5],
	}, nil
}

// writeRefs replaces the index rows of c's tags, categories and credential references.
func writeRefs(ctx context.Context, tx *sql.Tx, c *sb.Connection, replace bool) error {
	if replace {
		for _, table := range []string{"connection_tags", "connection_categories", "connection_credentials"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE connection_id = ?`, c.ID); err != nil {
				return err
			}
		}
	}
	// OR IGNORE: a tag listed twice, or a credential in both slots, is one row, so the tag
	// filter returns the connection once and CountCredentialUses counts it once.
	for _, tag := range c.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO connection_tags (connection_id, workspace_id, tag)
			VALUES (?, ?, ?)`, c.ID, c.WorkspaceID, tag); err != nil {
			return err
		}
	}
	for _, category := range c.Categories {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO connection_categories (connection_id, workspace_id, category)
			VALUES (?, ?, ?)`, c.ID, c.WorkspaceID, category); err != nil {
			return err
		}
	}
	for _, id := range c.Credentials.All() {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO connection_credentials (connection_id, workspace_id, credential_id)
			VALUES (?, ?, ?)`, c.ID, c.WorkspaceID, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateConnection inserts c with revision 1.
func (s *Store) CreateConnection(ctx context.Context, c *sb.Connection, ev *sb.AuditEvent) error {
	args, err := connectionArgs(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, "workspace", `SELECT 1 FROM workspaces WHERE id = ?`, c.WorkspaceID); err != nil {
			return err
		}
		all := append([]any{c.ID, c.WorkspaceID}, args...)
		all = append(all, micros(c.CreatedAt), c.CreatedBy)
		_, err := tx.ExecContext(ctx, `INSERT INTO connections (id, workspace_id, `+connectionColumns+`,
			created_at, created_by, revision) VALUES (?, ?`+strings.Repeat(", ?", len(args)+2)+`, 1)`, all...)
		if err != nil {
			return err
		}
		return writeRefs(ctx, tx, c, false)
	})
	if err == nil {
		c.Revision = 1
	}
	return withArgs(err, "Name", c.Name)
}

// connectionColumns are the columns an update rewrites.
const connectionColumns = `connector_id, connector_version, name, description, config, sealed, variables,
	credentials, status, enabled, paused, environment, external_xref, tags, last_healthy_at, last_unhealthy_at,
	last_error, updated_at, updated_by, idempotency_key, request_hash, permissions, categories`

// selectConnection reads every column of c plus its usage count, counted with the unique
// (connection_id, consumer) index.
const selectConnection = `SELECT c.id, c.workspace_id, c.connector_id, c.connector_version, c.name,
	c.description, c.config, c.sealed, c.variables, c.credentials, c.status, c.enabled, c.paused,
	c.environment, c.external_xref, c.tags, c.last_healthy_at, c.last_unhealthy_at, c.last_error,
	c.created_at, c.updated_at, c.created_by, c.updated_by, c.revision, c.idempotency_key, c.request_hash,
	c.permissions, c.categories, (SELECT COUNT(*) FROM usages u WHERE u.connection_id = c.id)
	FROM connections c`

func scanConnection(r rowScanner) (*sb.Connection, error) {
	var c sb.Connection
	var healthy, unhealthy sql.NullInt64
	var created, updated int64
	var idem sql.NullString
	err := r.Scan(&c.ID, &c.WorkspaceID, &c.ConnectorID, &c.ConnectorVersion, &c.Name,
		&c.Description, jsonCol{&c.Config}, &c.Sealed, jsonCol{&c.Variables}, jsonCol{&c.Credentials},
		&c.Status, &c.Enabled, &c.Paused, &c.Environment, &c.ExternalXref, jsonCol{&c.Tags},
		&healthy, &unhealthy, &c.Health.LastError, &created, &updated, &c.CreatedBy, &c.UpdatedBy,
		&c.Revision, &idem, &c.RequestHash, jsonCol{&c.Permissions}, jsonCol{&c.Categories}, &c.UsageCount)
	if err != nil {
		return nil, err
	}
	c.Health.LastHealthyAt, c.Health.LastUnhealthyAt = fromNullMicros(healthy), fromNullMicros(unhealthy)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	c.IdempotencyKey = idem.String
	return &c, nil
}

// GetConnection returns one connection of a workspace with its usage count.
func (s *Store) GetConnection(ctx context.Context, workspaceID, id string) (*sb.Connection, error) {
	if c, ok := s.conns.get(workspaceID, id); ok {
		return c, nil
	}
	gen := s.conns.begin()
	c, err := scanConnection(s.read.QueryRowContext(ctx, selectConnection+` WHERE c.workspace_id = ? AND c.id = ?`, workspaceID, id))
	if err != nil {
		return nil, s.notFound(err, "connection")
	}
	s.conns.put(gen, c)
	return c, nil
}

// GetConnectionByIdempotencyKey returns the workspace's connection created with key.
func (s *Store) GetConnectionByIdempotencyKey(ctx context.Context, workspaceID, key string) (*sb.Connection, error) {
	c, err := scanConnection(s.read.QueryRowContext(ctx, selectConnection+` WHERE c.workspace_id = ? AND c.idempotency_key = ?`, workspaceID, key))
	if err != nil {
		return nil, s.notFound(err, "connection")
	}
	return c, nil
}

// connectionWhere returns the conditions and arguments of f's filters, without its order and
// paging fields.
func connectionWhere(workspaceID string, f sb.ConnectionFilter) ([]string, []any) {
	where := []string{"c.workspace_id = ?"}
	args := []any{workspaceID}
	for _, cond := range []struct{ column, value string }{
		{"c.connector_id", f.ConnectorID},
		{"c.status", string(f.Status)},
		{"c.environment", f.Environment},
		{"c.external_xref", f.ExternalXref},
		{"c.created_by", f.CreatedBy},
	} {
		if cond.value != "" {
			where = append(where, cond.column+" = ?")
			args = append(args, cond.value)
		}
	}
	if f.Tag != "" {
		// IN rather than a join: a connection appears once however the tag index is read.
		where = append(where, "c.id IN (SELECT connection_id FROM connection_tags WHERE workspace_id = ? AND tag = ?)")
		args = append(args, workspaceID, f.Tag)
	}
	if f.Category != "" {
		where = append(where, "c.id IN (SELECT connection_id FROM connection_categories WHERE workspace_id = ? AND category = ?)")
		args = append(args, workspaceID, f.Category)
	}
	// instr rather than LIKE: the needle is taken literally, '%' and '_' included. lower()
	// folds ASCII letters only (SQLite without ICU).
	for _, cond := range []struct{ column, value string }{
		{"c.name", f.NameContains},
		{"c.description", f.DescriptionContains},
	} {
		if cond.value != "" {
			where = append(where, "instr(lower("+cond.column+"), lower(?)) > 0")
			args = append(args, cond.value)
		}
	}
	for _, cond := range []struct {
		expr string
		at   time.Time
	}{
		{"c.created_at >= ?", f.CreatedFrom},
		{"c.created_at < ?", f.CreatedTo},
		{"c.updated_at >= ?", f.UpdatedFrom},
	} {
		if !cond.at.IsZero() {
			where = append(where, cond.expr)
			args = append(args, micros(cond.at))
		}
	}
	return where, args
}

// listConnectionsQuery returns the query of ListConnections and whether its rows come in
// descending id order (a Before page), to be reversed.
func listConnectionsQuery(workspaceID string, f sb.ConnectionFilter) (string, []any, bool) {
	where, args := connectionWhere(workspaceID, f)
	if f.After != "" {
		where = append(where, "c.id > ?")
		args = append(args, f.After)
	}
	var order string
	reverse := false
	switch {
	case f.Before != "":
		// The Limit items just before the cursor are the first ones walking down from it.
		where = append(where, "c.id < ?")
		args = append(args, f.Before)
		order, reverse = "c.id DESC", true
	case f.Sort == "updated_at" && f.Desc:
		order = "c.updated_at DESC, c.id DESC"
	case f.Sort == "updated_at":
		order = "c.updated_at, c.id"
	case f.Sort == "name" && f.Desc:
		order = "c.name DESC, c.id DESC"
	case f.Sort == "name":
		order = "c.name, c.id"
	case f.Desc:
		order = "c.id DESC"
	default:
		order = "c.id"
	}
	args = append(args, limit(f.Page), max(f.Offset, 0))
	return `SELECT c.id FROM connections c WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`, args, reverse
}

// ListConnections lists a workspace's connections matching f.
//
// The page's ids come from the index first; the rows are then taken from the connection
// cache, and those it lacks are read in one query (and cached): a page asked for again, as
// consoles and pollers do, costs one index walk instead of decoding a hundred rows. A row
// deleted between the two reads is left out.
func (s *Store) ListConnections(ctx context.Context, workspaceID string, f sb.ConnectionFilter) ([]*sb.Connection, error) {
	query, args, reverse := listConnectionsQuery(workspaceID, f)
	ids, err := list(ctx, s, scanID, query, args...)
	if err != nil {
		return nil, err
	}
	items := make([]*sb.Connection, len(ids))
	var missing []string
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		if c, ok := s.conns.get(workspaceID, id); ok {
			items[i] = c
			continue
		}
		missing = append(missing, id)
		at[id] = i
	}
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), maxIDsPerQuery)]
		missing = missing[len(chunk):]
		gen := s.conns.begin()
		rows, err := list(ctx, s, scanConnection, selectConnection+` WHERE c.workspace_id = ? AND c.id IN (`+
			idList(len(chunk))+`)`, idArgs(workspaceID, chunk)...)
		if err != nil {
			return nil, err
		}
		for _, c := range rows {
			items[at[c.ID]] = c
			s.conns.put(gen, c)
		}
	}
	items = slices.DeleteFunc(items, func(c *sb.Connection) bool { return c == nil })
	if reverse {
		slices.Reverse(items)
	}
	return items, nil
}

// maxIDsPerQuery bounds the ids of one IN list (SQLite allows 32766 parameters).
const maxIDsPerQuery = 256

// idList returns the placeholders of an IN list of n ids, rounded up to a power of two so
// that few statement texts exist (each is kept prepared); idArgs repeats the last id to fill.
func idList(n int) string {
	size := 1
	for size < n {
		size *= 2
	}
	return strings.Repeat("?, ", size-1) + "?"
}

func idArgs(workspaceID string, ids []string) []any {
	size := 1
	for size < len(ids) {
		size *= 2
	}
	args := make([]any, 0, size+1)
	args = append(args, workspaceID)
	for i := range size {
		args = append(args, ids[min(i, len(ids)-1)])
	}
	return args
}

func scanID(r rowScanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
}

// CountConnections counts a workspace's connections matching f, ignoring its order and
// paging fields.
func (s *Store) CountConnections(ctx context.Context, workspaceID string, f sb.ConnectionFilter) (int, error) {
	where, args := connectionWhere(workspaceID, f)
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections c WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
	if err != nil {
		return 0, s.fail(err)
	}
	return n, nil
}

// UpdateConnection stores c if its stored revision is still c.Revision, then increments
// c.Revision.
func (s *Store) UpdateConnection(ctx context.Context, c *sb.Connection, ev *sb.AuditEvent) error {
	args, err := connectionArgs(c)
	if err != nil {
		return err
	}
	set := strings.Split(connectionColumns, ",")
	for i := range set {
		set[i] = strings.TrimSpace(set[i]) + " = ?"
	}
	err = s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE connections SET `+strings.Join(set, ", ")+`, revision = revision + 1
			WHERE workspace_id = ? AND id = ? AND revision = ?`, append(args, c.WorkspaceID, c.ID, c.Revision)...)
		if err != nil {
			return err
		}
		err = stale(ctx, tx, res, "connection", `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`, c.WorkspaceID, c.ID)
		if err != nil {
			return err
		}
		return writeRefs(ctx, tx, c, true)
	})
	if err == nil {
		c.Revision++
	}
	return withArgs(err, "Name", c.Name)
}

// DeleteConnection removes one connection; its usages, tags, categories, references and
// organization connections go with it (ON DELETE CASCADE).
func (s *Store) DeleteConnection(ctx context.Context, workspaceID, id string, ev *sb.AuditEvent) error {
	return s.inTx(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM connections WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return err
		}
		return affected(res, "connection")
	})
}
