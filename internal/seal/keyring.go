package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// KeySize is the size in bytes of a key-encryption key and of a data key (AES-256).
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidKeyID reports whether id is acceptable as the id of a key-encryption key.
func ValidKeyID(id string) bool { return keyIDPattern.MatchString(id) }

// NewKeyID returns an id for a new key-encryption key: "k" and the current UTC time to the
// second, e.g. "k20261125T105200Z", so ids made by it sort by creation.
func NewKeyID() string { return "k" + time.Now().UTC().Format("20060102T150405Z") }

// randomKey returns KeySize random bytes. crypto/rand.Read does not fail (Go 1.24+: it
// crashes the program instead of returning weak bytes).
func randomKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// kek is one key-encryption key of a keyring.
type kek struct {
	id   string
	key  []byte      // raw key, kept only to write the keyring back out
	aead cipher.AEAD // AES-256-GCM with random nonces under key
}

// Keyring is an ordered set of id-tagged key-encryption keys; the last one is active. It is
// safe for concurrent use, and an [Envelope] sees keys added to its keyring at once.
//
// A Keyring formats as its ids only (with %v, %+v, %#v or slog), never as key material.
type Keyring struct {
	mu   sync.RWMutex
	keys []*kek
}

// ParseKeyring parses the keyring format described in the package documentation. Errors name
// the line and, when it is well-formed, the key id; they never contain key material.
func ParseKeyring(data []byte) (*Keyring, error) {
	r := &Keyring{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, enc, ok := strings.Cut(line, ":")
		if !ok {
			// The line may be a bare key: don't echo it.
			return nil, fmt.Errorf("keyring line %d: not of the form ID:BASE64", n)
		}
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if !ValidKeyID(id) {
			return nil, fmt.Errorf("keyring line %d: invalid key id (want 1 to 64 of A-Z a-z 0-9 _ . -)", n)
		}
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			// Neither err (it carries an offset only, but that is no business of ours) nor
			// the text is included: both describe key material.
			return nil, fmt.Errorf("keyring line %d: key %q is not valid standard base64", n, id)
		}
		if len(key) != KeySize {
			clear(key)
			return nil, fmt.Errorf("keyring line %d: key %q is %d bytes, want %d", n, id, len(key), KeySize)
		}
		if err := r.add(id, key); err != nil {
			return nil, fmt.Errorf("keyring line %d: %w", n, err)
		}
	}
	if len(r.keys) == 0 {
		return nil, errors.New("keyring holds no keys")
	}
	return r, nil
}

// LoadKeyring reads and parses the keyring file at path.
func LoadKeyring(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read keyring: %w", err)
	}
	defer clear(data)
	r, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// GenerateKey returns a new keyring holding one freshly generated random key with the given
// id (see [NewKeyID]).
func GenerateKey(id string) (*Keyring, error) {
	r := &Keyring{}
	if err := r.Add(id); err != nil {
		return nil, err
	}
	return r, nil
}

// Add generates a random key with the given id and appends it to the keyring, where it
// becomes the active key. Write the keyring out ([WriteKeyringFile]) before anything is
// wrapped by the new key: data wrapped by a key that is lost is lost with it.
func (r *Keyring) Add(id string) error {
	if !ValidKeyID(id) {
		return fmt.Errorf("invalid key id %q (want 1 to 64 of A-Z a-z 0-9 _ . -)", id)
	}
	return r.add(id, randomKey())
}

func (r *Keyring) add(id string, key []byte) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.keys {
		if k.id == id {
			return fmt.Errorf("duplicate key id %q", id)
		}
	}
	r.keys = append(r.keys, &kek{id: id, key: key, aead: aead})
	return nil
}

// ActiveID returns the id of the active key, the last one; "" for an empty keyring.
func (r *Keyring) ActiveID() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.keys) == 0 {
		return ""
	}
	return r.keys[len(r.keys)-1].id
}

// IDs returns the key ids in keyring order: the oldest first, the active one last.
func (r *Keyring) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Has reports whether the keyring holds a key with the given id.
func (r *Keyring) Has(id string) bool {
	_, ok := r.lookup(id)
	return ok
}

// lookup returns the AEAD of the key with the given id.
func (r *Keyring) lookup(id string) (cipher.AEAD, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.id == id {
			return k.aead, true
		}
	}
	return nil, false
}

// active returns the id and AEAD of the active key.
func (r *Keyring) active() (string, cipher.AEAD, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.keys) == 0 {
		return "", nil, false
	}
	k := r.keys[len(r.keys)-1]
	return k.id, k.aead, true
}

// Marshal returns the keyring in the file format of the package documentation. The result
// holds key material: treat it as a secret.
func (r *Keyring) Marshal() []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var b bytes.Buffer
	b.WriteString("# Switchboard keyring: ID:BASE64 per line; the last key is active. Keep it secret.\n")
	for _, k := range r.keys {
		b.WriteString(k.id)
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(k.key))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// String describes the keyring by its ids, never its key material.
func (r *Keyring) String() string {
	return fmt.Sprintf("seal.Keyring{ids: [%s], active: %s}", strings.Join(r.IDs(), " "), r.ActiveID())
}

// GoString is String, so that %#v does not print key material either.
func (r *Keyring) GoString() string { return r.String() }

// WriteKeyringFile writes the keyring to path atomically: a temporary file of mode 0600 in
// the same directory, fsynced, then renamed over path (and the directory fsynced), so a crash
// leaves either the old or the new file, never a partial one.
func WriteKeyringFile(path string, r *Keyring) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	data := r.Marshal()
	defer clear(data)
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	// Make the rename durable. Not every platform can sync a directory: best effort.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
