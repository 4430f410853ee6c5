package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/sqlite"
)

// schemaState is what the database check found, for the keyring check.
type schemaState struct {
	reached bool // the database answered (SQLite: its directory is usable)
	exists  bool // a database with a schema exists
	current bool // its migrations are exactly this binary's: the store can be opened unchanged
	hasData bool // a tenant exists: the keyring must be the one the data was written with
}

func checkStorage(ctx context.Context, o *options, r *checkReport) {
	var st schemaState
	if o.databaseURL != "" {
		st = checkPostgresConfig(ctx, o, r)
	} else {
		st = checkSQLiteConfig(ctx, o, r)
	}
	checkKeyring(ctx, o, r, st)
}

func checkSQLiteConfig(ctx context.Context, o *options, r *checkReport) schemaState {
	dir := o.dataDir
	const area = "database"
	label := "--data-dir (SWITCHBOARD_DATA_DIR) " + dir
	path := filepath.Join(dir, "switchboard.db")
	if strings.ContainsAny(path, "?#") {
		r.problem(area, "%s: the SQLite path must not contain '?' or '#'", label)
		return schemaState{}
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// serve creates it (MkdirAll): the nearest existing parent must take a new directory.
		parent := filepath.Dir(filepath.Clean(dir))
		for {
			if _, err := os.Stat(parent); err == nil || filepath.Dir(parent) == parent {
				break
			}
			parent = filepath.Dir(parent)
		}
		tmp, err := os.MkdirTemp(parent, ".switchboard-check-")
		if err != nil {
			r.problem(area, "%s does not exist and cannot be created: %v", label, err)
			return schemaState{}
		}
		os.Remove(tmp)
		r.ok(area, "SQLite: %s does not exist yet: serve creates it and the database at first start", label)
		return schemaState{reached: true}
	case err != nil:
		r.problem(area, "%s: %v", label, err)
		return schemaState{}
	case !info.IsDir():
		r.problem(area, "%s is not a directory", label)
		return schemaState{}
	}
	// serve writes the database, its WAL and the lock file there.
	f, err := os.CreateTemp(dir, ".switchboard-check-*")
	if err != nil {
		r.problem(area, "%s is not writable: %v", label, err)
		return schemaState{}
	}
	f.Close()
	os.Remove(f.Name())
	s, err := sqlite.InspectSchema(ctx, path)
	if err != nil {
		r.problem(area, "SQLite %s: %v", path, err)
		return schemaState{}
	}
	if !s.Exists {
		r.ok(area, "SQLite: no database in %s yet: serve creates it at first start", dir)
		return schemaState{reached: true}
	}
	r.ok(area, "SQLite %s readable, %s writable", path, dir)
	st := schemaState{reached: true, exists: true, hasData: s.HasData}
	st.current = checkMigrations(r, s.Applied, s.Known)
	return st
}

func checkPostgresConfig(ctx context.Context, o *options, r *checkReport) schemaState {
	const area = "database"
	if !o.postgres() {
		r.problem(area, "--database-url (SWITCHBOARD_DATABASE_URL) must start with postgres:// or postgresql://")
		return schemaState{}
	}
	where := describeDSN(o.databaseURL)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := postgres.InspectSchema(ctx, o.databaseURL)
	if err != nil {
		if e, ok := errors.AsType[*switchboard.Error](err); ok && e.Cause != nil {
			err = e.Cause
		}
		r.problem(area, "PostgreSQL %s: %v", where, err)
		return schemaState{}
	}
	r.ok(area, "PostgreSQL %s reachable", where)
	if cfg, err := pgconn.ParseConfig(o.databaseURL); err == nil && cfg.TLSConfig == nil && !strings.HasPrefix(cfg.Host, "/") && !isLoopbackHost(cfg.Host) {
		r.warn(area, "PostgreSQL %s: the connection is not encrypted (sslmode=disable)", where)
	}
	st := schemaState{reached: true, exists: len(s.Applied) > 0, hasData: s.HasData}
	st.current = checkMigrations(r, s.Applied, s.Known)
	return st
}

// checkMigrations compares the migrations a database has with this binary's and reports
// whether they are the same.
func checkMigrations(r *checkReport, applied, known []int64) bool {
	const area = "migrations"
	if len(applied) == 0 {
		r.ok(area, "empty database: serve creates the schema (%d migrations) at first start", len(known))
		return false
	}
	var ahead, pending []string
	for _, v := range applied {
		if !slices.Contains(known, v) {
			ahead = append(ahead, fmt.Sprint(v))
		}
	}
	for _, v := range known {
		if !slices.Contains(applied, v) {
			pending = append(pending, fmt.Sprint(v))
		}
	}
	if len(ahead) > 0 {
		r.problem(area, "the database has migration(s) %s that this binary does not know (its newest is %d): a newer switchboard migrated it; run that version or a newer one",
			strings.Join(ahead, ", "), known[len(known)-1])
	}
	if len(pending) > 0 {
		r.warn(area, "%d migration(s) pending (%s): serve applies them at start, or run switchboard migrate; back up the database first",
			len(pending), strings.Join(pending, ", "))
	}
	if len(ahead) > 0 || len(pending) > 0 {
		return false
	}
	r.ok(area, "schema current (migration %d)", known[len(known)-1])
	return true
}

func checkKeyring(ctx context.Context, o *options, r *checkReport, st schemaState) {
	const area = "keyring"
	path, isDefault := o.keyringPath()
	label := "--keyring (SWITCHBOARD_KEYRING) " + path
	if isDefault {
		label = "keyring " + path + " (default: DATA_DIR/keyring)"
	}
	ring, err := seal.LoadKeyring(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		switch {
		case st.hasData:
			r.problem(area, "the database holds data but %s does not exist: restore it or point SWITCHBOARD_KEYRING at it (serve refuses to start)", label)
		case !isDefault:
			r.problem(area, "%s does not exist", label)
		case o.databaseURL != "":
			r.warn(area, "%s does not exist: serve generates one at first start; replicas on one PostgreSQL must share one keyring: make it once and give each the same file (SWITCHBOARD_KEYRING)", label)
		default:
			r.warn(area, "%s does not exist yet: serve generates it at first start; back it up, apart from the database", label)
		}
		return
	case err != nil:
		r.problem(area, "%v", err)
		return
	}
	r.ok(area, "%s: %d key(s), active %s", label, len(ring.IDs()), ring.ActiveID())
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o007 != 0 {
		r.warn(area, "%s is readable by every user (mode %04o): chmod 600, or 640 with the service's group", path, info.Mode().Perm())
	}
	switch {
	case !st.reached:
		return // the database problem is reported
	case !st.exists:
		r.ok(area, "not compared with the database: there is none yet")
		return
	case !st.current:
		r.warn(area, "not compared with the database: its migrations differ from this binary's (see migrations)")
		return
	}
	// Read only, as serve does before it opens the store (bootcheck.go).
	checks, dataKeys, err := o.keyRecords(ctx)
	if err != nil {
		r.problem(area, "read the database's key records to compare: %v", err)
		return
	}
	switch err := seal.VerifyKeyring(ring, checks, dataKeys); {
	case err == nil:
		r.ok(area, "matches the database (its key checks and data keys)")
	case errors.Is(err, seal.ErrKeyringMismatch):
		r.problem(area, "%v", err)
		r.problem(area, "serve refuses to start with this keyring: use the one the database was written with")
	default:
		r.problem(area, "compare with the database: %v", err)
	}
}

// dsnPassword returns the password a DSN (or PGPASSWORD) gives, to keep it out of the report.
func dsnPassword(dsn string) string {
	if dsn == "" {
		return ""
	}
	if cfg, err := pgconn.ParseConfig(dsn); err == nil {
		return cfg.Password
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		pw, _ := u.User.Password()
		return pw
	}
	return ""
}

// describeDSN names a database without its password: user@host:port/database.
func describeDSN(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(unparsable --database-url)"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}
