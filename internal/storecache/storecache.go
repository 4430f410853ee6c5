// Package storecache keeps the rows every request reads in memory, in front of any
// switchboard.Store: the workspace a request acts in and the API key that authenticates it.
// Both were a database read on every request (two of the credentials read's five queries).
//
// Workspaces never change once created, so a cached one is always right. An API key changes
// only when it is revoked: a revocation through this store drops it at once; one made by
// another process (another replica on the same PostgreSQL) is seen within KeyTTL. Only rows
// that exist are cached, so an unknown key or workspace is always looked up.
package storecache

import (
	"context"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// KeyTTL is how long a cached API key is trusted without reading it again: the longest a
// revocation made by another replica goes unseen here.
const KeyTTL = 2 * time.Second

// maxEntries bounds each cache; past it, an arbitrary entry makes room.
const maxEntries = 10_000

// Store is a switchboard.Store whose workspace and API key reads are cached.
type Store struct {
	switchboard.Store
	now func() time.Time

	mu         sync.RWMutex
	workspaces map[string]*switchboard.Workspace
	keys       map[string]keyEntry // by hash
}

type keyEntry struct {
	key     *switchboard.APIKey
	expires time.Time
}

// Wrap returns s with the caches in front of it.
func Wrap(s switchboard.Store) *Store {
	return &Store{Store: s, now: time.Now, workspaces: map[string]*switchboard.Workspace{}, keys: map[string]keyEntry{}}
}

// GetWorkspace returns the workspace from memory, reading it once.
func (s *Store) GetWorkspace(ctx context.Context, id string) (*switchboard.Workspace, error) {
	s.mu.RLock()
	w, ok := s.workspaces[id]
	s.mu.RUnlock()
	if ok {
		cp := *w
		return &cp, nil
	}
	w, err := s.Store.GetWorkspace(ctx, id)
	if err != nil {
		return nil, err
	}
	cp := *w
	s.mu.Lock()
	makeRoom(s.workspaces)
	s.workspaces[id] = &cp
	s.mu.Unlock()
	return w, nil
}

// GetAPIKeyByHash returns the key from memory while it is younger than KeyTTL.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*switchboard.APIKey, error) {
	now := s.now()
	s.mu.RLock()
	e, ok := s.keys[string(hash)]
	s.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return copyKey(e.key), nil
	}
	k, err := s.Store.GetAPIKeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	makeRoom(s.keys)
	s.keys[string(hash)] = keyEntry{key: copyKey(k), expires: now.Add(KeyTTL)}
	s.mu.Unlock()
	return k, nil
}

// RevokeAPIKey revokes the key and forgets every cached key, so the revoked one is refused
// from the next request on.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time, ev *switchboard.AuditEvent) error {
	err := s.Store.RevokeAPIKey(ctx, tenantID, id, at, ev)
	// Dropped even when the revocation failed: it may have committed before the error.
	s.mu.Lock()
	clear(s.keys)
	s.mu.Unlock()
	return err
}

func copyKey(k *switchboard.APIKey) *switchboard.APIKey {
	cp := *k
	cp.Scopes = append([]string(nil), k.Scopes...)
	cp.Hash = append([]byte(nil), k.Hash...)
	if k.RevokedAt != nil {
		t := *k.RevokedAt
		cp.RevokedAt = &t
	}
	return &cp
}

// makeRoom deletes an arbitrary entry of a full map (Go's map order is random).
func makeRoom[V any](m map[string]V) {
	if len(m) < maxEntries {
		return
	}
	for k := range m {
		delete(m, k)
		return
	}
}
