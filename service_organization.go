package switchboard

// Organizations and the connections enabled for them are a core capability (Auth0's
// organizations are the first family that needs them, the native API serves them too): their
// rules — name format and uniqueness, the access-level enum, the signup/membership rule, the
// usage that keeps an enabled connection from being deleted — live here once.
//
// Roles: a viewer reads organizations and their connections; an editor creates, changes and
// deletes both, as for connections.

import (
	"context"
	"regexp"
)

// Limits of organization fields (Auth0's).
const (
	maxOrgNameLen        = 50
	maxOrgDisplayNameLen = 255
	maxOrgConnNameLen    = 50
)

// orgNamePattern is Auth0's organization name: lowercase letters, digits, "_" and "-".
var orgNamePattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

// OrganizationInput is what a client gives to create an organization.
type OrganizationInput struct {
	Name        string
	DisplayName string
}

// OrganizationPatch changes an organization; nil fields are left alone.
type OrganizationPatch struct {
	Name        *string
	DisplayName *string
}

// OrganizationConnectionInput enables a connection for an organization. Nil flags take their
// defaults: show_as_button true, is_signup_enabled false, assign_membership_on_login false,
// is_enabled true, access level "none".
type OrganizationConnectionInput struct {
	ConnectionID            string
	Name                    *string // nil: none; "" is too short
	AssignMembershipOnLogin *bool
	ShowAsButton            *bool
	IsSignupEnabled         *bool
	AccessLevel             *string
	IsEnabled               *bool
}

// OrganizationConnectionPatch changes an organization connection; nil fields are left alone
// and a Name of "" removes the name.
type OrganizationConnectionPatch struct {
	Name                    *string
	AssignMembershipOnLogin *bool
	ShowAsButton            *bool
	IsSignupEnabled         *bool
	AccessLevel             *string
	IsEnabled               *bool
}

// OrganizationConnectionView is an organization connection with what clients show of the
// connection it enables: its name and its connector's key (Auth0's "strategy").
type OrganizationConnectionView struct {
	*OrganizationConnection
	ConnectionName string
	ConnectorKey   string
}

// ErrSignupNeedsMembership is the message key of the rule that signup is only allowed with
// assign_membership_on_login (Auth0's invalid_body).
const ErrSignupNeedsMembership = "organization_connection.signup_needs_membership"

// OrganizationConsumer is the usage consumer recorded on a connection enabled for an
// organization.
func OrganizationConsumer(orgID string) string { return "organization:" + orgID }

func checkOrganization(o *Organization) error {
	switch {
	case o.Name == "":
		return Invalid("name", "required")
	case len(o.Name) > maxOrgNameLen:
		return Invalid("name", "max_length")
	case !orgNamePattern.MatchString(o.Name):
		return Invalid("name", "pattern")
	case len(o.DisplayName) > maxOrgDisplayNameLen:
		return Invalid("display_name", "max_length")
	}
	return nil
}

// CreateOrganization creates an organization (editor role). Conflict
// "organization.name_taken" when the workspace has one of that name.
func (s *Service) CreateOrganization(ctx context.Context, wsID string, in OrganizationInput) (*Organization, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	o := &Organization{
		ID: NewID(PrefixOrg), WorkspaceID: ws.ID, Name: in.Name, DisplayName: in.DisplayName,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := checkOrganization(o); err != nil {
		return nil, err
	}
	ev := s.event(ctx, p, ws, "organization.create", "organization", o.ID, map[string]any{"name": o.Name})
	if err := s.store.CreateOrganization(ctx, o, ev); err != nil {
		return nil, nameTaken(err, "organization.name_taken", o.Name)
	}
	return o, nil
}

// GetOrganization returns an organization by id or name (viewer role).
func (s *Service) GetOrganization(ctx context.Context, wsID, idOrName string) (*Organization, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, err
	}
	return s.organization(ctx, ws.ID, idOrName)
}

func (s *Service) organization(ctx context.Context, wsID, idOrName string) (*Organization, error) {
	if idOrName == "" || len(idOrName) > 64 {
		return nil, NotFound("organization")
	}
	o, err := s.store.GetOrganization(ctx, wsID, idOrName)
	if ErrorCode(err) == CodeNotFound {
		return nil, NotFound("organization")
	}
	return o, err
}

// ListOrganizations lists a workspace's organizations by id (viewer role), with the id to
// continue after ("" at the end).
func (s *Service) ListOrganizations(ctx context.Context, wsID string, page Page) ([]*Organization, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, "", err
	}
	page = clampPage(page)
	limit := page.Limit
	page.Limit++
	list, err := s.store.ListOrganizations(ctx, ws.ID, page)
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(list, limit, func(o *Organization) string { return o.ID })
	return items, next, nil
}

// UpdateOrganization changes an organization's name or display name (editor role).
func (s *Service) UpdateOrganization(ctx context.Context, wsID, idOrName string, patch OrganizationPatch) (*Organization, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, ws.ID, idOrName)
	if err != nil {
		return nil, err
	}
	var changed []string
	if patch.Name != nil && *patch.Name != o.Name {
		o.Name, changed = *patch.Name, append(changed, "name")
	}
	if patch.DisplayName != nil && *patch.DisplayName != o.DisplayName {
		o.DisplayName, changed = *patch.DisplayName, append(changed, "display_name")
	}
	if err := checkOrganization(o); err != nil {
		return nil, err
	}
	o.UpdatedAt = s.now()
	ev := s.event(ctx, p, ws, "organization.update", "organization", o.ID, map[string]any{"fields": nonNil(changed)})
	if err := s.store.UpdateOrganization(ctx, o, ev); err != nil {
		return nil, nameTaken(err, "organization.name_taken", o.Name)
	}
	return o, nil
}

// DeleteOrganization deletes an organization with its organization connections, and the
// usages they held on the connections (editor role).
func (s *Service) DeleteOrganization(ctx context.Context, wsID, idOrName string) error {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return err
	}
	o, err := s.organization(ctx, ws.ID, idOrName)
	if err != nil {
		return err
	}
	ocs, _, err := s.store.ListOrganizationConnections(ctx, ws.ID, o.ID, OrganizationConnectionFilter{})
	if err != nil {
		return err
	}
	ev := s.event(ctx, p, ws, "organization.delete", "organization", o.ID, map[string]any{"name": o.Name, "connections": len(ocs)})
	if err := s.store.DeleteOrganization(ctx, ws.ID, o.ID, ev); err != nil {
		return err
	}
	for _, oc := range ocs {
		if err := s.releaseUsage(ctx, p, ws, oc.ConnectionID, o.ID); err != nil {
			return err
		}
	}
	return nil
}

func checkOrganizationConnection(oc *OrganizationConnection, nameSet bool) error {
	switch oc.AccessLevel {
	case AccessNone, AccessReadonly, AccessLimited, AccessFull:
	default:
		return Invalid("organization_access_level", "enum")
	}
	switch {
	case nameSet && oc.Name == "":
		return Invalid("organization_connection_name", "min_length")
	case len(oc.Name) > maxOrgConnNameLen:
		return Invalid("organization_connection_name", "max_length")
	case oc.IsSignupEnabled && !oc.AssignMembershipOnLogin:
		return &Error{
			Code: CodeInvalid, Message: ErrSignupNeedsMembership,
			Details: []FieldError{{Field: "is_signup_enabled", Reason: "invalid"}},
		}
	}
	return nil
}

// AddOrganizationConnection enables a connection of the workspace for an organization
// (editor role) and records a usage of the connection by the organization, so the connection
// is not deleted under it. A connection that does not exist is NotFound("connection");
// Conflict "organization_connection.exists" when it is already enabled.
func (s *Service) AddOrganizationConnection(ctx context.Context, wsID, orgID string, in OrganizationConnectionInput) (*OrganizationConnectionView, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, ws.ID, orgID)
	if err != nil {
		return nil, err
	}
	switch {
	case in.ConnectionID == "":
		return nil, Invalid("connection_id", "required")
	case len(in.ConnectionID) > 50:
		return nil, Invalid("connection_id", "max_length")
	}
	c, err := s.store.GetConnection(ctx, ws.ID, in.ConnectionID)
	if ErrorCode(err) == CodeNotFound {
		return nil, NotFound("connection")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	oc := &OrganizationConnection{
		WorkspaceID: ws.ID, OrganizationID: o.ID, ConnectionID: c.ID, Name: deref(in.Name, ""),
		AssignMembershipOnLogin: deref(in.AssignMembershipOnLogin, false),
		ShowAsButton:            deref(in.ShowAsButton, true),
		IsSignupEnabled:         deref(in.IsSignupEnabled, false),
		AccessLevel:             deref(in.AccessLevel, AccessNone),
		IsEnabled:               deref(in.IsEnabled, true),
		CreatedAt:               now, UpdatedAt: now,
	}
	if err := checkOrganizationConnection(oc, in.Name != nil); err != nil {
		return nil, err
	}
	ev := s.event(ctx, p, ws, "organization.connection.add", "organization", o.ID, map[string]any{
		"connection_id": c.ID, "access_level": oc.AccessLevel, "is_enabled": oc.IsEnabled,
	})
	if err := s.store.CreateOrganizationConnection(ctx, oc, ev); err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, NotFound("connection") // deleted meanwhile
		}
		return nil, err
	}
	consumer := OrganizationConsumer(o.ID)
	u := &Usage{ID: NewID(PrefixUsage), WorkspaceID: ws.ID, ConnectionID: c.ID, Consumer: consumer, CreatedAt: now}
	uev := s.event(ctx, p, ws, "connection.usage.add", "connection", c.ID, map[string]any{"consumer": consumer})
	if err := s.store.CreateUsage(ctx, u, uev); err != nil && ErrorCode(err) != CodeConflict {
		// Without its usage the connection could be deleted under the organization: undo.
		_ = s.store.DeleteOrganizationConnection(ctx, ws.ID, o.ID, c.ID, nil)
		if ErrorCode(err) == CodeNotFound {
			return nil, NotFound("connection")
		}
		return nil, err
	}
	return &OrganizationConnectionView{OrganizationConnection: oc, ConnectionName: c.Name, ConnectorKey: s.connectorKey(ctx, ws.ID, c.ConnectorID)}, nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// connectorKey returns the key of a connector by id ("" when it is gone).
func (s *Service) connectorKey(ctx context.Context, wsID, id string) string {
	if b, ok := s.builtins[id]; ok {
		return b.def.Connector.Key
	}
	c, err := s.store.GetConnector(ctx, wsID, id)
	if err != nil {
		return ""
	}
	return c.Key
}

// view adds the connection's name and connector key to oc.
func (s *Service) view(ctx context.Context, oc *OrganizationConnection) (*OrganizationConnectionView, error) {
	c, err := s.store.GetConnection(ctx, oc.WorkspaceID, oc.ConnectionID)
	if err != nil {
		return nil, err
	}
	return &OrganizationConnectionView{OrganizationConnection: oc, ConnectionName: c.Name, ConnectorKey: s.connectorKey(ctx, oc.WorkspaceID, c.ConnectorID)}, nil
}

// orgConnection reads one organization connection of an organization given by id or name.
func (s *Service) orgConnection(ctx context.Context, wsID, orgID, connectionID string) (*Organization, *OrganizationConnection, error) {
	o, err := s.organization(ctx, wsID, orgID)
	if err != nil {
		return nil, nil, err
	}
	oc, err := s.store.GetOrganizationConnection(ctx, wsID, o.ID, connectionID)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil, NotFound("organization_connection")
	}
	return o, oc, err
}

// GetOrganizationConnection returns one connection of an organization (viewer role).
func (s *Service) GetOrganizationConnection(ctx context.Context, wsID, orgID, connectionID string) (*OrganizationConnectionView, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, err
	}
	_, oc, err := s.orgConnection(ctx, ws.ID, orgID, connectionID)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, oc)
}

// ListOrganizationConnections lists an organization's connections by connection id (viewer
// role), with the number of matches. f.Limit is at most 1000; <= 0 means 50.
func (s *Service) ListOrganizationConnections(ctx context.Context, wsID, orgID string, f OrganizationConnectionFilter) ([]*OrganizationConnectionView, int, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, 0, err
	}
	o, err := s.organization(ctx, ws.ID, orgID)
	if err != nil {
		return nil, 0, err
	}
	if f.Offset < 0 {
		return nil, 0, Invalid("offset", "minimum")
	}
	f.Limit = clampPage(Page{Limit: f.Limit}).Limit
	list, total, err := s.store.ListOrganizationConnections(ctx, ws.ID, o.ID, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*OrganizationConnectionView, 0, len(list))
	for _, oc := range list {
		v, err := s.view(ctx, oc)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// UpdateOrganizationConnection changes the flags of an organization connection (editor role).
func (s *Service) UpdateOrganizationConnection(ctx context.Context, wsID, orgID, connectionID string, patch OrganizationConnectionPatch) (*OrganizationConnectionView, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	o, oc, err := s.orgConnection(ctx, ws.ID, orgID, connectionID)
	if err != nil {
		return nil, err
	}
	var changed []string
	setBool := func(field string, dst *bool, v *bool) {
		if v != nil && *v != *dst {
			*dst, changed = *v, append(changed, field)
		}
	}
	setBool("assign_membership_on_login", &oc.AssignMembershipOnLogin, patch.AssignMembershipOnLogin)
	setBool("show_as_button", &oc.ShowAsButton, patch.ShowAsButton)
	setBool("is_signup_enabled", &oc.IsSignupEnabled, patch.IsSignupEnabled)
	setBool("is_enabled", &oc.IsEnabled, patch.IsEnabled)
	if patch.AccessLevel != nil && *patch.AccessLevel != oc.AccessLevel {
		oc.AccessLevel, changed = *patch.AccessLevel, append(changed, "organization_access_level")
	}
	if patch.Name != nil && *patch.Name != oc.Name {
		oc.Name, changed = *patch.Name, append(changed, "organization_connection_name")
	}
	if err := checkOrganizationConnection(oc, false); err != nil {
		return nil, err
	}
	oc.UpdatedAt = s.now()
	ev := s.event(ctx, p, ws, "organization.connection.update", "organization", o.ID, map[string]any{
		"connection_id": oc.ConnectionID, "fields": nonNil(changed),
	})
	if err := s.store.UpdateOrganizationConnection(ctx, oc, ev); err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, NotFound("organization_connection")
		}
		return nil, err
	}
	return s.view(ctx, oc)
}

// DeleteOrganizationConnection disables a connection for an organization and removes the
// organization's usage of it (editor role). The connection itself stays.
func (s *Service) DeleteOrganizationConnection(ctx context.Context, wsID, orgID, connectionID string) error {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return err
	}
	o, oc, err := s.orgConnection(ctx, ws.ID, orgID, connectionID)
	if err != nil {
		return err
	}
	ev := s.event(ctx, p, ws, "organization.connection.remove", "organization", o.ID, map[string]any{"connection_id": oc.ConnectionID})
	if err := s.store.DeleteOrganizationConnection(ctx, ws.ID, o.ID, oc.ConnectionID, ev); err != nil {
		if ErrorCode(err) == CodeNotFound {
			return NotFound("organization_connection")
		}
		return err
	}
	return s.releaseUsage(ctx, p, ws, oc.ConnectionID, o.ID)
}

// releaseUsage removes the usage an organization held on a connection (a connection deleted
// meanwhile took its usages with it).
func (s *Service) releaseUsage(ctx context.Context, p *Principal, ws *Workspace, connectionID, orgID string) error {
	consumer := OrganizationConsumer(orgID)
	us, err := s.store.ListUsages(ctx, ws.ID, connectionID)
	if ErrorCode(err) == CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.Consumer != consumer {
			continue
		}
		ev := s.event(ctx, p, ws, "connection.usage.remove", "connection", connectionID, map[string]any{"usage": u.ID, "consumer": consumer})
		if err := s.store.DeleteUsage(ctx, ws.ID, connectionID, u.ID, ev); err != nil && ErrorCode(err) != CodeNotFound {
			return err
		}
	}
	return nil
}
