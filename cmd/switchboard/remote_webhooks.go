package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	sbclient "github.com/switchboardhq/switchboard/client"
)

func webhooksCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "webhooks",
		Aliases: []string{"webhook"},
		Short:   "Manage the webhook endpoints connection events are delivered to (remote)",
	}
	r := remoteFlags(o, cmd)
	var limit int
	var everything bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the workspace's webhook endpoints",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			var items []sbclient.WebhookEndpoint
			for ep, err := range c.AllWebhookEndpoints(cmd.Context(), r.workspace, sbclient.ListOptions{PageSize: 100}) {
				if err != nil {
					return r.fail(err)
				}
				items = append(items, ep)
			}
			return printList(r, items, endpointColumns)
		},
	}
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show a webhook endpoint",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			ep, err := c.GetWebhookEndpoint(cmd.Context(), r.workspace, args[0])
			if err != nil {
				return r.fail(err)
			}
			return r.printOne(ep, endpointFields(ep))
		},
	}
	var events []string
	var disabled bool
	create := &cobra.Command{
		Use:   "create ENDPOINT_URL",
		Short: "Create a webhook endpoint; prints its signing secret, shown only this once",
		Args:  usageArgs(cobra.ExactArgs(1)),
		Example: `  switchboard webhooks create https://hooks.example.com/switchboard \
    --event connection.created --event connection.deleted`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			in := sbclient.WebhookEndpointCreate{URL: args[0], Events: events}
			if disabled {
				in.Enabled = new(false)
			}
			ep, err := c.CreateWebhookEndpoint(cmd.Context(), r.workspace, in)
			if err != nil {
				return r.fail(err)
			}
			fmt.Fprintln(r.o.stderr, "The signing secret is shown only now: store it where the receiver verifies signatures.")
			return r.printOne(ep, append(endpointFields(ep), outField{"secret", ep.Secret}))
		},
	}
	create.Flags().StringSliceVar(&events, "event", nil, "event type to deliver (repeatable; default all): connection.created, connection.updated, connection.deleted, connection.status_changed, connection.refresh_failed, connection.credentials_read")
	create.Flags().BoolVar(&disabled, "disabled", false, "create it disabled (no deliveries until enabled)")
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a webhook endpoint and its pending deliveries",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			if err := c.DeleteWebhookEndpoint(cmd.Context(), r.workspace, args[0]); err != nil {
				return r.fail(err)
			}
			fmt.Fprintf(r.o.stdout, "deleted %s\n", args[0])
			return nil
		},
	}
	test := &cobra.Command{
		Use:   "test ID",
		Short: "Queue a test event for the endpoint; prints its delivery (see deliveries for the outcome)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			d, err := c.TestWebhookEndpoint(cmd.Context(), r.workspace, args[0])
			if err != nil {
				return r.fail(err)
			}
			return r.printOne(d, deliveryFields(d))
		},
	}
	deliveries := &cobra.Command{
		Use:   "deliveries ID",
		Short: "List an endpoint's deliveries with their status and last attempt",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			items, err := collectPages(r, everything, "more deliveries: --all to list every one",
				func(token string) (*sbclient.Page[sbclient.WebhookDelivery], error) {
					return c.ListWebhookDeliveries(cmd.Context(), r.workspace, args[0], sbclient.ListOptions{PageSize: limit, PageToken: token})
				})
			if err != nil {
				return err
			}
			return printList(r, items, deliveryColumns)
		},
	}
	deliveries.Flags().IntVar(&limit, "limit", 50, "deliveries per page (1-1000)")
	deliveries.Flags().BoolVar(&everything, "all", false, "page through every delivery")
	rotate := &cobra.Command{
		Use:   "rotate-secret ID",
		Short: "Give the endpoint a new signing secret (printed once); the old one signs too for 24 hours",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			ep, err := c.RotateWebhookSecret(cmd.Context(), r.workspace, args[0])
			if err != nil {
				return r.fail(err)
			}
			return r.printOne(ep, append(endpointFields(ep), outField{"secret", ep.Secret}))
		},
	}
	cmd.AddCommand(list, get, create, del, test, deliveries, rotate)
	return cmd
}

var endpointColumns = []outColumn[sbclient.WebhookEndpoint]{
	{"ID", func(e *sbclient.WebhookEndpoint) string { return e.ID }},
	{"URL", func(e *sbclient.WebhookEndpoint) string { return e.URL }},
	{"EVENTS", func(e *sbclient.WebhookEndpoint) string { return joinList(e.Events) }},
	{"ENABLED", func(e *sbclient.WebhookEndpoint) string { return yesNo(e.Enabled) }},
	{"CREATED", func(e *sbclient.WebhookEndpoint) string { return fmtTime(e.CreatedAt) }},
}

func endpointFields(e *sbclient.WebhookEndpoint) []outField {
	return []outField{
		{"id", e.ID}, {"url", e.URL}, {"events", joinList(e.Events)}, {"enabled", yesNo(e.Enabled)},
		{"previous_secret_expires_at", fmtTimePtr(e.PreviousSecretExpiresAt)},
		{"created", fmtTime(e.CreatedAt) + " by " + e.CreatedBy}, {"updated_at", fmtTime(e.UpdatedAt)},
	}
}

var deliveryColumns = []outColumn[sbclient.WebhookDelivery]{
	{"ID", func(d *sbclient.WebhookDelivery) string { return d.ID }},
	{"EVENT", func(d *sbclient.WebhookDelivery) string { return d.EventType }},
	{"STATUS", func(d *sbclient.WebhookDelivery) string { return d.Status }},
	{"ATTEMPTS", func(d *sbclient.WebhookDelivery) string { return fmt.Sprint(d.Attempts) }},
	{"LAST", func(d *sbclient.WebhookDelivery) string { return lastAttempt(d) }},
	{"CREATED", func(d *sbclient.WebhookDelivery) string { return fmtTime(d.CreatedAt) }},
	{"NEXT", func(d *sbclient.WebhookDelivery) string { return fmtTimePtr(d.NextAttemptAt) }},
}

func lastAttempt(d *sbclient.WebhookDelivery) string {
	var parts []string
	if d.LastStatusCode != 0 {
		parts = append(parts, fmt.Sprint(d.LastStatusCode))
	}
	if d.LastError != "" {
		parts = append(parts, d.LastError)
	}
	return strings.Join(parts, " ")
}

func deliveryFields(d *sbclient.WebhookDelivery) []outField {
	fs := []outField{
		{"id", d.ID}, {"endpoint", d.EndpointID}, {"event", d.EventType}, {"status", d.Status},
		{"attempts", fmt.Sprint(d.Attempts)}, {"last", lastAttempt(d)}, {"next_attempt_at", fmtTimePtr(d.NextAttemptAt)},
		{"created_at", fmtTime(d.CreatedAt)}, {"delivered_at", fmtTimePtr(d.DeliveredAt)},
	}
	for i, a := range d.AttemptLog {
		fs = append(fs, outField{fmt.Sprintf("attempt %d", i+1), fmt.Sprintf("%s %d %s (%d ms)", fmtTime(a.At), a.StatusCode, a.Error, a.DurationMS)})
	}
	return fs
}
