package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	sbclient "github.com/switchboardhq/switchboard/client"
)

// remoteCreateAPIKey is apikey create --remote: the key made by the server, printed as the
// local create prints it (the key on the last line), or as the API's object.
func remoteCreateAPIKey(ctx context.Context, r *remote, in sbclient.APIKeyCreate) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	k, err := c.CreateAPIKey(ctx, r.workspace, in)
	if err != nil {
		return r.fail(err)
	}
	if f, _ := parseFormat(r.output); f != formatTable {
		return writeEncoded(r.o.stdout, f, k)
	}
	fmt.Fprintf(r.o.stdout, "id: %s\nworkspace: %s\nrole: %s\nscopes: %s\n%s\n", k.ID, k.WorkspaceID, k.Role, strings.Join(k.Scopes, ","), k.Key)
	return nil
}

func apikeyListCmd(o *options) *cobra.Command {
	r := &remote{o: o}
	var everything bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the workspace's API keys, revoked ones included (remote; admin role)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			items, err := collectPages(r, everything, "more keys: --all to list every one",
				func(token string) (*sbclient.Page[sbclient.APIKey], error) {
					return c.ListAPIKeys(cmd.Context(), r.workspace, sbclient.ListOptions{PageSize: 100, PageToken: token})
				})
			if err != nil {
				return err
			}
			return printList(r, items, apiKeyColumns)
		},
	}
	r.addFlags(cmd, false, true)
	cmd.Flags().BoolVar(&everything, "all", false, "page through every key (default: the first 100)")
	return cmd
}

func apikeyRevokeCmd(o *options) *cobra.Command {
	r := &remote{o: o}
	cmd := &cobra.Command{
		Use:   "revoke ID...",
		Short: "Revoke API keys: they stop authenticating at once (remote; admin role)",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			for _, id := range args {
				if err := c.RevokeAPIKey(cmd.Context(), r.workspace, id); err != nil {
					return r.fail(fmt.Errorf("%s: %w", id, err))
				}
				fmt.Fprintf(r.o.stdout, "revoked %s\n", id)
			}
			return nil
		},
	}
	r.addFlags(cmd, false, true)
	return cmd
}

var apiKeyColumns = []outColumn[sbclient.APIKey]{
	{"ID", func(k *sbclient.APIKey) string { return k.ID }},
	{"NAME", func(k *sbclient.APIKey) string { return k.Name }},
	{"ROLE", func(k *sbclient.APIKey) string { return k.Role }},
	{"SCOPES", func(k *sbclient.APIKey) string { return joinList(k.Scopes) }},
	{"PREFIX", func(k *sbclient.APIKey) string { return k.Prefix }},
	{"CREATED", func(k *sbclient.APIKey) string { return fmtTime(k.CreatedAt) }},
	{"REVOKED", func(k *sbclient.APIKey) string { return fmtTimePtr(k.RevokedAt) }},
}

// remoteKeyringStatus is keys status --remote: the server's keyring, printed as the local
// status prints it, with the re-wrap progress, or as the API's object.
func remoteKeyringStatus(ctx context.Context, r *remote) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	st, err := c.GetKeyring(ctx)
	if err != nil {
		return r.fail(err)
	}
	if f, _ := parseFormat(r.output); f != formatTable {
		return writeEncoded(r.o.stdout, f, st)
	}
	fmt.Fprintf(r.o.stdout, "active: %s\n", st.ActiveKeyID)
	for _, k := range st.Keys {
		note := ""
		if !k.InKeyring {
			note = " (not in the server's keyring)"
		}
		fmt.Fprintf(r.o.stdout, "key %s: %d data keys%s\n", k.ID, k.Rows, note)
	}
	fmt.Fprintf(r.o.stdout, "re-wrap: %d/%d done, %d remaining\n", st.Rewrap.Done, st.Rewrap.Total, st.Rewrap.Remaining)
	return nil
}
