package console

import (
	"net/http"

	"github.com/switchboardhq/switchboard"
)

type apiKeysData struct {
	Items    []*switchboard.APIKey
	Roles    []option
	CanScope bool // the principal holds credentials:read, so it may grant it
	Name     string
	Error    string
	// Created and Key are set on the page answering a create: the key is shown this once.
	Created *switchboard.APIKey
	Key     string
}

func (c *Console) apiKeysPage(q *req, status int, d apiKeysData) error {
	list, _, err := c.cfg.Service.ListAPIKeys(q.ctx, q.ws.ID, switchboard.Page{Limit: 1000})
	if err != nil {
		return err
	}
	d.Items = list
	d.CanScope = q.p.HasScope(switchboard.ScopeCredentialsRead)
	selected := switchboard.RoleViewer
	for _, r := range []switchboard.Role{switchboard.RoleViewer, switchboard.RoleEditor, switchboard.RoleAdmin, switchboard.RoleOwner} {
		if q.p.Role.AtLeast(r) { // a key never gets more than its creator holds
			d.Roles = append(d.Roles, option{Value: string(r), Label: q.l.T("role." + string(r)), Selected: r == selected})
		}
	}
	return c.page(q, status, "apikeys", q.l.T("apikeys.title"), "apikeys", d)
}

func (c *Console) listAPIKeys(q *req) error { return c.apiKeysPage(q, http.StatusOK, apiKeysData{}) }

func (c *Console) createAPIKey(q *req) error {
	form := q.r.PostForm
	in := switchboard.APIKeyInput{WorkspaceID: q.ws.ID, Role: switchboard.Role(form.Get("role")), Name: form.Get("name"), Scopes: []string{}}
	if form.Get("scope_credentials_read") != "" {
		in.Scopes = append(in.Scopes, switchboard.ScopeCredentialsRead)
	}
	k, key, err := c.cfg.Service.CreateAPIKey(q.ctx, in)
	if err != nil {
		if switchboard.ErrorCode(err) != switchboard.CodeInvalid {
			return err
		}
		return c.apiKeysPage(q, http.StatusBadRequest, apiKeysData{Name: in.Name, Error: q.l.Err(switchboard.AsError(err))})
	}
	// Answered directly (no redirect), so the key is on this one page, never stored.
	return c.apiKeysPage(q, http.StatusCreated, apiKeysData{Created: k, Key: key})
}

func (c *Console) revokeAPIKey(q *req) error {
	id := q.r.PathValue("id")
	if err := c.cfg.Service.RevokeAPIKey(q.ctx, q.ws.ID, id); err != nil {
		return err
	}
	return q.redirect(c, q.base()+"/api-keys", flashMsg{Kind: "ok", Key: "flash.key_revoked", Args: map[string]any{"ID": id}})
}
