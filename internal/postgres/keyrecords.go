package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard"
)

// KeyRecords are what a database records about its key-encryption keys: what a keyring is
// verified against (seal.VerifyKeyring).
type KeyRecords struct {
	// Checks are the recorded check values by key id; none in a database that has no
	// key-check table.
	Checks map[string][]byte
	// DataKeys are the wrapped data keys, ordered by workspace id (workspace, key id and
	// wrapped bytes only).
	DataKeys []*switchboard.DataKey
}

// ReadKeyRecords connects to the database named by dsn and reads its key checks and wrapped
// data keys in one READ ONLY transaction, without changing anything (no migration runs). A
// missing table reads as none, so a database of an older schema, or none, is read as it is.
// Errors are *switchboard.Error: CodeUnavailable when the database cannot be reached.
func ReadKeyRecords(ctx context.Context, dsn string) (*KeyRecords, error) {
	r := &KeyRecords{Checks: map[string][]byte{}}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, translate(fmt.Errorf("postgres: connect: %w", err), "")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, translate(fmt.Errorf("postgres: begin read-only: %w", err), "")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// to_regclass resolves through the search_path, as the store's queries do.
	var checks, dataKeys *string
	if err := tx.QueryRow(ctx, `SELECT to_regclass('key_checks')::text, to_regclass('data_keys')::text`).Scan(&checks, &dataKeys); err != nil {
		return nil, translate(fmt.Errorf("postgres: read key records: %w", err), "")
	}
	if checks != nil {
		rows, err := tx.Query(ctx, `SELECT kek_id, check_value FROM key_checks`)
		if err != nil {
			return nil, translate(fmt.Errorf("postgres: read key checks: %w", err), "")
		}
		var id string
		var check []byte
		if _, err := pgx.ForEachRow(rows, []any{&id, &check}, func() error {
			r.Checks[id] = check
			return nil
		}); err != nil {
			return nil, translate(fmt.Errorf("postgres: read key checks: %w", err), "")
		}
	}
	if dataKeys != nil {
		rows, err := tx.Query(ctx, `SELECT workspace_id, kek_id, wrapped FROM data_keys ORDER BY workspace_id`)
		if err != nil {
			return nil, translate(fmt.Errorf("postgres: read data keys: %w", err), "")
		}
		r.DataKeys, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*switchboard.DataKey, error) {
			var k switchboard.DataKey
			err := row.Scan(&k.WorkspaceID, &k.KEKID, &k.Wrapped)
			return &k, err
		})
		if err != nil {
			return nil, translate(fmt.Errorf("postgres: read data keys: %w", err), "")
		}
	}
	return r, nil
}
