package client

import (
	"context"
	"iter"
	"net/http"
)

// CreateAPIKey creates an API key bound to the workspace. The answer's Key is the key
// itself, shown this once (the server keeps only its hash).
func (c *Client) CreateAPIKey(ctx context.Context, workspace string, in APIKeyCreate) (*APIKey, error) {
	var out APIKey
	_, err := c.do(ctx, request{method: http.MethodPost, path: []string{"v1", "workspaces", workspace, "api-keys"}, body: in}, &out)
	return objOrNil(&out, err)
}

// ListAPIKeys lists one page of a workspace's API keys, revoked ones included.
func (c *Client) ListAPIKeys(ctx context.Context, workspace string, opts ListOptions) (*Page[APIKey], error) {
	var p Page[APIKey]
	_, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "workspaces", workspace, "api-keys"}, query: opts.query()}, &p)
	return pageOrNil(&p, err)
}

// AllAPIKeys iterates over every API key of a workspace.
func (c *Client) AllAPIKeys(ctx context.Context, workspace string, opts ListOptions) iter.Seq2[APIKey, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[APIKey], error) {
		return c.ListAPIKeys(ctx, workspace, o)
	})
}

// RevokeAPIKey revokes an API key: it stops authenticating at once.
func (c *Client) RevokeAPIKey(ctx context.Context, workspace, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: []string{"v1", "workspaces", workspace, "api-keys", id}}, nil)
	return err
}
