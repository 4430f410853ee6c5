package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

func connPath(ws, id string, rest ...string) []string {
	return append([]string{"v1", "workspaces", ws, "connections", id}, rest...)
}

// ListConnections lists one page of a workspace's connections matching f, in creation
// order.
func (c *Client) ListConnections(ctx context.Context, workspace string, f ConnectionFilter) (*Page[Connection], error) {
	q := f.query()
	for k, v := range map[string]string{
		"connector_id": f.ConnectorID, "status": f.Status, "environment": f.Environment,
		"external_xref": f.ExternalXref, "tag": f.Tag,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var p Page[Connection]
	_, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "workspaces", workspace, "connections"}, query: q}, &p)
	return pageOrNil(&p, err)
}

// AllConnections iterates over every connection matching f, page after page (f.PageSize
// items per request), from f.PageToken on.
func (c *Client) AllConnections(ctx context.Context, workspace string, f ConnectionFilter) iter.Seq2[Connection, error] {
	return all(ctx, f.ListOptions, func(ctx context.Context, o ListOptions) (*Page[Connection], error) {
		f.ListOptions = o
		return c.ListConnections(ctx, workspace, f)
	})
}

// GetConnection returns a connection, its secrets masked.
func (c *Client) GetConnection(ctx context.Context, workspace, id string) (*Connection, error) {
	var out Connection
	_, err := c.do(ctx, request{method: http.MethodGet, path: connPath(workspace, id)}, &out)
	return objOrNil(&out, err)
}

// CreateConnection creates a connection. The answer masks its secrets.
func (c *Client) CreateConnection(ctx context.Context, workspace string, in ConnectionCreate) (*Connection, error) {
	var h http.Header
	if in.IdempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {in.IdempotencyKey}}
	}
	var out Connection
	_, err := c.do(ctx, request{
		method: http.MethodPost, path: []string{"v1", "workspaces", workspace, "connections"}, body: in, headers: h,
	}, &out)
	return objOrNil(&out, err)
}

// UpdateConnection changes a connection. With ifRevision > 0 the change applies only to that
// revision (If-Match): if someone changed the connection since, it fails with a 412 *Error of
// code CodePreconditionFailed and nothing changes.
func (c *Client) UpdateConnection(ctx context.Context, workspace, id string, p ConnectionPatch, ifRevision int64) (*Connection, error) {
	var out Connection
	_, err := c.do(ctx, request{
		method: http.MethodPatch, path: connPath(workspace, id), body: p,
		ctype: "application/merge-patch+json", headers: ifMatch(ifRevision),
	}, &out)
	return objOrNil(&out, err)
}

// DeleteConnection deletes a connection. A connection in use (see ListUsages) is refused
// with a 409 unless force is set, which also ends its usages.
func (c *Client) DeleteConnection(ctx context.Context, workspace, id string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: connPath(workspace, id), query: q}, nil)
	return err
}

// TestConnection runs the connection's health check now.
func (c *Client) TestConnection(ctx context.Context, workspace, id string) (*ConnectionTest, error) {
	var out ConnectionTest
	_, err := c.do(ctx, request{method: http.MethodPost, path: connPath(workspace, id, "test")}, &out)
	return objOrNil(&out, err)
}

// GetConnectionCredentials returns the connection's config and credentials in clear. It
// needs the scope credentials:read, and every call is an audit event.
func (c *Client) GetConnectionCredentials(ctx context.Context, workspace, id string) (*ConnectionCredentials, error) {
	var out ConnectionCredentials
	_, err := c.do(ctx, request{method: http.MethodGet, path: connPath(workspace, id, "credentials")}, &out)
	return objOrNil(&out, err)
}

// ListUsages lists who uses a connection.
func (c *Client) ListUsages(ctx context.Context, workspace, id string) ([]Usage, error) {
	var p Page[Usage]
	if _, err := c.do(ctx, request{method: http.MethodGet, path: connPath(workspace, id, "usages")}, &p); err != nil {
		return nil, err
	}
	return p.Items, nil
}

// AddUsage records that consumer uses the connection.
func (c *Client) AddUsage(ctx context.Context, workspace, id, consumer string) (*Usage, error) {
	var out Usage
	_, err := c.do(ctx, request{
		method: http.MethodPost, path: connPath(workspace, id, "usages"), body: map[string]string{"consumer": consumer},
	}, &out)
	return objOrNil(&out, err)
}

// DeleteUsage ends a usage.
func (c *Client) DeleteUsage(ctx context.Context, workspace, id, usageID string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: connPath(workspace, id, "usages", usageID)}, nil)
	return err
}

func objOrNil[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

func pageOrNil[T any](p *Page[T], err error) (*Page[T], error) {
	if err != nil {
		return nil, err
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p, nil
}
