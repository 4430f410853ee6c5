package switchboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// ConnectionInput is what a client gives to create a connection. Config holds every field of
// the connector version's schema, secret ones included; the service splits them.
type ConnectionInput struct {
	ConnectorID      string
	ConnectorVersion string // "" = the connector's latest
	Name             string
	Description      string
	Config           map[string]any
	Variables        []Variable
	Credentials      CredentialRefs
	Enabled          *bool // nil = true
	Paused           bool
	Environment      string
	ExternalXref     string
	Tags             []string
	Permissions      []string
	Categories       []string
}

// ConnectionPatch changes a connection with JSON merge-patch semantics: nil fields are left
// alone; in Config a nil value removes the key. A secret field sent back with its own mask
// is left unchanged, so a client can send back what it read.
type ConnectionPatch struct {
	Name             *string
	Description      *string
	ConnectorVersion *string
	Config           map[string]any
	ReplaceConfig    bool // Config replaces the whole config instead of merging
	Variables        *[]Variable
	Credentials      *CredentialRefs
	Enabled          *bool
	Paused           *bool
	Environment      *string
	ExternalXref     *string
	Tags             *[]string
	Permissions      *[]string
	Categories       *[]string

	// SecretMask is a compat API's fixed mask (SecMaster shows every secret as "******"): a
	// secret field sent back with it keeps the stored secret, also with ReplaceConfig, since
	// such a client can only ever send back what it read. "" = none.
	SecretMask string
}

// ConnectionCredentials is a connection's secrets in clear with the credentials it references.
type ConnectionCredentials struct {
	Connection *Connection
	Action     []*Credential
	Trigger    []*Credential
	OAuth2     *ConnectionToken // the connection's OAuth2 token, fresh; nil when it has none
}

// Limits on connection fields.
const (
	maxNameLen        = 255
	maxDescriptionLen = 2048
	maxTagLen         = 64
	maxTags           = 50
	maxVariables      = 200
	maxXrefLen        = 255
	maxEnvLen         = 64
	maxRefs           = 50
)

// DefaultEnvironment is the environment of a connection created without one.
const DefaultEnvironment = "production"

func checkConnectionFields(c *Connection) error {
	switch {
	case c.Name == "":
		return Invalid("connection_name", "required")
	case len(c.Name) > maxNameLen:
		return Invalid("connection_name", "max_length")
	case len(c.Description) > maxDescriptionLen:
		return Invalid("description", "max_length")
	case len(c.Environment) > maxEnvLen:
		return Invalid("environment", "max_length")
	case len(c.ExternalXref) > maxXrefLen:
		return Invalid("external_xref", "max_length")
	case len(c.Tags) > maxTags:
		return Invalid("tags", "max_items")
	case len(c.Variables) > maxVariables:
		return Invalid("variables", "max_items")
	case len(c.Credentials.Action) > maxRefs:
		return Invalid("credentials.action", "max_items")
	case len(c.Credentials.Trigger) > maxRefs:
		return Invalid("credentials.trigger", "max_items")
	}
	for i, t := range c.Tags {
		if t == "" || len(t) > maxTagLen {
			return Invalid(indexField("tags", i), "invalid")
		}
	}
	seen := map[string]bool{}
	for i, v := range c.Variables {
		switch {
		case strings.TrimSpace(v.Name) == "":
			return Invalid(indexField("variables", i)+".name", "required")
		case len(v.Name) > 200 || len(v.Value) > 8192:
			return Invalid(indexField("variables", i), "max_length")
		case seen[v.Name]:
			return Invalid(indexField("variables", i)+".name", "unique")
		}
		seen[v.Name] = true
	}
	return nil
}

// applyConfig validates the full config against the schema and splits it into the plain
// config and the secrets.
// With external set (the secrets live in an external reference, see service_unified.go), the
// schema's required secret fields are not demanded.
func applyConfig(cs *configSchema, c *Connection, full map[string]any, external bool) error {
	if full == nil {
		full = map[string]any{}
	}
	if err := cs.check("config", full, external); err != nil {
		return err
	}
	if err := checkHealthURLConfig(cs.version, full); err != nil {
		return err
	}
	c.Config = make(map[string]any, len(full))
	c.Secrets = make(map[string]Secret)
	for k, v := range full {
		if !cs.secrets[k] {
			c.Config[k] = v
			continue
		}
		str, ok := v.(string)
		if !ok {
			return Invalid("config."+k, "type")
		}
		c.Secrets[k] = NewSecret(str)
	}
	return nil
}

// fullConfig is the config with the secrets in clear, as the schema sees it.
func fullConfig(c *Connection) map[string]any {
	full := maps.Clone(c.Config)
	if full == nil {
		full = map[string]any{}
	}
	for k, v := range c.Secrets {
		full[k] = v.Reveal()
	}
	return full
}

// checkRefs makes sure every referenced credential exists in the workspace.
func (s *Service) checkRefs(ctx context.Context, wsID string, refs CredentialRefs) error {
	for slot, ids := range map[string][]string{"action": refs.Action, "trigger": refs.Trigger} {
		for i, id := range ids {
			if _, err := s.store.GetCredential(ctx, wsID, id); err != nil {
				if ErrorCode(err) == CodeNotFound {
					return Invalid(indexField("credentials."+slot, i), "invalid")
				}
				return err
			}
		}
	}
	return nil
}

// statusFor derives the status after enabled/paused change: disabled and paused win;
// re-enabling or resuming starts again from PENDING until a health check passes.
func statusFor(prev Status, enabled, paused bool) Status {
	switch {
	case !enabled:
		return StatusDisabled
	case paused:
		return StatusPaused
	case prev == StatusDisabled || prev == StatusPaused || prev == "":
		return StatusPending
	}
	return prev
}

// requestHash identifies a create request for Idempotency-Key replays. It covers the
// non-secret input only, so no hash of a secret is ever stored.
func requestHash(in ConnectionInput, secretFields map[string]bool) string {
	in.Config = maps.Clone(in.Config)
	for k := range secretFields {
		delete(in.Config, k)
	}
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CreateConnection creates a connection (editor role). With an idempotency key, a retry of
// the same request returns the first result and replayed=true; the same key with another
// request is a conflict.
func (s *Service) CreateConnection(ctx context.Context, wsID string, in ConnectionInput, idempotencyKey string) (c *Connection, replayed bool, err error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, false, err
	}
	if len(idempotencyKey) > 255 {
		return nil, false, Invalid("Idempotency-Key", "max_length")
	}
	if strings.TrimSpace(in.ConnectorID) == "" {
		return nil, false, Invalid("connector_id", "required")
	}
	connector, version, cs, err := s.schemaFor(ctx, ws.ID, in.ConnectorID, in.ConnectorVersion)
	if err != nil {
		return nil, false, err
	}
	// Only a create with an Idempotency-Key can be replayed; others skip the hashing.
	var hash string
	if idempotencyKey != "" {
		hash = requestHash(in, cs.secrets)
		if prev, err := s.replay(ctx, ws.ID, idempotencyKey, hash); prev != nil || err != nil {
			return prev, prev != nil, err
		}
	}
	enabled := in.Enabled == nil || *in.Enabled
	now := s.now()
	c = &Connection{
		ID:               NewID(PrefixConnection),
		WorkspaceID:      ws.ID,
		ConnectorID:      connector.ID,
		ConnectorVersion: version,
		Name:             strings.TrimSpace(in.Name),
		Description:      in.Description,
		Variables:        nonNil(in.Variables),
		Credentials:      CredentialRefs{Action: nonNil(in.Credentials.Action), Trigger: nonNil(in.Credentials.Trigger)},
		Status:           statusFor("", enabled, in.Paused),
		Enabled:          enabled,
		Paused:           in.Paused,
		Environment:      strings.TrimSpace(in.Environment),
		ExternalXref:     in.ExternalXref,
		Tags:             nonNil(in.Tags),
		Permissions:      nonNil(in.Permissions),
		Categories:       nonNil(in.Categories),
		CreatedAt:        now,
		UpdatedAt:        now,
		CreatedBy:        p.Subject,
		UpdatedBy:        p.Subject,
		IdempotencyKey:   idempotencyKey,
		RequestHash:      hash,
	}
	if c.Environment == "" {
		c.Environment = DefaultEnvironment
	}
	if err := checkConnectionFields(c); err != nil {
		return nil, false, err
	}
	if err := checkGrants(c, connector, cs.version); err != nil {
		return nil, false, err
	}
	external, err := s.externalSecrets(ctx, ws.ID, c.Credentials)
	if err != nil {
		return nil, false, err
	}
	if err := applyConfig(cs, c, in.Config, external); err != nil {
		return nil, false, err
	}
	if err := s.checkRefs(ctx, ws.ID, c.Credentials); err != nil {
		return nil, false, err
	}
	if c.Sealed, err = s.sealMap(ctx, ws.ID, c.ID, "secrets", c.Secrets); err != nil {
		return nil, false, err
	}
	ev := s.event(ctx, p, ws, "connection.create", "connection", c.ID, map[string]any{
		"connector_id": c.ConnectorID, "name": c.Name, "status": string(c.Status),
	})
	if err := s.store.CreateConnection(ctx, c, ev); err != nil {
		if idempotencyKey != "" && ErrorCode(err) == CodeConflict {
			// A concurrent retry may have won the race: answer with its result. Its row can
			// trip the name constraint before the key's, so any conflict is checked.
			prev, rerr := s.replay(ctx, ws.ID, idempotencyKey, hash)
			if prev != nil || rerr != nil {
				return prev, prev != nil, rerr
			}
		}
		return nil, false, nameTaken(err, "connection.name_taken", c.Name)
	}
	return c, false, nil
}

// replay returns the connection created with an idempotency key, or nil when there is none.
func (s *Service) replay(ctx context.Context, wsID, key, hash string) (*Connection, error) {
	prev, err := s.store.GetConnectionByIdempotencyKey(ctx, wsID, key)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if prev.RequestHash != hash {
		return nil, Conflict("idempotency.key_reused")
	}
	if err := s.open(ctx, prev); err != nil {
		return nil, err
	}
	return prev, nil
}

// open decrypts a stored connection's secrets; a row that does not decrypt is flagged
// Unreadable instead of failing the whole answer. Any other error (the workspace's data key
// could not be read: the database is down, the request was canceled) is returned, so that an
// outage answers as one and never marks sound rows unreadable.
func (s *Service) open(ctx context.Context, c *Connection) error {
	m, err := s.openMap(ctx, c.WorkspaceID, c.ID, "secrets", c.Sealed)
	if undecryptable(err) {
		c.Secrets, c.Unreadable = map[string]Secret{}, true
		return nil
	}
	if err != nil {
		return err
	}
	c.Secrets = m
	return nil
}

// undecryptable reports whether err, from opening a sealed value, says the value itself
// cannot be read (it does not authenticate: the Sealer's errors of CodeInternal), as opposed
// to the store failing to answer or this process lacking the key that wraps the workspace's
// data key (CodeUnavailable: another replica, or this one after a restart, can read it).
func undecryptable(err error) bool { return err != nil && ErrorCode(err) == CodeInternal }

// GetConnection returns a connection (viewer role); its secrets render masked.
func (s *Service) GetConnection(ctx context.Context, wsID, id string) (*Connection, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetConnection(ctx, ws.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.open(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ListConnections lists a workspace's connections (viewer role). It returns the page and a
// cursor to go on in the same direction ("" when there is no more): with After (or no
// cursor) the id to pass as After for the next page; with Before the id to pass as Before for
// the page before this one. With Offset, the cursor is the last id when more items follow.
func (s *Service) ListConnections(ctx context.Context, wsID string, f ConnectionFilter) ([]*Connection, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, "", err
	}
	if err := checkFilter(f); err != nil {
		return nil, "", err
	}
	f.Page = clampPage(f.Page)
	limit := f.Limit
	f.Limit++
	list, err := s.store.ListConnections(ctx, ws.ID, f)
	if err != nil {
		return nil, "", err
	}
	var items []*Connection
	var next string
	if f.Before != "" {
		// The store gives the limit+1 items just before the cursor, ascending: one too many
		// means there is an earlier page, which starts before this page's first item.
		items = list
		if len(list) > limit {
			items = list[1:]
			next = items[0].ID
		}
	} else {
		items, next = pageOf(list, limit, func(c *Connection) string { return c.ID })
	}
	for _, c := range items {
		if err := s.open(ctx, c); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// maxUpdateAttempts bounds how often an update without If-Match is retried after losing a race
// to a concurrent write: one retry per concurrent writer of the same row is enough.
const maxUpdateAttempts = 100

func checkFilter(f ConnectionFilter) error {
	switch {
	case f.Status != "" && !f.Status.Valid():
		return Invalid("status", "enum")
	case f.Sort != "" && f.Sort != "created_at" && f.Sort != "updated_at" && f.Sort != "name":
		return Invalid("sort", "enum")
	case f.Offset < 0:
		return Invalid("offset", "minimum")
	case f.After != "" && f.Before != "":
		return Invalid("before", "invalid")
	case (f.After != "" || f.Before != "") && (f.Desc || (f.Sort != "" && f.Sort != "created_at")):
		return Invalid("page_token", "invalid")
	}
	return nil
}

// CountConnections counts a workspace's connections matching f (viewer role).
func (s *Service) CountConnections(ctx context.Context, wsID string, f ConnectionFilter) (int, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return 0, err
	}
	if err := checkFilter(f); err != nil {
		return 0, err
	}
	return s.store.CountConnections(ctx, ws.ID, f)
}

// UpdateConnection applies a patch (editor role). ifMatch, when not 0, is the revision the
// client read: a connection changed since is a precondition failure. Without it, a concurrent
// change is retried on the fresh copy.
func (s *Service) UpdateConnection(ctx context.Context, wsID, id string, patch ConnectionPatch, ifMatch int64) (*Connection, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		c, err := s.store.GetConnection(ctx, ws.ID, id)
		if err != nil {
			return nil, err
		}
		if ifMatch != 0 && c.Revision != ifMatch {
			return nil, Errorf(CodePreconditionFailed, "precondition.failed")
		}
		if c.Status == StatusClosed {
			return nil, Conflict("connection.closed")
		}
		if err := s.open(ctx, c); err != nil {
			return nil, err
		}
		if c.Unreadable {
			return nil, Errorf(CodeInternal, "seal.unreadable")
		}
		ev, err := s.applyPatch(ctx, p, ws, c, patch)
		if err != nil {
			return nil, err
		}
		err = s.store.UpdateConnection(ctx, c, ev)
		if ErrorCode(err) == CodePreconditionFailed && ifMatch == 0 && attempt < maxUpdateAttempts && ctx.Err() == nil {
			// Someone else's write won: each lost round means another writer made progress,
			// so a client that sent no If-Match does not see 412 unless the row is that hot.
			continue
		}
		if err != nil {
			return nil, nameTaken(err, "connection.name_taken", c.Name)
		}
		return c, nil
	}
}

// applyPatch changes c in memory, validates and reseals it, and returns the audit event.
func (s *Service) applyPatch(ctx context.Context, p *Principal, ws *Workspace, c *Connection, patch ConnectionPatch) (*AuditEvent, error) {
	var changed []string
	set := func(field string, dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst = *v
			changed = append(changed, field)
		}
	}
	if patch.Name != nil {
		n := strings.TrimSpace(*patch.Name)
		set("connection_name", &c.Name, &n)
	}
	set("description", &c.Description, patch.Description)
	set("environment", &c.Environment, patch.Environment)
	set("external_xref", &c.ExternalXref, patch.ExternalXref)
	if patch.Variables != nil {
		c.Variables, changed = nonNil(*patch.Variables), append(changed, "variables")
	}
	if patch.Tags != nil {
		c.Tags, changed = nonNil(*patch.Tags), append(changed, "tags")
	}
	if patch.Permissions != nil {
		c.Permissions, changed = nonNil(*patch.Permissions), append(changed, "permissions")
	}
	if patch.Categories != nil {
		c.Categories, changed = nonNil(*patch.Categories), append(changed, "categories")
	}
	if patch.Credentials != nil {
		c.Credentials = CredentialRefs{Action: nonNil(patch.Credentials.Action), Trigger: nonNil(patch.Credentials.Trigger)}
		changed = append(changed, "credentials")
		if err := s.checkRefs(ctx, ws.ID, c.Credentials); err != nil {
			return nil, err
		}
	}
	versionChanged := patch.ConnectorVersion != nil && *patch.ConnectorVersion != c.ConnectorVersion
	if versionChanged {
		c.ConnectorVersion = *patch.ConnectorVersion
		changed = append(changed, "connector_version")
	}
	// New credentials can move the secrets into or out of an external reference: the config
	// is checked again against what they now demand.
	if patch.Config != nil || versionChanged || patch.Credentials != nil {
		_, _, cs, err := s.schemaFor(ctx, ws.ID, c.ConnectorID, c.ConnectorVersion)
		if err != nil {
			return nil, err
		}
		full := fullConfig(c)
		if patch.ReplaceConfig {
			full = map[string]any{}
		}
		for k, v := range patch.Config {
			if old, ok := c.Secrets[k]; ok && v == old.Mask() && !patch.ReplaceConfig {
				continue // the client sent back the mask it read: keep the secret
			}
			if old, ok := c.Secrets[k]; ok && patch.SecretMask != "" && v == patch.SecretMask {
				full[k] = old.Reveal() // the vendor's fixed mask, sent back: keep the secret
				continue
			}
			if v == nil {
				delete(full, k)
			} else {
				full[k] = v
			}
			changed = append(changed, "config."+k)
		}
		external, err := s.externalSecrets(ctx, ws.ID, c.Credentials)
		if err != nil {
			return nil, err
		}
		if err := applyConfig(cs, c, full, external); err != nil {
			return nil, err
		}
	}
	if patch.Permissions != nil || patch.Categories != nil || versionChanged {
		connector, _, cs, err := s.schemaFor(ctx, ws.ID, c.ConnectorID, c.ConnectorVersion)
		if err != nil {
			return nil, err
		}
		if err := checkGrants(c, connector, cs.version); err != nil {
			return nil, err
		}
	}
	prev := c.Status
	if patch.Enabled != nil && *patch.Enabled != c.Enabled {
		c.Enabled, changed = *patch.Enabled, append(changed, "enabled")
	}
	if patch.Paused != nil && *patch.Paused != c.Paused {
		c.Paused, changed = *patch.Paused, append(changed, "paused")
	}
	c.Status = statusFor(c.Status, c.Enabled, c.Paused)
	if err := checkConnectionFields(c); err != nil {
		return nil, err
	}
	var err error
	if c.Sealed, err = s.sealMap(ctx, ws.ID, c.ID, "secrets", c.Secrets); err != nil {
		return nil, err
	}
	c.UpdatedAt, c.UpdatedBy = s.now(), p.Subject
	slices.Sort(changed)
	details := map[string]any{"fields": slices.Compact(changed)}
	action := "connection.update"
	if prev != c.Status {
		details["status_from"], details["status_to"] = string(prev), string(c.Status)
		action = "connection.status"
	}
	return s.event(ctx, p, ws, action, "connection", c.ID, details), nil
}

// DeleteConnection deletes a connection (editor role). A connection in use is a conflict
// unless force is set.
func (s *Service) DeleteConnection(ctx context.Context, wsID, id string, force bool) error {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return err
	}
	c, err := s.store.GetConnection(ctx, ws.ID, id)
	if err != nil {
		return err
	}
	if c.UsageCount > 0 && !force {
		return Conflict("connection.in_use", "Count", c.UsageCount)
	}
	ev := s.event(ctx, p, ws, "connection.delete", "connection", id, map[string]any{"forced": force && c.UsageCount > 0, "usages": c.UsageCount})
	return s.store.DeleteConnection(ctx, ws.ID, id, ev)
}

// GetCredentials returns a connection's secrets in clear with the credentials it references.
// It needs the credentials:read scope, and every read is an audit event, written before the
// secrets are returned.
func (s *Service) GetCredentials(ctx context.Context, wsID, id string) (*ConnectionCredentials, error) {
	p, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetConnection(ctx, ws.ID, id)
	if err != nil {
		return nil, err
	}
	if !p.HasScope(ScopeCredentialsRead) {
		return nil, Errorf(CodeForbidden, "forbidden.scope", "Scope", ScopeCredentialsRead)
	}
	if c.Secrets, err = s.openMap(ctx, ws.ID, c.ID, "secrets", c.Sealed); err != nil {
		return nil, err
	}
	out := &ConnectionCredentials{Connection: c}
	if out.OAuth2, err = s.connectionToken(ctx, c); err != nil {
		return nil, err
	}
	for _, slot := range []struct {
		ids []string
		dst *[]*Credential
	}{{c.Credentials.Action, &out.Action}, {c.Credentials.Trigger, &out.Trigger}} {
		for _, cid := range slot.ids {
			cred, err := s.credential(ctx, ws.ID, cid)
			if err != nil {
				return nil, err
			}
			*slot.dst = append(*slot.dst, cred)
		}
	}
	ev := s.event(ctx, p, ws, "connection.credentials.read", "connection", c.ID, map[string]any{
		"credentials": c.Credentials.All(),
	})
	if err := s.appendReadAudit(ctx, ev); err != nil {
		return nil, err
	}
	return out, nil
}

// AddUsage records that consumer uses a connection (editor role).
func (s *Service) AddUsage(ctx context.Context, wsID, connectionID, consumer string) (*Usage, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	consumer = strings.TrimSpace(consumer)
	switch {
	case consumer == "":
		return nil, Invalid("consumer", "required")
	case len(consumer) > 255:
		return nil, Invalid("consumer", "max_length")
	}
	u := &Usage{ID: NewID(PrefixUsage), WorkspaceID: ws.ID, ConnectionID: connectionID, Consumer: consumer, CreatedAt: s.now()}
	ev := s.event(ctx, p, ws, "connection.usage.add", "connection", connectionID, map[string]any{"consumer": consumer})
	if err := s.store.CreateUsage(ctx, u, ev); err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, NotFound("connection")
		}
		return nil, err
	}
	return u, nil
}

// ListUsages lists who uses a connection (viewer role).
func (s *Service) ListUsages(ctx context.Context, wsID, connectionID string) ([]*Usage, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GetConnection(ctx, ws.ID, connectionID); err != nil {
		return nil, err
	}
	return s.store.ListUsages(ctx, ws.ID, connectionID)
}

// DeleteUsage removes a usage of a connection (editor role).
func (s *Service) DeleteUsage(ctx context.Context, wsID, connectionID, usageID string) error {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return err
	}
	ev := s.event(ctx, p, ws, "connection.usage.remove", "connection", connectionID, map[string]any{"usage": usageID})
	return s.store.DeleteUsage(ctx, ws.ID, connectionID, usageID, ev)
}

// ListAudit lists a workspace's audit events (admin role).
func (s *Service) ListAudit(ctx context.Context, wsID string, f AuditFilter) ([]*AuditEvent, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	f.Page = clampPage(f.Page)
	limit := f.Limit
	f.Limit++
	list, err := s.store.ListAudit(ctx, ws.ID, f)
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(list, limit, func(e *AuditEvent) string { return e.ID })
	return items, next, nil
}
