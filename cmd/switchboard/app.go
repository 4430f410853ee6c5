package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/sqlite"
)

// options are the settings shared by every command that opens the database. Each comes from a
// flag, else a SWITCHBOARD_* environment variable, else its default.
type options struct {
	dataDir     string
	databaseURL string
	keyring     string
	stdout      io.Writer
	stderr      io.Writer
	log         *slog.Logger
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// usageError marks a command line that could not be parsed (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// Run runs the command line args and returns the exit code: 0 success, 1 failure, 2 usage;
// the remote commands add 3 to 6 (remote.go).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := &options{stdout: stdout, stderr: stderr}
	o.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	root := newRoot(o)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "switchboard:", err)
		// cobra reports an unknown command only in its text; flag errors come typed from
		// SetFlagErrorFunc, so no other error is taken for a usage error by its wording.
		if _, ok := errors.AsType[usageError](err); ok || strings.HasPrefix(err.Error(), "unknown command") {
			return 2
		}
		// The remote commands' codes for not found, conflict, unauthorized, unavailable.
		if e, ok := errors.AsType[exitCoder](err); ok {
			return e.ExitCode()
		}
		return 1
	}
	return 0
}

// newRoot builds the command tree over o. Flag defaults read the SWITCHBOARD_* environment
// as it is now, so a tree built after the environment changed shows the new defaults (config
// check --env-file and the configuration reference rely on that).
func newRoot(o *options) *cobra.Command {
	root := &cobra.Command{
		Use:           "switchboard",
		Short:         "Switchboard keeps the connections a platform makes to other systems",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(o.stdout)
	root.SetErr(o.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&o.dataDir, "data-dir", env("SWITCHBOARD_DATA_DIR", "./switchboard-data"), "directory of the embedded SQLite database and default keyring (env SWITCHBOARD_DATA_DIR)")
	pf.StringVar(&o.databaseURL, "database-url", env("SWITCHBOARD_DATABASE_URL", ""), "postgres://... selects PostgreSQL instead of the embedded SQLite (env SWITCHBOARD_DATABASE_URL)")
	pf.StringVar(&o.keyring, "keyring", env("SWITCHBOARD_KEYRING", ""), "keyring file of id-tagged 32-byte keys (env SWITCHBOARD_KEYRING; default DATA_DIR/keyring)")
	root.AddCommand(serveCmd(o), migrateCmd(o), apikeyCmd(o), accesskeyCmd(o), keysCmd(o), tokenCmd(o))
	root.AddCommand(sealBodyCmd(o), benchCmd(o))
	root.AddCommand(remoteCmds(o)...) // remote.go: daily-work commands against a running server
	root.AddCommand(configCmds(o)...) // configcheck.go: config check, the configuration reference
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}

func (o *options) postgres() bool {
	return strings.HasPrefix(o.databaseURL, "postgres://") || strings.HasPrefix(o.databaseURL, "postgresql://")
}

// openStore opens (and migrates) the configured database.
func (o *options) openStore(ctx context.Context) (switchboard.Store, error) {
	if o.databaseURL != "" {
		if !o.postgres() {
			return nil, errors.New("--database-url must start with postgres:// or postgresql://")
		}
		return postgres.Open(ctx, o.databaseURL)
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(o.dataDir, "switchboard.db"))
}

// keyringPath is the configured keyring file and whether it is the default one.
func (o *options) keyringPath() (string, bool) {
	if o.keyring != "" {
		return o.keyring, false
	}
	return filepath.Join(o.dataDir, "keyring"), true
}

// openKeyring loads the keyring. A missing default keyring is generated, with a warning, only
// when create is set and the database is empty; a database that holds data with a missing
// keyring stops here, with nothing changed. The keyring is then verified against the database.
func (o *options) openKeyring(ctx context.Context, store switchboard.Store, create bool) (*seal.Keyring, *seal.Envelope, error) {
	path, isDefault := o.keyringPath()
	ring, err := seal.LoadKeyring(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		has, herr := store.HasData(ctx)
		if herr != nil {
			return nil, nil, herr
		}
		if has {
			return nil, nil, missingKeyring(path)
		}
		if !create || !isDefault {
			return nil, nil, fmt.Errorf("keyring %s does not exist", path)
		}
		if ring, err = seal.GenerateKey(seal.NewKeyID()); err != nil {
			return nil, nil, err
		}
		// With PostgreSQL nothing else creates the data dir that holds the default keyring.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, fmt.Errorf("data dir: %w", err)
		}
		if err := seal.WriteKeyringFile(path, ring); err != nil {
			return nil, nil, fmt.Errorf("write keyring: %w", err)
		}
		o.log.Warn("generated a new keyring in the data dir; back it up and keep it apart from the database in production (SWITCHBOARD_KEYRING)", "path", path, "key_id", ring.ActiveID())
	default:
		return nil, nil, fmt.Errorf("keyring %s: %w", path, err)
	}
	env := seal.New(store, ring)
	if err := env.Verify(ctx); err != nil {
		return nil, nil, err
	}
	// A replica meeting a data key re-wrapped by a key rotated elsewhere reads the shared
	// keyring file again instead of failing until it restarts.
	env.SetReload(func() (*seal.Keyring, error) { return seal.LoadKeyring(path) })
	return ring, env, nil
}

// newService builds the service over store and sealer with the built-in catalog.
func newService(store switchboard.Store, sealer switchboard.Sealer) (*switchboard.Service, error) {
	defs, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	return switchboard.NewService(store, sealer, defs)
}

func migrateCmd(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := o.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			fmt.Fprintln(o.stdout, "migrations applied")
			return nil
		},
	}
}

// announceOwnerKey prints, on the terminal of whoever made the first start, the owner key
// Bootstrap just created: it is shown this once and never logged.
func announceOwnerKey(w io.Writer, key string) {
	fmt.Fprintf(w, "\nSwitchboard first start: created tenant %q and workspace %q.\n", switchboard.DefaultID, switchboard.DefaultID)
	fmt.Fprintf(w, "Owner API key (all workspaces, credentials:read) — shown only now, store it safely:\n  %s\n", key)
}
