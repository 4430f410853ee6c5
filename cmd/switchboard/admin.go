package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchboardhq/switchboard"
	sbclient "github.com/switchboardhq/switchboard/client"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/seal"
)

func apikeyCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys"}
	var ws, role, name string
	var scopes []string
	var remoteCreate bool
	rk := &remote{o: o}
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key; prints it as the last line of stdout",
		Long: `Create an API key; it is printed as the last line of stdout, shown only this once.

By default the key is written straight into the local database (--data-dir or
--database-url): that is how the first keys are made, before there is a key to call a server
with. With --remote it is created through a running server (--url, --token) instead, bound to
--workspace, with at most the calling key's own role and scopes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if remoteCreate {
				rk.workspace = ws
				return remoteCreateAPIKey(ctx, rk, sbclient.APIKeyCreate{Name: name, Role: role, Scopes: scopes})
			}
			store, err := o.openStore(ctx)
			if err != nil {
				return err
			}
			defer store.Close()
			tenant := ""
			if ws == switchboard.AllWorkspaces {
				tenant = switchboard.DefaultID
			} else {
				w, err := store.GetWorkspace(ctx, ws)
				if err != nil {
					return fmt.Errorf("workspace %q: %w", ws, err)
				}
				tenant = w.TenantID
			}
			// Creating a key needs no secret to be sealed, so no keyring is opened here.
			svc, err := newService(store, nil)
			if err != nil {
				return err
			}
			ctx = switchboard.WithPrincipal(ctx, switchboard.SystemPrincipal(tenant))
			k, key, err := svc.CreateAPIKey(ctx, switchboard.APIKeyInput{
				WorkspaceID: ws, Role: switchboard.Role(role), Scopes: scopes, Name: name,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "id: %s\nworkspace: %s\nrole: %s\nscopes: %s\n%s\n", k.ID, k.WorkspaceID, k.Role, strings.Join(k.Scopes, ","), key)
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&ws, "workspace", switchboard.DefaultID, `workspace id the key acts in ("*" for all of the default tenant's)`)
	f.StringVar(&role, "role", "viewer", "owner, admin, editor or viewer")
	f.StringSliceVar(&scopes, "scope", nil, "extra scope: credentials:read")
	f.StringVar(&name, "name", "", "a name to recognise the key by")
	f.BoolVar(&remoteCreate, "remote", false, "create the key through a running server (--url, --token) instead of the local database")
	rk.addFlags(create, false, false)
	cmd.AddCommand(create, apikeyListCmd(o), apikeyRevokeCmd(o))
	return cmd
}

func accesskeyCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{Use: "accesskey", Short: "Manage access keys (AK/SK) for signed requests (Huawei Cloud SDKs)"}
	var ws, role, name string
	var scopes []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an access key for one workspace; prints its AK and, as the last line of stdout, its SK",
		Args:  cobra.NoArgs,
		// The SK is stored sealed, so the keyring is needed.
		RunE: o.withKeyring(func(ctx context.Context, store switchboard.Store, _ *seal.Keyring, env *seal.Envelope) error {
			w, err := store.GetWorkspace(ctx, ws)
			if err != nil {
				return fmt.Errorf("workspace %q: %w", ws, err)
			}
			svc, err := newService(store, env)
			if err != nil {
				return err
			}
			ctx = switchboard.WithPrincipal(ctx, switchboard.SystemPrincipal(w.TenantID))
			k, sk, err := svc.CreateAccessKey(ctx, switchboard.APIKeyInput{
				WorkspaceID: ws, Role: switchboard.Role(role), Scopes: scopes, Name: name,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "project: %s\nworkspace: %s\nrole: %s\nscopes: %s\nAK: %s\nSK: %s\n",
				k.TenantID, k.WorkspaceID, k.Role, strings.Join(k.Scopes, ","), k.ID, sk.Reveal())
			return nil
		}),
	}
	f := create.Flags()
	f.StringVar(&ws, "workspace", switchboard.DefaultID, "workspace id the key acts in (one workspace)")
	f.StringVar(&role, "role", "viewer", "owner, admin, editor or viewer")
	f.StringSliceVar(&scopes, "scope", nil, "extra scope: credentials:read")
	f.StringVar(&name, "name", "", "a name to recognise the key by")
	cmd.AddCommand(create)
	return cmd
}

func keysCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the keyring of key-encryption keys"}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new key to the keyring and re-wrap every workspace data key with it",
		Args:  cobra.NoArgs,
		RunE: o.withKeyring(func(ctx context.Context, store switchboard.Store, ring *seal.Keyring, _ *seal.Envelope) error {
			id := seal.NewKeyID()
			for ring.Has(id) {
				time.Sleep(time.Second) // ids are per second; never reuse one
				id = seal.NewKeyID()
			}
			if err := ring.Add(id); err != nil {
				return err
			}
			path, _ := o.keyringPath()
			// The file gets the new key before anything is wrapped with it, so no data key is
			// ever wrapped by a key that is not on disk.
			if err := seal.WriteKeyringFile(path, ring); err != nil {
				return fmt.Errorf("write keyring: %w", err)
			}
			env := seal.New(store, ring)
			n, err := env.Rewrap(ctx, func(done, total int) {
				fmt.Fprintf(o.stderr, "\rre-wrapping data keys: %d/%d", done, total)
			})
			fmt.Fprintln(o.stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "active key: %s\nre-wrapped data keys: %d\n", id, n)
			return printStatus(ctx, o, env)
		}),
	}
	var remoteStatus bool
	rk := &remote{o: o}
	localStatus := o.withKeyring(func(ctx context.Context, _ switchboard.Store, _ *seal.Keyring, env *seal.Envelope) error {
		return printStatus(ctx, o, env)
	})
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the active key and how many data keys each key wraps",
		Long: `Show the active key and how many data keys each key wraps, from the local database and
keyring; with --remote, from a running server (GET /v1/keyring, a tenant-wide admin token),
with the progress of a re-wrap.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if remoteStatus {
				return remoteKeyringStatus(cmd.Context(), rk)
			}
			return localStatus(cmd, args)
		},
	}
	status.Flags().BoolVar(&remoteStatus, "remote", false, "ask a running server (--url, --token) instead of opening the database and keyring")
	rk.addFlags(status, false, false)
	cmd.AddCommand(rotate, status)
	return cmd
}

// withKeyring runs f with the database open and the keyring loaded and verified against it
// (never generated: the key commands work on an existing installation).
func (o *options) withKeyring(f func(context.Context, switchboard.Store, *seal.Keyring, *seal.Envelope) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if err := o.refuseKeyringBeforeOpen(ctx, false); err != nil {
			return err
		}
		store, err := o.openStore(ctx)
		if err != nil {
			return err
		}
		defer store.Close()
		ring, env, err := o.openKeyring(ctx, store, false)
		if err != nil {
			return err
		}
		return f(ctx, store, ring, env)
	}
}

func printStatus(ctx context.Context, o *options, env *seal.Envelope) error {
	st, err := env.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "active: %s\n", st.ActiveKEKID)
	for _, id := range st.KEKIDs {
		fmt.Fprintf(o.stdout, "key %s: %d data keys\n", id, st.DataKeys[id])
	}
	return nil
}

func tokenCmd(o *options) *cobra.Command {
	var c auth.Claims
	var secret string
	var ttl time.Duration
	var role string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint an HS256 JWT for development (the server must run with the same --jwt-hs256-secret)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if secret == "" {
				return fmt.Errorf("--secret (or SWITCHBOARD_JWT_HS256_SECRET) is required")
			}
			c.Role = switchboard.Role(role)
			tok, err := auth.MintHS256([]byte(secret), c, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(o.stdout, tok)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&secret, "secret", env("SWITCHBOARD_JWT_HS256_SECRET", ""), "HS256 secret (env SWITCHBOARD_JWT_HS256_SECRET)")
	f.StringVar(&c.Subject, "sub", "dev", "subject")
	f.StringVar(&c.TenantID, "tenant", switchboard.DefaultID, "tenant id")
	f.StringSliceVar(&c.Workspaces, "workspace", []string{switchboard.DefaultID}, `workspace ids ("*" for all)`)
	f.StringVar(&role, "role", "viewer", "owner, admin, editor or viewer")
	f.StringSliceVar(&c.Scopes, "scope", nil, "scopes, e.g. credentials:read")
	f.StringVar(&c.Issuer, "iss", env("SWITCHBOARD_JWT_ISSUER", ""), "issuer")
	f.StringVar(&c.Audience, "aud", env("SWITCHBOARD_JWT_AUDIENCE", ""), "audience")
	f.DurationVar(&ttl, "ttl", time.Hour, "lifetime")
	return cmd
}
