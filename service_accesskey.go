package switchboard

import (
	"context"
	"errors"
	"slices"
)

// CreateAccessKey creates an access-key pair bound to one workspace and returns it with the
// secret (SK) in clear, shown this once; the SK is stored sealed. The rules are CreateAPIKey's:
// the caller needs the admin role in the workspace and cannot grant a role or scope it does not
// hold. WorkspaceID must name one workspace: "*" is refused (4000 field.enum on workspace_id).
func (s *Service) CreateAccessKey(ctx context.Context, in APIKeyInput) (*AccessKey, Secret, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, Secret{}, Errorf(CodeUnauthenticated, "unauthenticated")
	}
	if in.WorkspaceID == AllWorkspaces {
		return nil, Secret{}, Invalid("workspace_id", "enum")
	}
	_, ws, err := s.access(ctx, in.WorkspaceID, RoleAdmin)
	if err != nil {
		return nil, Secret{}, err
	}
	if err := checkGrant(p, &in); err != nil {
		return nil, Secret{}, err
	}
	if s.sealer == nil {
		return nil, Secret{}, Internal(errors.New("access keys need a sealer"))
	}
	id, sk := GenerateAccessKey()
	sealed, err := s.sealer.Seal(ctx, ws.ID, id, AccessKeySecretField, []byte(sk.Reveal()))
	if err != nil {
		return nil, Secret{}, err
	}
	k := &AccessKey{
		ID:          id,
		TenantID:    ws.TenantID,
		WorkspaceID: ws.ID,
		Name:        in.Name,
		Role:        in.Role,
		Scopes:      slices.Compact(slices.Sorted(slices.Values(in.Scopes))),
		Sealed:      sealed,
		CreatedAt:   s.now(),
		CreatedBy:   p.Subject,
	}
	ev := s.event(ctx, p, ws, "access_key.create", "access_key", k.ID, map[string]any{"role": string(k.Role), "scopes": k.Scopes, "name": k.Name})
	if err := s.store.CreateAccessKey(ctx, k, ev); err != nil {
		return nil, Secret{}, err
	}
	return k, sk, nil
}

// ListAccessKeys lists the access keys of a workspace, revoked ones included (admin role).
// The keys carry their sealed SK, never the SK in clear.
func (s *Service) ListAccessKeys(ctx context.Context, wsID string, page Page) ([]*AccessKey, string, error) {
	_, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	page = clampPage(page)
	keys, err := s.store.ListAccessKeys(ctx, ws.TenantID, ws.ID, Page{Limit: page.Limit + 1, After: page.After})
	if err != nil {
		return nil, "", err
	}
	items, next := pageOf(keys, page.Limit, func(k *AccessKey) string { return k.ID })
	return items, next, nil
}

// RevokeAccessKey revokes an access key of a workspace (admin role); a key of another
// workspace is not found. Signatures made with it are refused from then on.
func (s *Service) RevokeAccessKey(ctx context.Context, wsID, id string) error {
	p, ws, err := s.access(ctx, wsID, RoleAdmin)
	if err != nil {
		return err
	}
	k, err := s.store.GetAccessKey(ctx, id)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return NotFound("access_key")
	case err != nil:
		return err
	case k.TenantID != ws.TenantID || k.WorkspaceID != ws.ID:
		return NotFound("access_key")
	}
	ev := s.event(ctx, p, ws, "access_key.revoke", "access_key", id, nil)
	if err := s.store.RevokeAccessKey(ctx, ws.TenantID, id, s.now(), ev); err != nil {
		if ErrorCode(err) == CodeNotFound {
			return NotFound("access_key")
		}
		return err
	}
	return nil
}

// AccessKeySecret returns an access key and its SK in clear, for the authenticator that
// verifies request signatures; it needs no principal. An unknown or revoked key is an *Error
// with CodeUnauthenticated ("unauthenticated", the reason in Cause); a store or keyring failure
// is returned as it is, so an outage is not mistaken for a bad signature.
func (s *Service) AccessKeySecret(ctx context.Context, id string) (*AccessKey, Secret, error) {
	k, err := s.store.GetAccessKey(ctx, id)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return nil, Secret{}, &Error{Code: CodeUnauthenticated, Message: "unauthenticated", Cause: errors.New("access key: unknown")}
	case err != nil:
		return nil, Secret{}, err
	case k.RevokedAt != nil:
		return nil, Secret{}, &Error{Code: CodeUnauthenticated, Message: "unauthenticated", Cause: errors.New("access key: revoked")}
	case s.sealer == nil:
		return nil, Secret{}, Internal(errors.New("access keys need a sealer"))
	}
	b, err := s.sealer.Open(ctx, k.WorkspaceID, k.ID, AccessKeySecretField, k.Sealed)
	if err != nil {
		return nil, Secret{}, err
	}
	return k, NewSecret(string(b)), nil
}
