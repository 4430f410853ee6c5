package client

import (
	"context"
	"iter"
	"net/http"
)

// ListAudit lists one page of a workspace's audit events matching f, oldest first. The
// page's NextPageToken resumes after its last event.
func (c *Client) ListAudit(ctx context.Context, workspace string, f AuditFilter) (*Page[AuditEvent], error) {
	q := f.query()
	if f.ObjectID != "" {
		q.Set("object_id", f.ObjectID)
	}
	if f.Action != "" {
		q.Set("action", f.Action)
	}
	var p Page[AuditEvent]
	_, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "workspaces", workspace, "audit"}, query: q}, &p)
	return pageOrNil(&p, err)
}

// AllAudit iterates over every audit event matching f, oldest first.
func (c *Client) AllAudit(ctx context.Context, workspace string, f AuditFilter) iter.Seq2[AuditEvent, error] {
	return all(ctx, f.ListOptions, func(ctx context.Context, o ListOptions) (*Page[AuditEvent], error) {
		f.ListOptions = o
		return c.ListAudit(ctx, workspace, f)
	})
}
