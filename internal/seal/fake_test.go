package seal

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/switchboardhq/switchboard"
)

// fakeStore is an in-memory DataKeyStore that answers like a real store: Conflict
// "data_key.exists", NotFound, Conflict "data_key.changed", and copies on the way in and out.
type fakeStore struct {
	mu     sync.Mutex
	keys   map[string]*switchboard.DataKey
	checks map[string][]byte
	writes int // successful mutating calls

	// beforeRewrap, if set, runs (without the lock) before RewrapDataKey does its work.
	beforeRewrap func(workspaceID string)
}

func newFakeStore() *fakeStore {
	return &fakeStore{keys: map[string]*switchboard.DataKey{}, checks: map[string][]byte{}}
}

func copyDK(k *switchboard.DataKey) *switchboard.DataKey {
	c := *k
	c.Wrapped = bytes.Clone(k.Wrapped)
	return &c
}

func (s *fakeStore) CreateDataKey(ctx context.Context, k *switchboard.DataKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.WorkspaceID]; ok {
		return switchboard.Conflict("data_key.exists")
	}
	c := copyDK(k)
	c.CreatedAt = switchboard.Now()
	c.UpdatedAt = c.CreatedAt
	s.keys[k.WorkspaceID] = c
	s.writes++
	return nil
}

func (s *fakeStore) GetDataKey(ctx context.Context, workspaceID string) (*switchboard.DataKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[workspaceID]
	if !ok {
		return nil, switchboard.NotFound("data_key")
	}
	return copyDK(k), nil
}

func (s *fakeStore) ListDataKeys(ctx context.Context) ([]*switchboard.DataKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*switchboard.DataKey
	for _, id := range slices.Sorted(maps.Keys(s.keys)) {
		out = append(out, copyDK(s.keys[id]))
	}
	return out, nil
}

func (s *fakeStore) RewrapDataKey(ctx context.Context, workspaceID, oldKEKID, newKEKID string, wrapped []byte) error {
	if s.beforeRewrap != nil {
		s.beforeRewrap(workspaceID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[workspaceID]
	if !ok {
		return switchboard.NotFound("data_key")
	}
	if k.KEKID != oldKEKID {
		return switchboard.Conflict("data_key.changed")
	}
	k.KEKID = newKEKID
	k.Wrapped = bytes.Clone(wrapped)
	k.UpdatedAt = switchboard.Now()
	s.writes++
	return nil
}

func (s *fakeStore) PutKeyCheck(ctx context.Context, kekID string, check []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.checks[kekID]; !ok {
		s.checks[kekID] = bytes.Clone(check)
		s.writes++
	}
	return nil
}

func (s *fakeStore) KeyChecks(ctx context.Context) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(s.checks))
	for id, c := range s.checks {
		out[id] = bytes.Clone(c)
	}
	return out, nil
}

func (s *fakeStore) writeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// kekCounts returns the number of data keys by KEK id.
func (s *fakeStore) kekCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for _, k := range s.keys {
		m[k.KEKID]++
	}
	return m
}
