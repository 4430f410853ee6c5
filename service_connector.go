package switchboard

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

var connectorKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ConnectorVersionInput is what a client gives to add a connector version.
type ConnectorVersionInput struct {
	Version     string
	Schema      json.RawMessage
	AuthSchemes []string
	Slots       []string
	Permissions []string
	HealthCheck json.RawMessage
	OAuth2      json.RawMessage
}

// ConnectorInput is what a client gives to define a workspace connector with its first version.
type ConnectorInput struct {
	Key         string
	Name        string
	Description string
	Categories  []string
	ConnectorVersionInput
}

// ListConnectors lists the built-in connectors followed by the workspace's own (when wsID is
// not empty). Page.After is a connector id; built-in ids are their keys, which never start
// with "ctr_", so one cursor walks both parts.
func (s *Service) ListConnectors(ctx context.Context, wsID string, page Page) ([]*Connector, string, error) {
	if PrincipalFrom(ctx) == nil {
		return nil, "", Errorf(CodeUnauthenticated, "unauthenticated")
	}
	var ws *Workspace
	if wsID != "" {
		var err error
		if _, ws, err = s.access(ctx, wsID, RoleViewer); err != nil {
			return nil, "", err
		}
	}
	page = clampPage(page)
	var out []*Connector
	workspacePart := strings.HasPrefix(page.After, PrefixConnector+"_")
	if !workspacePart {
		for _, key := range s.builtinOrder {
			if key > page.After || page.After == "" {
				c := s.builtins[key].def.Connector
				out = append(out, &c)
			}
		}
	}
	if ws != nil && len(out) <= page.Limit {
		after := ""
		if workspacePart {
			after = page.After
		}
		own, err := s.store.ListConnectors(ctx, ws.ID, Page{Limit: page.Limit + 1 - len(out), After: after})
		if err != nil {
			return nil, "", err
		}
		out = append(out, own...)
	}
	items, next := pageOf(out, page.Limit, func(c *Connector) string { return c.ID })
	return items, next, nil
}

// GetConnector returns a connector, built-in or the workspace's, by id or key, with its
// versions.
func (s *Service) GetConnector(ctx context.Context, wsID, idOrKey string) (*ConnectorDefinition, error) {
	if PrincipalFrom(ctx) == nil {
		return nil, Errorf(CodeUnauthenticated, "unauthenticated")
	}
	// A workspace path is authorized first, built-ins included: a workspace the principal
	// cannot act in (or that does not exist) is not found, whatever the connector.
	if wsID != "" {
		if _, _, err := s.access(ctx, wsID, RoleViewer); err != nil {
			return nil, err
		}
	}
	if b, ok := s.builtins[idOrKey]; ok {
		d := b.def
		return &d, nil
	}
	if wsID == "" {
		return nil, NotFound("connector")
	}
	c, err := s.store.GetConnector(ctx, wsID, idOrKey)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.ListConnectorVersions(ctx, wsID, c.ID)
	if err != nil {
		return nil, err
	}
	d := &ConnectorDefinition{Connector: *c}
	for _, v := range vs {
		d.Versions = append(d.Versions, *v)
	}
	return d, nil
}

// CreateConnector defines a workspace connector with its first version (admin role).
func (s *Service) CreateConnector(ctx context.Context, wsID string, in ConnectorInput) (*ConnectorDefinition, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	in.Key = strings.TrimSpace(in.Key)
	switch {
	case in.Key == "":
		return nil, Invalid("key", "required")
	case !connectorKeyPattern.MatchString(in.Key):
		return nil, Invalid("key", "pattern")
	}
	if _, ok := s.builtins[in.Key]; ok {
		return nil, Conflict("connector.key_taken", "Key", in.Key)
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		in.Name = in.Key
	}
	if len(in.Name) > 200 {
		return nil, Invalid("name", "max_length")
	}
	if len(in.Description) > 2000 {
		return nil, Invalid("description", "max_length")
	}
	v, _, err := s.newVersion(in.ConnectorVersionInput)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &Connector{
		ID:            NewID(PrefixConnector),
		WorkspaceID:   ws.ID,
		Key:           in.Key,
		Name:          in.Name,
		Description:   in.Description,
		Categories:    nonNil(in.Categories),
		LatestVersion: v.Version,
		CreatedAt:     now,
		CreatedBy:     p.Subject,
	}
	v.ConnectorID, v.WorkspaceID, v.CreatedAt = c.ID, ws.ID, now
	ev := s.event(ctx, p, ws, "connector.create", "connector", c.ID, map[string]any{"key": c.Key, "version": v.Version})
	if err := s.store.CreateConnector(ctx, c, v, ev); err != nil {
		if ErrorCode(err) == CodeConflict {
			return nil, Conflict("connector.key_taken", "Key", in.Key)
		}
		return nil, err
	}
	return &ConnectorDefinition{Connector: *c, Versions: []ConnectorVersion{*v}}, nil
}

// CreateConnectorVersion adds a version to a workspace connector (admin role).
func (s *Service) CreateConnectorVersion(ctx context.Context, wsID, idOrKey string, in ConnectorVersionInput) (*ConnectorVersion, error) {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, err
	}
	if _, ok := s.builtins[idOrKey]; ok {
		return nil, Errorf(CodeForbidden, "connector.builtin")
	}
	c, err := s.store.GetConnector(ctx, ws.ID, idOrKey)
	if err != nil {
		return nil, err
	}
	v, _, err := s.newVersion(in)
	if err != nil {
		return nil, err
	}
	v.ConnectorID, v.WorkspaceID, v.CreatedAt = c.ID, ws.ID, s.now()
	ev := s.event(ctx, p, ws, "connector.version.create", "connector", c.ID, map[string]any{"version": v.Version})
	if err := s.store.CreateConnectorVersion(ctx, v, ev); err != nil {
		if ErrorCode(err) == CodeConflict {
			return nil, Conflict("connector_version.exists", "Version", v.Version)
		}
		return nil, err
	}
	return v, nil
}

var versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (s *Service) newVersion(in ConnectorVersionInput) (*ConnectorVersion, *configSchema, error) {
	if in.Version == "" {
		in.Version = "1.0.0"
	}
	if !versionPattern.MatchString(in.Version) {
		return nil, nil, Invalid("version", "pattern")
	}
	cs, err := compileSchema("schema", in.Schema)
	if err != nil {
		return nil, nil, err
	}
	for i, a := range in.AuthSchemes {
		if !CredentialType(a).Valid() {
			return nil, nil, Invalid(indexField("auth_schemes", i), "enum")
		}
	}
	for i, sl := range in.Slots {
		if sl != "action" && sl != "trigger" {
			return nil, nil, Invalid(indexField("slots", i), "enum")
		}
	}
	for _, raw := range []struct {
		field string
		v     json.RawMessage
	}{{"health_check", in.HealthCheck}, {"oauth2", in.OAuth2}} {
		if len(raw.v) > 0 && !json.Valid(raw.v) {
			return nil, nil, Invalid(raw.field, "type")
		}
	}
	if err := checkConnectorURLs(in.OAuth2, in.HealthCheck); err != nil {
		return nil, nil, err
	}
	return &ConnectorVersion{
		Version:     in.Version,
		Schema:      in.Schema,
		AuthSchemes: nonNil(in.AuthSchemes),
		Slots:       nonNil(in.Slots),
		Permissions: nonNil(in.Permissions),
		HealthCheck: in.HealthCheck,
		OAuth2:      in.OAuth2,
	}, cs, nil
}

// schemaFor returns the compiled schema of a connector version (built-in or the workspace's)
// and the resolved connector and version; version "" means the latest.
func (s *Service) schemaFor(ctx context.Context, wsID, idOrKey, version string) (*Connector, string, *configSchema, error) {
	if b, ok := s.builtins[idOrKey]; ok {
		if version == "" {
			version = b.def.Connector.LatestVersion
		}
		cs, ok := b.schemas[version]
		if !ok {
			return nil, "", nil, Invalid("connector_version", "enum")
		}
		c := b.def.Connector
		return &c, version, cs, nil
	}
	c, err := s.store.GetConnector(ctx, wsID, idOrKey)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, "", nil, Invalid("connector_id", "enum")
		}
		return nil, "", nil, err
	}
	if version == "" {
		version = c.LatestVersion
	}
	key := wsID + "/" + c.ID + "/" + version
	s.mu.RLock()
	cs := s.schemas[key]
	s.mu.RUnlock()
	if cs != nil {
		return c, version, cs, nil
	}
	v, err := s.store.GetConnectorVersion(ctx, wsID, c.ID, version)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, "", nil, Invalid("connector_version", "enum")
		}
		return nil, "", nil, err
	}
	if cs, err = compileSchema("schema", v.Schema); err != nil {
		return nil, "", nil, Internal(err)
	}
	cs.version = v
	s.mu.Lock()
	s.schemas[key] = cs
	s.mu.Unlock()
	return c, version, cs, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// checkConnectorURLs refuses, in a connector's oauth2 block, token and authorize URLs that
// CheckOutboundURL refuses, and likewise a health check URL written without templates:
// Switchboard calls them later on the workspace's behalf.
func checkConnectorURLs(oauth2, healthCheck json.RawMessage) error {
	var o struct {
		AuthorizeURL *string `json:"authorize_url"`
		TokenURL     *string `json:"token_url"`
	}
	if len(oauth2) > 0 && json.Unmarshal(oauth2, &o) == nil {
		for _, u := range []struct {
			field string
			v     *string
		}{{"oauth2.authorize_url", o.AuthorizeURL}, {"oauth2.token_url", o.TokenURL}} {
			if u.v != nil && CheckOutboundURL(*u.v) != nil {
				return Invalid(u.field, "http_url")
			}
		}
	}
	var hc struct {
		URL *string `json:"url"`
	}
	if len(healthCheck) > 0 && json.Unmarshal(healthCheck, &hc) == nil && hc.URL != nil &&
		!strings.Contains(*hc.URL, "{{") && CheckOutboundURL(*hc.URL) != nil {
		return Invalid("health_check.url", "http_url")
	}
	return nil
}
