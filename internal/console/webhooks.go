package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/switchboardhq/switchboard"
)

type webhooksData struct {
	Items  []*switchboard.WebhookEndpoint
	Events []option
	URL    string
	Error  string
	// Created and Secret are set on the page answering a create: the signing secret is shown
	// this once.
	Created *switchboard.WebhookEndpoint
	Secret  string
}

func (c *Console) webhooksPage(q *req, status int, d webhooksData) error {
	list, _, err := c.cfg.Service.ListWebhookEndpoints(q.ctx, q.ws.ID, switchboard.Page{Limit: 1000})
	if err != nil {
		return err
	}
	d.Items = list
	if d.Events == nil {
		for _, e := range switchboard.WebhookEventTypes {
			d.Events = append(d.Events, option{Value: e, Label: e, Selected: true})
		}
	}
	return c.page(q, status, "webhooks", q.l.T("webhooks.title"), "webhooks", d)
}

func (c *Console) listWebhooks(q *req) error { return c.webhooksPage(q, http.StatusOK, webhooksData{}) }

func (c *Console) createWebhook(q *req) error {
	form := q.r.PostForm
	u := form.Get("url")
	events := form["events"]
	e, secret, err := c.cfg.Service.CreateWebhookEndpoint(q.ctx, q.ws.ID, switchboard.WebhookEndpointInput{URL: &u, Events: nonNilStrings(events)})
	if err != nil {
		if switchboard.ErrorCode(err) != switchboard.CodeInvalid {
			return err
		}
		d := webhooksData{URL: u, Error: q.l.Err(switchboard.AsError(err))}
		for _, t := range switchboard.WebhookEventTypes {
			d.Events = append(d.Events, option{Value: t, Label: t, Selected: slices.Contains(events, t)})
		}
		return c.webhooksPage(q, http.StatusBadRequest, d)
	}
	// Answered directly (no redirect): the secret is on this page only, and the page is
	// never cached (Cache-Control: no-store).
	return c.webhooksPage(q, http.StatusCreated, webhooksData{Created: e, Secret: secret.Reveal()})
}

type webhookData struct {
	E          *switchboard.WebhookEndpoint
	Deliveries []*switchboard.WebhookDelivery
}

// recentDeliveries is how many deliveries the endpoint page shows, newest first.
const recentDeliveries = 20

func (c *Console) showWebhook(q *req) error {
	id := q.r.PathValue("id")
	e, err := c.cfg.Service.GetWebhookEndpoint(q.ctx, q.ws.ID, id)
	if err != nil {
		return err
	}
	all, err := lastN(recentDeliveries, func(after string) ([]*switchboard.WebhookDelivery, string, error) {
		return c.cfg.Service.ListWebhookDeliveries(q.ctx, q.ws.ID, id, switchboard.Page{Limit: 1000, After: after})
	})
	if err != nil {
		return err
	}
	slices.Reverse(all)
	return c.page(q, http.StatusOK, "webhook", e.URL, "webhooks", webhookData{E: e, Deliveries: all})
}

func (c *Console) testWebhook(q *req) error {
	id := q.r.PathValue("id")
	if _, err := c.cfg.Service.TestWebhookEndpoint(q.ctx, q.ws.ID, id); err != nil {
		return err
	}
	return q.redirect(c, q.base()+"/webhooks/"+url.PathEscape(id), flashMsg{Kind: "ok", Key: "flash.webhook_test"})
}
