package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/sqlite"
)

// An upgrade with a missing or a different (well-formed) keyring: the database holds data and
// its schema is one migration behind the binary, as after installing a new version. serve,
// keys status and keys rotate are refused before the database is opened, so the pending
// migration is not applied and nothing changes: SQLite's files hash the same, PostgreSQL's
// rows (its migration version table included) digest the same. With the right keyring back,
// serve migrates, starts and reads the secret. Issue 7.
func TestBootRefusesMissingOrOtherKeyringBeforeMigrating(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			owner, id, secret, good := seedSecret(t, b)
			goodID, goodB64, _ := strings.Cut(lastLine(string(good)), ":")
			b.undoLastMigration(t)
			if b.pending(t) != 1 {
				t.Fatalf("the database is not one migration behind")
			}

			sameID, otherID := keyringLine(goodID), keyringLine("k-other")
			cases := []struct {
				name    string
				keyring *string // nil: no file
				want    []string
			}{
				{"missing", nil, []string{"holds data", "does not exist", b.keyringPath()}},
				{"same id other key", &sameID, []string{"does not match", "key " + goodID + " is not the key"}},
				{"other id", &otherID, []string{"does not match", "lacks", goodID}},
			}
			refused, changed := 0, 0
			for _, c := range cases {
				t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
					b.swapKeyring(t, c.keyring, good)
					before := b.snapshot(t)
					stderr := refusedStart(t, nil, b.flags()...)
					ok := !t.Failed()
					for _, w := range c.want {
						if !strings.Contains(stderr, w) {
							ok = false
							t.Errorf("refusal does not say %q:\n%s", w, redact(stderr))
						}
					}
					leaks := []string{goodB64}
					if c.keyring != nil {
						_, wrongB64, _ := strings.Cut(strings.TrimSpace(*c.keyring), ":")
						leaks = append(leaks, wrongB64)
					}
					// The other commands that open the database with the keyring refuse the same way.
					for _, cmd := range [][]string{{"keys", "status"}, {"keys", "rotate"}} {
						r := run(t, nil, append(cmd, b.flags()...)...)
						if r.code == 0 {
							ok = false
							t.Errorf("%s with a %s keyring exited 0", strings.Join(cmd, " "), c.name)
						}
						stderr += r.stderr + r.stdout
					}
					for _, leak := range leaks {
						if strings.Contains(stderr, leak) {
							t.Errorf("a refusal shows key material")
						}
					}
					if ok {
						refused++
					}
					if d := before.diff(b.snapshot(t)); d != "" {
						changed++
						t.Errorf("a refused start migrated or otherwise changed the database:\n%s", d)
					} else if b.pending(t) != 1 {
						changed++
						t.Errorf("a refused start applied the pending migration")
					}
					if c.keyring == nil {
						if _, err := os.Stat(b.keyringPath()); err == nil {
							t.Errorf("a keyring was generated for a database that holds data")
						}
					}
				})
			}
			t.Logf("FIGURE pending_migration_bad_keyring_refused_%s=%d/%d", d, refused, len(cases))
			t.Logf("FIGURE db_changed_by_refused_boot_pending_migration=%d", changed)

			// The right keyring: serve migrates and starts, and the secret is as it was.
			p := startServe(t, nil, b.flags()...)
			if got := p.secretOf(owner, "default", id); got != secret {
				t.Errorf("the secret differs after the upgrade")
			}
			p.stop()
			if n := b.pending(t); n != 0 {
				t.Errorf("%d migration(s) still pending after serve started with the right keyring", n)
			}
		})
	}
}

// undoLastMigration takes the backend's database back to the previous release's schema: the
// last migration (00008: one index) undone and unrecorded.
func (b *backend) undoLastMigration(t *testing.T) {
	t.Helper()
	if b.dsn != "" {
		conn, err := pgx.Connect(t.Context(), b.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		for _, q := range []string{
			`DROP INDEX connections_created_idx`,
			`DELETE FROM switchboard_schema_version WHERE version_id = 8`,
		} {
			if _, err := conn.Exec(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.dataDir, "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`DROP INDEX connections_created`,
		`DELETE FROM goose_db_version WHERE version_id = 8`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// pending counts the migrations of this binary the backend's database has not applied,
// reading only.
func (b *backend) pending(t *testing.T) int {
	t.Helper()
	var applied, known []int64
	if b.dsn != "" {
		s, err := postgres.InspectSchema(t.Context(), b.dsn)
		if err != nil {
			t.Fatal(err)
		}
		applied, known = s.Applied, s.Known
	} else {
		s, err := sqlite.InspectSchema(t.Context(), filepath.Join(b.dataDir, "switchboard.db"))
		if err != nil {
			t.Fatal(err)
		}
		applied, known = s.Applied, s.Known
	}
	n := 0
	for _, v := range known {
		if !slices.Contains(applied, v) {
			n++
		}
	}
	return n
}
