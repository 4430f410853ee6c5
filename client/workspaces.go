package client

import (
	"context"
	"iter"
	"net/http"
)

// ListWorkspaces lists one page of the workspaces the caller can act in.
func (c *Client) ListWorkspaces(ctx context.Context, opts ListOptions) (*Page[Workspace], error) {
	var p Page[Workspace]
	_, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "workspaces"}, query: opts.query()}, &p)
	return pageOrNil(&p, err)
}

// AllWorkspaces iterates over every workspace the caller can act in.
func (c *Client) AllWorkspaces(ctx context.Context, opts ListOptions) iter.Seq2[Workspace, error] {
	return all(ctx, opts, c.ListWorkspaces)
}

// GetWorkspace returns a workspace.
func (c *Client) GetWorkspace(ctx context.Context, id string) (*Workspace, error) {
	var out Workspace
	_, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "workspaces", id}}, &out)
	return objOrNil(&out, err)
}

// connectorsPath is /v1/workspaces/{ws}/connectors, or /v1/connectors when ws is "".
func connectorsPath(ws string, rest ...string) []string {
	if ws == "" {
		return append([]string{"v1", "connectors"}, rest...)
	}
	return append([]string{"v1", "workspaces", ws, "connectors"}, rest...)
}

// ListConnectors lists one page of the connectors a workspace can use: the built-in catalog
// and the workspace's own. With workspace "" it lists the global catalog
// (GET /v1/connectors).
func (c *Client) ListConnectors(ctx context.Context, workspace string, opts ListOptions) (*Page[Connector], error) {
	var p Page[Connector]
	_, err := c.do(ctx, request{method: http.MethodGet, path: connectorsPath(workspace), query: opts.query()}, &p)
	return pageOrNil(&p, err)
}

// AllConnectors iterates over every connector ListConnectors would page through.
func (c *Client) AllConnectors(ctx context.Context, workspace string, opts ListOptions) iter.Seq2[Connector, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[Connector], error) {
		return c.ListConnectors(ctx, workspace, o)
	})
}

// GetConnector returns a connector with its versions, by id or key. With workspace "" it
// looks in the global catalog (GET /v1/connectors/{id}).
func (c *Client) GetConnector(ctx context.Context, workspace, id string) (*Connector, error) {
	var out Connector
	_, err := c.do(ctx, request{method: http.MethodGet, path: connectorsPath(workspace, id)}, &out)
	return objOrNil(&out, err)
}
