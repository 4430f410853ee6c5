package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// dueForCheck is the condition of a connection whose periodic health check is due at ?1.
const dueForCheck = `status IN ('PENDING', 'ACTIVE', 'FAILED') AND enabled = 1 AND paused = 0
	AND (next_check_at IS NULL OR next_check_at <= ?1)
	AND (check_lease_until IS NULL OR check_lease_until <= ?1)`

// ClaimHealthChecks claims due connections in one write transaction: SQLite has a single
// writer, so two claims cannot interleave and none returns a connection another took.
func (s *Store) ClaimHealthChecks(ctx context.Context, now time.Time, interval, lease time.Duration, limit int) ([]*sb.Connection, error) {
	if limit <= 0 {
		return []*sb.Connection{}, nil
	}
	out := []*sb.Connection{}
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE connections SET next_check_at = ?2, check_lease_until = ?3
			WHERE id IN (SELECT id FROM connections WHERE `+dueForCheck+`
				ORDER BY coalesce(next_check_at, 0), id LIMIT ?4)
			RETURNING id`, micros(now), micros(now.Add(interval)), micros(now.Add(lease)), limit)
		if err != nil {
			return err
		}
		claimed, err := scanIDs(rows)
		if err != nil || len(claimed) == 0 {
			return err
		}
		ids := make([]any, len(claimed))
		for i, id := range claimed {
			ids[i] = id
		}
		rows, err = tx.QueryContext(ctx, selectConnection+` WHERE c.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
			ORDER BY coalesce(c.next_check_at, 0), c.id`, ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConnection(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
