package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// ClaimHealthChecks claims due connections with FOR UPDATE SKIP LOCKED, so replicas claiming
// at the same moment each take different rows instead of waiting on or repeating each other's.
func (s *Store) ClaimHealthChecks(ctx context.Context, now time.Time, interval, lease time.Duration, limit int) ([]*switchboard.Connection, error) {
	if limit <= 0 {
		return []*switchboard.Connection{}, nil
	}
	var out []*switchboard.Connection
	err := s.inTx(ctx, nil, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH due AS (
				SELECT id, next_check_at FROM connections
				WHERE status IN ('PENDING', 'ACTIVE', 'FAILED') AND enabled AND NOT paused
				  AND (next_check_at IS NULL OR next_check_at <= $1)
				  AND (check_lease_until IS NULL OR check_lease_until <= $1)
				ORDER BY next_check_at NULLS FIRST, id
				LIMIT $4
				FOR UPDATE SKIP LOCKED),
			claimed AS (
				UPDATE connections c SET next_check_at = $2, check_lease_until = $3
				FROM due WHERE c.id = due.id
				RETURNING c.id, due.next_check_at AS was_due)
			SELECT `+connectionColumns+` FROM connections c JOIN claimed ON claimed.id = c.id
			ORDER BY claimed.was_due NULLS FIRST, c.id`, now, now.Add(interval), now.Add(lease), limit)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanConnection)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
