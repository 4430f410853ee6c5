package switchboard

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// CredentialInput is what a client gives to create a reusable credential. Exactly one of Data
// and ExternalRef is set.
type CredentialInput struct {
	Name        string
	Type        CredentialType
	Data        map[string]string
	ExternalRef *ExternalRef
}

// CredentialPatch changes a credential; nil fields are left alone. Data replaces the values
// it names (a nil value removes one).
type CredentialPatch struct {
	Name *string
	Data map[string]*string
}

// externalProviders are where an external reference may point. secrets_manager is a secrets
// manager the client registered with its vendor (Unified.to's secretsmanager_id), its Ref
// "<manager id>" or "<manager id>#<key of the secret in it>".
var externalProviders = []string{"aws_secrets_manager", "azure_key_vault", "gcp_secret_manager", "hashicorp_vault", "secrets_manager"}

// requiredData names the values each credential type must carry.
var requiredData = map[CredentialType][]string{
	CredentialAPIKey: {"api_key"},
	CredentialBasic:  {"username", "password"},
	CredentialBearer: {"token"},
}

func indexField(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }

func checkCredential(name string, typ CredentialType, data map[string]Secret, ref *ExternalRef) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Invalid("name", "required")
	case len(name) > 200:
		return Invalid("name", "max_length")
	case typ == "":
		return Invalid("type", "required")
	case !typ.Valid():
		return Invalid("type", "enum")
	}
	if ref != nil {
		switch {
		case len(data) > 0:
			return Invalid("external_ref", "invalid")
		case !slices.Contains(externalProviders, ref.Provider):
			return Invalid("external_ref.provider", "enum")
		case strings.TrimSpace(ref.Ref) == "":
			return Invalid("external_ref.ref", "required")
		case len(ref.Ref) > 2048:
			return Invalid("external_ref.ref", "max_length")
		}
		return nil
	}
	if len(data) == 0 {
		return Invalid("data", "required")
	}
	for _, k := range requiredData[typ] {
		if data[k].IsZero() {
			return Invalid("data."+k, "required")
		}
	}
	for k, v := range data {
		if k == "" || len(k) > 200 {
			return Invalid("data", "invalid")
		}
		if len(v.Reveal()) > 64<<10 {
			return Invalid("data."+k, "max_length")
		}
	}
	return nil
}

// sealMap seals a map of secrets as one JSON object bound to the object and field.
func (s *Service) sealMap(ctx context.Context, wsID, objID, field string, m map[string]Secret) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	clear := make(map[string]string, len(m))
	for k, v := range m {
		clear[k] = v.Reveal()
	}
	b, err := json.Marshal(clear)
	if err != nil {
		return nil, Internal(err)
	}
	return s.sealer.Seal(ctx, wsID, objID, field, b)
}

// openMap opens what sealMap sealed.
func (s *Service) openMap(ctx context.Context, wsID, objID, field string, sealed []byte) (map[string]Secret, error) {
	if len(sealed) == 0 {
		return map[string]Secret{}, nil
	}
	b, err := s.sealer.Open(ctx, wsID, objID, field, sealed)
	if err != nil {
		return nil, err
	}
	var clear map[string]string
	if err := json.Unmarshal(b, &clear); err != nil {
		return nil, Errorf(CodeInternal, "seal.unreadable")
	}
	m := make(map[string]Secret, len(clear))
	for k, v := range clear {
		m[k] = NewSecret(v)
	}
	return m, nil
}

func secrets(m map[string]string) map[string]Secret {
	out := make(map[string]Secret, len(m))
	for k, v := range m {
		out[k] = NewSecret(v)
	}
	return out
}

// CreateCredential stores a reusable credential (editor role).
func (s *Service) CreateCredential(ctx context.Context, wsID string, in CredentialInput) (*Credential, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	data := secrets(in.Data)
	if err := checkCredential(in.Name, in.Type, data, in.ExternalRef); err != nil {
		return nil, err
	}
	now := s.now()
	c := &Credential{
		ID: NewID(PrefixCredential), WorkspaceID: ws.ID, Name: in.Name, Type: in.Type,
		Data: data, ExternalRef: in.ExternalRef,
		CreatedAt: now, UpdatedAt: now, CreatedBy: p.Subject, UpdatedBy: p.Subject,
	}
	if c.Sealed, err = s.sealMap(ctx, ws.ID, c.ID, "data", data); err != nil {
		return nil, err
	}
	ev := s.event(ctx, p, ws, "credential.create", "credential", c.ID, map[string]any{"name": c.Name, "type": string(c.Type)})
	if err := s.store.CreateCredential(ctx, c, ev); err != nil {
		return nil, nameTaken(err, "credential.name_taken", c.Name)
	}
	return c, nil
}

// nameTaken gives a store's uniqueness conflict its message with the name.
func nameTaken(err error, message, name string) error {
	if e := AsError(err); e.Code == CodeConflict && e.Message == message {
		return Conflict(message, "Name", name)
	}
	return err
}

// GetCredential returns a credential with its values (masked when rendered).
func (s *Service) GetCredential(ctx context.Context, wsID, id string) (*Credential, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, err
	}
	return s.credential(ctx, ws.ID, id)
}

func (s *Service) credential(ctx context.Context, wsID, id string) (*Credential, error) {
	c, err := s.store.GetCredential(ctx, wsID, id)
	if err != nil {
		return nil, err
	}
	if c.Data, err = s.openMap(ctx, wsID, c.ID, "data", c.Sealed); err != nil {
		return nil, err
	}
	return c, nil
}

// ListCredentials lists a workspace's credentials.
func (s *Service) ListCredentials(ctx context.Context, wsID string, page Page) ([]*Credential, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleViewer)
	if err != nil {
		return nil, "", err
	}
	page = clampPage(page)
	list, err := s.store.ListCredentials(ctx, ws.ID, Page{Limit: page.Limit + 1, After: page.After})
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(list, page.Limit, func(c *Credential) string { return c.ID })
	for _, c := range items {
		c.Data, err = s.openMap(ctx, ws.ID, c.ID, "data", c.Sealed)
		if undecryptable(err) {
			// One bad row does not fail the list; it is flagged, not shown as empty.
			c.Data, c.Unreadable = map[string]Secret{}, true
		} else if err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// UpdateCredential changes a credential's name or values (editor role). ifMatch, when not 0,
// is the revision the client read.
func (s *Service) UpdateCredential(ctx context.Context, wsID, id string, patch CredentialPatch, ifMatch int64) (*Credential, error) {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		c, err := s.credential(ctx, ws.ID, id)
		if err != nil {
			return nil, err
		}
		if ifMatch != 0 && c.Revision != ifMatch {
			return nil, Errorf(CodePreconditionFailed, "precondition.failed")
		}
		changed := []string{}
		if patch.Name != nil {
			c.Name = strings.TrimSpace(*patch.Name)
			changed = append(changed, "name")
		}
		if patch.Data != nil {
			data := maps.Clone(c.Data)
			for k, v := range patch.Data {
				if v == nil {
					delete(data, k)
				} else if *v != data[k].Mask() || data[k].IsZero() {
					data[k] = NewSecret(*v)
				}
				changed = append(changed, "data."+k)
			}
			c.Data = data
		}
		if err := checkCredential(c.Name, c.Type, c.Data, c.ExternalRef); err != nil {
			return nil, err
		}
		if c.Sealed, err = s.sealMap(ctx, ws.ID, c.ID, "data", c.Data); err != nil {
			return nil, err
		}
		c.UpdatedAt, c.UpdatedBy = s.now(), p.Subject
		slices.Sort(changed)
		ev := s.event(ctx, p, ws, "credential.update", "credential", c.ID, map[string]any{"fields": changed})
		err = s.store.UpdateCredential(ctx, c, ev)
		if ErrorCode(err) == CodePreconditionFailed && ifMatch == 0 && attempt < maxUpdateAttempts && ctx.Err() == nil {
			// Someone else's write won: each lost round means another writer made progress,
			// so a client that sent no If-Match does not see 412 unless the row is that hot.
			continue
		}
		if err != nil {
			return nil, nameTaken(err, "credential.name_taken", c.Name)
		}
		return c, nil
	}
}

// DeleteCredential deletes a credential no connection uses (editor role).
func (s *Service) DeleteCredential(ctx context.Context, wsID, id string) error {
	p, ws, err := s.access(ctx, wsID, RoleEditor)
	if err != nil {
		return err
	}
	if _, err := s.store.GetCredential(ctx, ws.ID, id); err != nil {
		return err
	}
	n, err := s.store.CountCredentialUses(ctx, ws.ID, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return Conflict("credential.in_use", "Count", n)
	}
	return s.store.DeleteCredential(ctx, ws.ID, id, s.event(ctx, p, ws, "credential.delete", "credential", id, nil))
}
