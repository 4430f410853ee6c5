package switchboard

import (
	"context"
	"slices"
)

// SetKeyring gives the service the keyring whose status KeyringStatus reports. Call it before
// serving.
func (s *Service) SetKeyring(k KeyringInfo) { s.keyring = k }

// KeyringStatus reports the active key, the data keys of the caller's tenant each key wraps and
// the re-wrap progress of those. The keyring serves the whole installation, so it needs the
// admin role over all of the tenant's workspaces (like CreateWorkspace); a service without a
// keyring is unavailable.
func (s *Service) KeyringStatus(ctx context.Context) (*KeyringStatus, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, Errorf(CodeUnauthenticated, "unauthenticated")
	}
	if !p.Role.AtLeast(RoleAdmin) || !slices.Contains(p.Workspaces, AllWorkspaces) {
		return nil, Errorf(CodeForbidden, "forbidden.role", "Role", string(RoleAdmin))
	}
	if s.keyring == nil {
		return nil, Errorf(CodeUnavailable, "unavailable")
	}
	// Only the data keys of the caller's tenant are counted: the keyring is shared, what it
	// wraps for other tenants is none of the caller's business.
	own := map[string]bool{}
	for after := ""; ; {
		wss, err := s.store.ListWorkspaces(ctx, p.TenantID, Page{Limit: 1000, After: after})
		if err != nil {
			return nil, err
		}
		for _, w := range wss {
			own[w.ID] = true
		}
		if len(wss) < 1000 {
			break
		}
		after = wss[len(wss)-1].ID
	}
	all, err := s.store.ListDataKeys(ctx)
	if err != nil {
		return nil, err
	}
	total := 0
	rows := map[string]int{}
	for _, dk := range all {
		if own[dk.WorkspaceID] {
			total++
			rows[dk.KEKID]++
		}
	}
	active := s.keyring.ActiveID()
	st := &KeyringStatus{ActiveKeyID: active}
	ids := s.keyring.IDs()
	for _, id := range ids {
		st.Keys = append(st.Keys, KeyringKey{ID: id, Rows: rows[id], Active: id == active, InKeyring: true})
	}
	var missing []string
	for id := range rows {
		if !slices.Contains(ids, id) {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	for _, id := range missing {
		st.Keys = append(st.Keys, KeyringKey{ID: id, Rows: rows[id]})
	}
	st.Rewrap = RewrapProgress{Total: total, Done: rows[active], Remaining: total - rows[active]}
	st.Rewrap.Complete = st.Rewrap.Remaining == 0
	return st, nil
}
