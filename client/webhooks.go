package client

import (
	"context"
	"iter"
	"net/http"
)

func endpointsPath(ws string, rest ...string) []string {
	return append([]string{"v1", "workspaces", ws, "webhook-endpoints"}, rest...)
}

// CreateWebhookEndpoint creates a webhook endpoint. The answer holds its signing secret, the
// only time it is shown.
func (c *Client) CreateWebhookEndpoint(ctx context.Context, workspace string, in WebhookEndpointCreate) (*WebhookEndpoint, error) {
	var out WebhookEndpoint
	_, err := c.do(ctx, request{method: http.MethodPost, path: endpointsPath(workspace), body: in}, &out)
	return objOrNil(&out, err)
}

// ListWebhookEndpoints lists one page of a workspace's webhook endpoints.
func (c *Client) ListWebhookEndpoints(ctx context.Context, workspace string, opts ListOptions) (*Page[WebhookEndpoint], error) {
	var p Page[WebhookEndpoint]
	_, err := c.do(ctx, request{method: http.MethodGet, path: endpointsPath(workspace), query: opts.query()}, &p)
	return pageOrNil(&p, err)
}

// AllWebhookEndpoints iterates over every webhook endpoint of a workspace.
func (c *Client) AllWebhookEndpoints(ctx context.Context, workspace string, opts ListOptions) iter.Seq2[WebhookEndpoint, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[WebhookEndpoint], error) {
		return c.ListWebhookEndpoints(ctx, workspace, o)
	})
}

// GetWebhookEndpoint returns a webhook endpoint (without its secret).
func (c *Client) GetWebhookEndpoint(ctx context.Context, workspace, id string) (*WebhookEndpoint, error) {
	var out WebhookEndpoint
	_, err := c.do(ctx, request{method: http.MethodGet, path: endpointsPath(workspace, id)}, &out)
	return objOrNil(&out, err)
}

// UpdateWebhookEndpoint changes a webhook endpoint.
func (c *Client) UpdateWebhookEndpoint(ctx context.Context, workspace, id string, p WebhookEndpointPatch) (*WebhookEndpoint, error) {
	var out WebhookEndpoint
	_, err := c.do(ctx, request{
		method: http.MethodPatch, path: endpointsPath(workspace, id), body: p, ctype: "application/merge-patch+json",
	}, &out)
	return objOrNil(&out, err)
}

// DeleteWebhookEndpoint deletes a webhook endpoint and its pending deliveries.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, workspace, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: endpointsPath(workspace, id)}, nil)
	return err
}

// TestWebhookEndpoint queues a test event for the endpoint and returns its delivery.
func (c *Client) TestWebhookEndpoint(ctx context.Context, workspace, id string) (*WebhookDelivery, error) {
	var out WebhookDelivery
	_, err := c.do(ctx, request{method: http.MethodPost, path: endpointsPath(workspace, id, "test")}, &out)
	return objOrNil(&out, err)
}

// ListWebhookDeliveries lists one page of an endpoint's deliveries with their attempts.
func (c *Client) ListWebhookDeliveries(ctx context.Context, workspace, id string, opts ListOptions) (*Page[WebhookDelivery], error) {
	var p Page[WebhookDelivery]
	_, err := c.do(ctx, request{method: http.MethodGet, path: endpointsPath(workspace, id, "deliveries"), query: opts.query()}, &p)
	return pageOrNil(&p, err)
}

// AllWebhookDeliveries iterates over every delivery of an endpoint.
func (c *Client) AllWebhookDeliveries(ctx context.Context, workspace, id string, opts ListOptions) iter.Seq2[WebhookDelivery, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[WebhookDelivery], error) {
		return c.ListWebhookDeliveries(ctx, workspace, id, o)
	})
}

// RotateWebhookSecret gives the endpoint a new signing secret, returned in the answer; for
// 24 hours deliveries are signed with both the new and the previous one.
func (c *Client) RotateWebhookSecret(ctx context.Context, workspace, id string) (*WebhookEndpoint, error) {
	var out WebhookEndpoint
	_, err := c.do(ctx, request{method: http.MethodPost, path: endpointsPath(workspace, id, "rotate-secret")}, &out)
	return objOrNil(&out, err)
}
