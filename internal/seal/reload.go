package seal

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard"
)

// reloadEvery is how often, at most, a data key wrapped by a key this process does not hold
// makes it read the keyring again.
const reloadEvery = 2 * time.Second

// SetReload makes the envelope read the keyring again (with load) when it meets a data key
// wrapped by a key it does not hold: another replica rotated the shared keyring, and this one
// picks the new key up without a restart. Only keys proven by their key-check records are
// taken, the keys held stay (a keyring that drops one is refused), and the loaded keyring's
// active key becomes the active one. Call it before the envelope is used.
func (e *Envelope) SetReload(load func() (*Keyring, error)) { e.load = load }

// reloadFor reads the keyring again when it lacks id and the last read is old enough; it
// reports whether the keyring now holds id.
func (e *Envelope) reloadFor(ctx context.Context, id string) (bool, error) {
	if e.load == nil {
		return false, nil
	}
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if e.ring.Has(id) { // a concurrent reload got it
		return true, nil
	}
	if time.Since(e.reloaded) < reloadEvery {
		return false, nil
	}
	e.reloaded = time.Now()
	next, err := e.load()
	if err != nil {
		return false, fmt.Errorf("reload keyring: %w", err)
	}
	checks, err := e.store.KeyChecks(ctx)
	if err != nil {
		return false, err
	}
	if err := e.ring.merge(next, checks); err != nil {
		return false, fmt.Errorf("reload keyring: %w", err)
	}
	return e.ring.Has(id), nil
}

// merge takes the keys of next into r: next must hold every key of r, with the same bytes,
// and each key new to r must match its key-check record. r then holds next's keys in next's
// order (its last is the active one).
func (r *Keyring) merge(next *Keyring, checks map[string][]byte) error {
	next.mu.RLock()
	keys := append([]*kek(nil), next.keys...)
	next.mu.RUnlock()
	byID := make(map[string]*kek, len(keys))
	for _, k := range keys {
		byID[k.id] = k
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	held := make(map[string]bool, len(r.keys))
	for _, k := range r.keys {
		n, ok := byID[k.id]
		if !ok {
			return fmt.Errorf("the keyring file no longer holds key %q", k.id)
		}
		if !bytes.Equal(n.key, k.key) {
			return mismatch(k.id)
		}
		held[k.id] = true
	}
	for _, k := range keys {
		if held[k.id] {
			continue
		}
		c, ok := checks[k.id]
		if !ok || !checkMatches(k.aead, k.id, c) {
			return mismatch(k.id)
		}
	}
	r.keys = keys
	return nil
}

// missingKey is the error of a data key wrapped by a key this process does not hold, even
// after reading the keyring again: this replica cannot serve the workspace (another may).
func missingKey(dk *switchboard.DataKey) error {
	return &switchboard.Error{Code: switchboard.CodeUnavailable, Message: "unavailable",
		Cause: fmt.Errorf("seal: the data key of workspace %q is wrapped by key %q, which is not in this process's keyring (rotated elsewhere? restart with the current keyring)", dk.WorkspaceID, dk.KEKID)}
}
