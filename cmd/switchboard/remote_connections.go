package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	sbclient "github.com/switchboardhq/switchboard/client"
)

func connectionsCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "connections",
		Aliases: []string{"connection"},
		Short:   "List, show, create, change, test, delete and import connections (remote)",
	}
	r := remoteFlags(o, cmd)
	cmd.AddCommand(connListCmd(r), connGetCmd(r), connCreateCmd(r), connUpdateCmd(r), connTestCmd(r),
		connDeleteCmd(r), connCredentialsCmd(r), connImportCmd(r))
	return cmd
}

func connListCmd(r *remote) *cobra.Command {
	var f sbclient.ConnectionFilter
	var search, pageToken string
	var limit int
	var everything bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List connections, filtered; one page unless --all",
		Long: `List the workspace's connections in creation order, filtered by the flags.

Without --all it prints at most --limit connections and, when there are more, the
--page-token of the next page on stderr. --search matches a case-insensitive substring of
the name or description; the server has no such filter, so it is applied here, over the
pages it reads.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			if limit < 1 || limit > 1000 {
				return usageError{fmt.Errorf("--limit %d: want 1 to 1000", limit)}
			}
			f.Status = strings.ToUpper(f.Status)
			f.PageSize, f.PageToken = limit, pageToken
			if search != "" || everything {
				f.PageSize = 1000
			}
			match := func(conn *sbclient.Connection) bool {
				if search == "" {
					return true
				}
				s := strings.ToLower(search)
				return strings.Contains(strings.ToLower(conn.Name), s) || strings.Contains(strings.ToLower(conn.Description), s)
			}
			var items []sbclient.Connection
			for {
				p, err := c.ListConnections(cmd.Context(), r.workspace, f)
				if err != nil {
					return r.fail(err)
				}
				for i := range p.Items {
					if match(&p.Items[i]) {
						items = append(items, p.Items[i])
					}
				}
				if !everything && len(items) >= limit {
					if len(items) > limit || p.NextPageToken != "" {
						items = items[:limit]
						if search == "" {
							fmt.Fprintf(r.o.stderr, "more connections: --page-token %s (or --all)\n", p.NextPageToken)
						} else {
							fmt.Fprintln(r.o.stderr, "more connections may match: --all to list every one")
						}
					}
					break
				}
				if p.NextPageToken == "" {
					break
				}
				f.PageToken = p.NextPageToken
			}
			return printList(r, items, connectionColumns)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ConnectorID, "connector", "", "only connections of this connector (key or id)")
	fl.StringVar(&f.Status, "status", "", "only connections in this status: PENDING, CONFIGURING, ACTIVE, FAILED, SUSPENDED, CLOSED, DISABLED or PAUSED")
	fl.StringVar(&f.Environment, "environment", "", "only connections of this environment (e.g. production)")
	fl.StringVar(&f.ExternalXref, "external-ref", "", "only connections with this external reference (external_xref)")
	fl.StringVar(&f.Tag, "tag", "", "only connections with this tag")
	fl.StringVar(&search, "search", "", "only connections whose name or description contains this text (case-insensitive, filtered by the CLI)")
	fl.IntVar(&limit, "limit", 50, "most connections to print without --all (1-1000)")
	fl.BoolVar(&everything, "all", false, "page through every matching connection")
	fl.StringVar(&pageToken, "page-token", "", "start at this page (the token a previous list printed)")
	return cmd
}

func connGetCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show a connection (secret config fields masked)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			conn, err := c.GetConnection(cmd.Context(), r.workspace, args[0])
			if err != nil {
				return r.fail(err)
			}
			return r.printOne(conn, connectionFields(conn))
		},
	}
}

func connTestCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "test ID",
		Short: "Run the connection's health check now; exit 1 when it fails",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			res, err := c.TestConnection(cmd.Context(), r.workspace, args[0])
			if err != nil {
				return r.fail(err)
			}
			if err := r.printOne(res, []outField{
				{"connection", res.Connection.ID}, {"healthy", yesNo(res.Result.Healthy)},
				{"error", res.Result.Error}, {"checked_at", fmtTime(res.Result.CheckedAt)}, {"status", res.Connection.Status},
			}); err != nil {
				return err
			}
			if !res.Result.Healthy {
				return fmt.Errorf("health check of %s failed: %s", res.Connection.ID, res.Result.Error)
			}
			return nil
		},
	}
}

func connDeleteCmd(r *remote) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete connections; one in use needs --force",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			var last error
			for _, id := range args {
				if err := c.DeleteConnection(cmd.Context(), r.workspace, id, force); err != nil {
					last = r.fail(err)
					if sbclient.HasCode(err, sbclient.CodeConflict) && !force {
						last = fmt.Errorf("%w (--force deletes it and ends its usages)", last)
						last = &exitError{exitConflict, last}
					}
					if len(args) > 1 {
						fmt.Fprintf(r.o.stderr, "%s: %v\n", id, last)
					}
					continue
				}
				fmt.Fprintf(r.o.stdout, "deleted %s\n", id)
			}
			if last != nil && len(args) > 1 {
				var ee *exitError
				if errors.As(last, &ee) {
					return &exitError{ee.code, errors.New("some connections were not deleted")}
				}
				return errors.New("some connections were not deleted")
			}
			return last
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete even when the connection is in use, ending its usages")
	return cmd
}

func connCredentialsCmd(r *remote) *cobra.Command {
	return &cobra.Command{
		Use:   "credentials ID",
		Short: "Print the connection's config and credentials IN CLEAR (needs credentials:read; audited)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			cc, err := c.GetConnectionCredentials(cmd.Context(), r.workspace, args[0])
			if err != nil {
				return r.fail(err)
			}
			fs := []outField{{"connection", cc.ConnectionID}, {"connector", cc.ConnectorID}}
			fs = append(fs, mapFields("config", cc.Config)...)
			for _, cr := range cc.Credentials.Action {
				fs = append(fs, mapFields("action "+cr.ID, cr.Data)...)
			}
			for _, cr := range cc.Credentials.Trigger {
				fs = append(fs, mapFields("trigger "+cr.ID, cr.Data)...)
			}
			if t := cc.OAuth2; t != nil {
				fs = append(fs, outField{"oauth2.access_token", t.AccessToken}, outField{"oauth2.token_type", t.TokenType},
					outField{"oauth2.expires_at", fmtTimePtr(t.ExpiresAt)})
			}
			return r.printOne(cc, fs)
		},
	}
}

var connectionColumns = []outColumn[sbclient.Connection]{
	{"ID", func(c *sbclient.Connection) string { return c.ID }},
	{"NAME", func(c *sbclient.Connection) string { return c.Name }},
	{"CONNECTOR", func(c *sbclient.Connection) string { return c.ConnectorID }},
	{"STATUS", func(c *sbclient.Connection) string { return c.Status }},
	{"ENVIRONMENT", func(c *sbclient.Connection) string { return c.Environment }},
	{"EXTERNAL-REF", func(c *sbclient.Connection) string { return c.ExternalXref }},
	{"TAGS", func(c *sbclient.Connection) string { return joinList(c.Tags) }},
	{"UPDATED", func(c *sbclient.Connection) string { return fmtTime(c.UpdatedAt) }},
}

func connectionFields(c *sbclient.Connection) []outField {
	fs := []outField{
		{"id", c.ID}, {"name", c.Name}, {"connector", c.ConnectorID + "@" + c.ConnectorVersion},
		{"status", c.Status}, {"enabled", yesNo(c.Enabled)}, {"paused", yesNo(c.Paused)},
		{"environment", c.Environment}, {"external_ref", c.ExternalXref}, {"tags", joinList(c.Tags)},
		{"description", c.Description},
	}
	fs = append(fs, mapFields("config", c.Config)...)
	fs = append(fs, outField{"secret_fields", joinList(c.SecretFields)})
	for _, v := range c.Variables {
		fs = append(fs, outField{"variable." + v.Name, v.Value})
	}
	fs = append(fs,
		outField{"credentials.action", joinList(c.Credentials.Action)}, outField{"credentials.trigger", joinList(c.Credentials.Trigger)},
		outField{"permissions", joinList(c.Permissions)}, outField{"categories", joinList(c.Categories)},
		outField{"last_healthy_at", fmtTimePtr(c.Health.LastHealthyAt)}, outField{"last_unhealthy_at", fmtTimePtr(c.Health.LastUnhealthyAt)},
		outField{"last_error", c.Health.LastError}, outField{"usages", fmt.Sprint(c.Usages)},
		outField{"created", fmtTime(c.CreatedAt) + " by " + c.CreatedBy}, outField{"updated", fmtTime(c.UpdatedAt) + " by " + c.UpdatedBy},
		outField{"revision", fmt.Sprint(c.Revision)},
	)
	if c.Unreadable {
		fs = append(fs, outField{"unreadable", "yes: its secrets cannot be decrypted with the server's keyring"})
	}
	return fs
}
