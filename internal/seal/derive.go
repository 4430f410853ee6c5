package seal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// DeriveP256 derives a P-256 private key from the keyring's active key: HKDF-SHA256 with the
// active key as input key material, no salt, and label (plus a counter, in the rare case a
// candidate scalar is out of range) as info. Every process holding the same keyring derives
// the same key for the same label, so replicas publish one key; a different label gives an
// unrelated key, and nothing about the keyring can be learned from the derived key. The key
// changes when the active key does (keys rotate).
func (r *Keyring) DeriveP256(label string) (*ecdsa.PrivateKey, error) {
	if label == "" {
		return nil, errors.New("seal: DeriveP256 needs a label")
	}
	r.mu.RLock()
	var ikm []byte
	if n := len(r.keys); n > 0 {
		ikm = append([]byte(nil), r.keys[n-1].key...)
	}
	r.mu.RUnlock()
	if ikm == nil {
		return nil, errors.New("seal: the keyring holds no keys")
	}
	defer clear(ikm)
	// A uniform 32-byte string is a valid P-256 scalar (1..n-1) with probability about
	// 1 - 2^-32; a few tries make failure practically impossible while staying deterministic.
	for i := range 8 {
		scalar, err := hkdf.Key(sha256.New, ikm, nil, fmt.Sprintf("%s/%d", label, i), 32)
		if err != nil {
			return nil, err
		}
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
		clear(scalar)
		if err == nil {
			return k, nil
		}
	}
	return nil, errors.New("seal: could not derive a P-256 key")
}
