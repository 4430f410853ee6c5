package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	sb "github.com/switchboardhq/switchboard"
)

// connCacheSize bounds the connection row cache: the connections an integration runtime reads
// credentials of again and again, a few kilobytes each.
const connCacheSize = 4096

// connCache keeps recently read connection rows in memory, so that reading one (the
// credentials read an integration makes before each outbound call) costs no SQLite read
// transaction, which was most of its time.
//
// It stays right because this process is the only writer of its database file and every
// change to a connection row, or to the usages counted into it, runs on the one write
// connection: SQLite's pre-update hook reports each row changed there (touched), and once its
// transaction has ended (settle), the rows are dropped and the generation moves on. A read
// that missed the cache fills it only if no settle happened since the read began (put), so a
// row read just before a commit never lands in the cache after that commit's invalidation.
// Secrets stay sealed in the cached rows, as in the database.
type connCache struct {
	mu   sync.Mutex
	rows map[string]*sb.Connection // by id (ids are unique across workspaces)
	gen  atomic.Uint64

	pendingMu sync.Mutex
	pending   map[string]struct{} // ids changed by the writes of the open transaction
	all       bool                // a change whose row could not be read: drop every row

	hits, misses atomic.Uint64
}

func newConnCache() *connCache {
	return &connCache{rows: map[string]*sb.Connection{}, pending: map[string]struct{}{}}
}

// get returns a copy of the cached row of id in workspace ws.
func (c *connCache) get(ws, id string) (*sb.Connection, bool) {
	c.mu.Lock()
	row, ok := c.rows[id]
	c.mu.Unlock()
	if !ok || row.WorkspaceID != ws {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return cloneConnection(row), true
}

// begin returns the generation to pass to put after reading a row from the database.
func (c *connCache) begin() uint64 { return c.gen.Load() }

// put caches a copy of row, read from the database after begin returned gen, unless a
// transaction that changed connections ended meanwhile.
func (c *connCache) put(gen uint64, row *sb.Connection) {
	cp := cloneConnection(row)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if _, ok := c.rows[row.ID]; !ok && len(c.rows) >= connCacheSize {
		for k := range c.rows { // map order is random: a random eviction
			delete(c.rows, k)
			break
		}
	}
	c.rows[row.ID] = cp
}

// touched records that the open write transaction changed the row of connection id (""
// when the id could not be read: every row is dropped at settle).
func (c *connCache) touched(id string) {
	c.pendingMu.Lock()
	if id == "" {
		c.all = true
	} else {
		c.pending[id] = struct{}{}
	}
	c.pendingMu.Unlock()
}

// settle runs once a write transaction has committed or rolled back: the rows it changed are
// dropped and fills that began before are refused.
func (c *connCache) settle() {
	c.pendingMu.Lock()
	ids, all := c.pending, c.all
	if len(ids) == 0 && !all {
		c.pendingMu.Unlock()
		return
	}
	c.pending, c.all = map[string]struct{}{}, false
	c.pendingMu.Unlock()
	c.mu.Lock()
	c.gen.Add(1)
	if all {
		clear(c.rows)
	}
	for id := range ids {
		delete(c.rows, id)
	}
	c.mu.Unlock()
}

// cloneConnection copies a connection deeply enough that the caller may change anything in
// it without touching the cached row.
func cloneConnection(c *sb.Connection) *sb.Connection {
	cp := *c
	cp.Config = cloneJSONMap(c.Config)
	cp.Secrets = maps.Clone(c.Secrets)
	cp.Sealed = slices.Clone(c.Sealed)
	cp.Variables = slices.Clone(c.Variables)
	cp.Credentials.Action = slices.Clone(c.Credentials.Action)
	cp.Credentials.Trigger = slices.Clone(c.Credentials.Trigger)
	cp.Tags = slices.Clone(c.Tags)
	cp.Permissions = slices.Clone(c.Permissions)
	cp.Categories = slices.Clone(c.Categories)
	if t := c.Health.LastHealthyAt; t != nil {
		v := *t
		cp.Health.LastHealthyAt = &v
	}
	if t := c.Health.LastUnhealthyAt; t != nil {
		v := *t
		cp.Health.LastUnhealthyAt = &v
	}
	return &cp
}

func cloneJSONMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneJSON(v)
	}
	return out
}

// cloneJSON copies a value decoded from JSON (maps and slices are copied, scalars are values).
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	default:
		return v
	}
}

// changeWatch tells the caches what a change on the write connection touches. Connections:
// an update or delete of a connection row, or any change of a usage (counted into its
// connection's row). Inserted connections need nothing: only rows read are cached.
type changeWatch struct {
	cache *connCache
	subs  *subscriptions
	// columns of the connection id in the connections and usages tables
	connID, usageConnID int
}

// newChangeWatch finds the id columns in the schema db has.
func newChangeWatch(ctx context.Context, db *sql.DB) (*changeWatch, error) {
	w := &changeWatch{cache: newConnCache(), subs: &subscriptions{byWS: map[string][]subscription{}}}
	for _, c := range []struct {
		table, column string
		dst           *int
	}{{"connections", "id", &w.connID}, {"usages", "connection_id", &w.usageConnID}} {
		err := db.QueryRowContext(ctx, `SELECT cid FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(c.dst)
		if err != nil {
			return nil, fmt.Errorf("sqlite: column %s.%s: %w", c.table, c.column, err)
		}
	}
	return w, nil
}

// hook is SQLite's pre-update hook of the write connection.
func (w *changeWatch) hook(d sqlite.SQLitePreUpdateData) {
	var col int
	switch d.TableName {
	case "webhook_endpoints":
		w.subs.forget()
		return
	case "connections":
		if d.Op == sqlite3.SQLITE_INSERT {
			return
		}
		col = w.connID
	case "usages":
		col = w.usageConnID
	default:
		return
	}
	row := make([]any, col+1)
	var err error
	if d.Op == sqlite3.SQLITE_INSERT {
		err = d.New(row...)
	} else {
		err = d.Old(row...)
	}
	id, _ := row[col].(string)
	if err != nil {
		id = "" // unknown: drop every row
	}
	w.cache.touched(id)
}

// subscriptions keeps, per workspace, its enabled webhook endpoints and the event types each
// is subscribed to: every audited write (every credential read among them) asks which
// endpoints to enqueue deliveries for, and most workspaces have none. It is used only by the
// writer, inside its transaction, and dropped whenever an endpoint row changes there or a
// write is rolled back (a rolled-back write may have loaded rows that never committed).
type subscriptions struct {
	mu   sync.Mutex
	byWS map[string][]subscription
}

type subscription struct {
	id     string
	events []string
}

// maxSubscriptionWorkspaces bounds the workspaces whose endpoints are kept.
const maxSubscriptionWorkspaces = 1024

func (c *subscriptions) forget() {
	c.mu.Lock()
	clear(c.byWS)
	c.mu.Unlock()
}

// endpoints returns the ids, in id order, of the enabled endpoints of ws subscribed to typ,
// reading them in tx when they are not kept yet.
func (c *subscriptions) endpoints(ctx context.Context, tx *sql.Tx, ws, typ string) ([]string, error) {
	c.mu.Lock()
	subs, ok := c.byWS[ws]
	c.mu.Unlock()
	if !ok {
		rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhook_endpoints WHERE workspace_id = ? AND enabled = 1
			ORDER BY id`, ws)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		subs = []subscription{}
		for rows.Next() {
			var sub subscription
			if err := rows.Scan(&sub.id, jsonCol{&sub.events}); err != nil {
				return nil, err
			}
			subs = append(subs, sub)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if len(c.byWS) >= maxSubscriptionWorkspaces {
			clear(c.byWS)
		}
		c.byWS[ws] = subs
		c.mu.Unlock()
	}
	var ids []string
	for _, sub := range subs {
		if slices.Contains(sub.events, typ) {
			ids = append(ids, sub.id)
		}
	}
	return ids, nil
}
