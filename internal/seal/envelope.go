package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// DataKeyStore is the part of [switchboard.Store] the envelope needs; switchboard.Store
// satisfies it. Errors follow switchboard.Store's contract.
type DataKeyStore interface {
	// CreateDataKey inserts the data key of a workspace. Conflict "data_key.exists" when the
	// workspace has one already.
	CreateDataKey(ctx context.Context, k *switchboard.DataKey) error
	// GetDataKey returns the data key of a workspace. NotFound.
	GetDataKey(ctx context.Context, workspaceID string) (*switchboard.DataKey, error)
	// ListDataKeys returns every data key, ordered by workspace id.
	ListDataKeys(ctx context.Context) ([]*switchboard.DataKey, error)
	// RewrapDataKey replaces the wrapped key of a workspace if it is still wrapped by
	// oldKEKID. Conflict "data_key.changed" when it is not; NotFound.
	RewrapDataKey(ctx context.Context, workspaceID, oldKEKID, newKEKID string, wrapped []byte) error
	// PutKeyCheck records the check value of a key-encryption key if none is recorded yet.
	PutKeyCheck(ctx context.Context, kekID string, check []byte) error
	// KeyChecks returns every recorded check value by key id.
	KeyChecks(ctx context.Context) (map[string][]byte, error)
}

var _ DataKeyStore = switchboard.Store(nil)

// version is the first byte of every ciphertext, wrapped key and check value this package
// makes.
const version byte = 0x01

// Domain labels of the additional data, one per kind of encryption, so that a ciphertext of
// one kind never opens as another.
const (
	labelValue = "switchboard/v1"
	labelDEK   = "switchboard/v1/data-key"
	labelCheck = "switchboard/v1/key-check"
)

// checkPlaintext is what a key check value encrypts.
var checkPlaintext = []byte("switchboard key check v1")

// defaultCacheSize bounds the number of unwrapped data keys kept in memory.
const defaultCacheSize = 4096

// Envelope seals values with per-workspace data keys wrapped by the keys of a [Keyring]. It
// implements [switchboard.Sealer] and is safe for concurrent use.
type Envelope struct {
	store DataKeyStore
	ring  *Keyring

	// cache holds unwrapped data keys by workspace id, at most cacheMax. A data key never
	// changes (a rewrap changes only its wrapping), so an entry stays right across rotations;
	// Rewrap drops them all the same, so none outlives the key that unwrapped it.
	mu       sync.RWMutex
	cache    map[string]cipher.AEAD
	cacheMax int

	// load reads the keyring again (SetReload); reloaded is when it last did.
	load     func() (*Keyring, error)
	reloadMu sync.Mutex
	reloaded time.Time
}

var _ switchboard.Sealer = (*Envelope)(nil)

// New returns an Envelope that keeps data keys in store, wrapped by the keys of ring. Keys
// added to ring later are used at once. Run [Envelope.Verify] before the first Seal.
func New(store DataKeyStore, ring *Keyring) *Envelope {
	return &Envelope{
		store:    store,
		ring:     ring,
		cache:    make(map[string]cipher.AEAD),
		cacheMax: defaultCacheSize,
	}
}

// unreadable is the error of a ciphertext that does not open. The cause is safe to log: it
// never holds key material or plaintext.
func unreadable(cause error) *switchboard.Error {
	return &switchboard.Error{Code: switchboard.CodeInternal, Message: "seal.unreadable", Cause: cause}
}

// Seal encrypts plaintext for the given workspace, object and field, creating the workspace's
// data key on first use. Errors are the store's.
func (e *Envelope) Seal(ctx context.Context, workspaceID, objectID, field string, plaintext []byte) ([]byte, error) {
	dek, err := e.dataKey(ctx, workspaceID, true)
	if err != nil {
		return nil, err
	}
	ad := additionalData(labelValue, workspaceID, objectID, field)
	out := make([]byte, 1, 1+len(plaintext)+dek.Overhead())
	out[0] = version
	return dek.Seal(out, nil, plaintext, ad), nil
}

// Open decrypts a ciphertext made by Seal with the same workspace, object and field. A
// ciphertext that does not authenticate (or a workspace without a data key) is an
// *switchboard.Error with CodeInternal and message key "seal.unreadable"; store errors are
// returned as they are.
func (e *Envelope) Open(ctx context.Context, workspaceID, objectID, field string, ciphertext []byte) ([]byte, error) {
	// The shortest ciphertext is that of an empty value: version, nonce and tag.
	if len(ciphertext) < 1+12+16 {
		return nil, unreadable(errors.New("seal: ciphertext too short"))
	}
	if ciphertext[0] != version {
		return nil, unreadable(fmt.Errorf("seal: unknown ciphertext version %d", ciphertext[0]))
	}
	dek, err := e.dataKey(ctx, workspaceID, false)
	if err != nil {
		return nil, err
	}
	ad := additionalData(labelValue, workspaceID, objectID, field)
	plaintext, err := dek.Open(nil, nil, ciphertext[1:], ad)
	if err != nil {
		return nil, unreadable(errors.New("seal: ciphertext does not authenticate"))
	}
	return plaintext, nil
}

// dataKey returns the unwrapped data key of a workspace, from the cache or the store. With
// create, a workspace without one gets a new data key wrapped by the active KEK.
func (e *Envelope) dataKey(ctx context.Context, workspaceID string, create bool) (cipher.AEAD, error) {
	e.mu.RLock()
	c, ok := e.cache[workspaceID]
	e.mu.RUnlock()
	if ok {
		return c, nil
	}

	// No lock is held during store I/O. Two callers may both miss and both unwrap: the data
	// key is the same, so whichever lands in the cache is right.
	dk, err := e.store.GetDataKey(ctx, workspaceID)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		if !create {
			return nil, unreadable(errors.New("seal: the workspace has no data key"))
		}
		dk, err = e.createDataKey(ctx, workspaceID)
	}
	if err != nil {
		return nil, err
	}
	aead, err := e.unwrap(ctx, dk)
	if err != nil {
		return nil, err
	}
	e.remember(workspaceID, aead)
	return aead, nil
}

// createDataKey makes, wraps and stores a new data key for a workspace. When another caller
// stored one first, that one is returned.
func (e *Envelope) createDataKey(ctx context.Context, workspaceID string) (*switchboard.DataKey, error) {
	kekID, kekAEAD, ok := e.ring.active()
	if !ok {
		return nil, switchboard.Internal(errors.New("seal: the keyring holds no keys"))
	}
	raw := randomKey()
	defer clear(raw)
	dk := &switchboard.DataKey{
		WorkspaceID: workspaceID,
		KEKID:       kekID,
		Wrapped:     wrap(kekAEAD, workspaceID, kekID, raw),
	}
	err := e.store.CreateDataKey(ctx, dk)
	if switchboard.ErrorCode(err) == switchboard.CodeConflict {
		// Lost the race to create it: use the winner's.
		return e.store.GetDataKey(ctx, workspaceID)
	}
	if err != nil {
		return nil, err
	}
	return dk, nil
}

// unwrap returns the AEAD of a stored data key.
func (e *Envelope) unwrap(ctx context.Context, dk *switchboard.DataKey) (cipher.AEAD, error) {
	kekAEAD, ok := e.ring.lookup(dk.KEKID)
	if !ok {
		// Another replica may have rotated the shared keyring: read it again.
		if found, err := e.reloadFor(ctx, dk.KEKID); err != nil {
			return nil, &switchboard.Error{Code: switchboard.CodeUnavailable, Message: "unavailable", Cause: err}
		} else if !found {
			return nil, missingKey(dk)
		}
		kekAEAD, _ = e.ring.lookup(dk.KEKID)
	}
	raw, err := unwrapRaw(kekAEAD, dk)
	if err != nil {
		return nil, switchboard.Internal(err)
	}
	defer clear(raw)
	return newAEAD(raw)
}

// forget drops every cached data key.
func (e *Envelope) forget() {
	e.mu.Lock()
	clear(e.cache)
	e.mu.Unlock()
}

// remember caches an unwrapped data key, evicting an arbitrary entry when the cache is full.
func (e *Envelope) remember(workspaceID string, aead cipher.AEAD) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.cache[workspaceID]; !ok && len(e.cache) >= e.cacheMax {
		for k := range e.cache { // map order is random: a random eviction
			delete(e.cache, k)
			break
		}
	}
	e.cache[workspaceID] = aead
}

// wrap encrypts a raw data key under a KEK, bound to the workspace and the KEK id.
func wrap(kek cipher.AEAD, workspaceID, kekID string, raw []byte) []byte {
	out := make([]byte, 1, 1+len(raw)+kek.Overhead())
	out[0] = version
	return kek.Seal(out, nil, raw, additionalData(labelDEK, workspaceID, kekID))
}

// unwrapRaw decrypts a wrapped data key. The error never holds key material.
func unwrapRaw(kek cipher.AEAD, dk *switchboard.DataKey) ([]byte, error) {
	w := dk.Wrapped
	if len(w) < 1 || w[0] != version {
		return nil, fmt.Errorf("seal: the data key of workspace %q has an unknown format", dk.WorkspaceID)
	}
	raw, err := kek.Open(nil, nil, w[1:], additionalData(labelDEK, dk.WorkspaceID, dk.KEKID))
	if err != nil || len(raw) != KeySize {
		clear(raw)
		return nil, fmt.Errorf("seal: the data key of workspace %q does not unwrap with key %q", dk.WorkspaceID, dk.KEKID)
	}
	return raw, nil
}

// newAEAD returns AES-256-GCM with random nonces under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, switchboard.Internal(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, switchboard.Internal(err)
	}
	return aead, nil
}

// additionalData encodes a label and parts unambiguously: each is prefixed with its length
// as 4 bytes, big endian.
func additionalData(label string, parts ...string) []byte {
	n := 4 + len(label)
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}
