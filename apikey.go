package switchboard

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// APIKeyPrefix starts every API key, so a leaked key is recognisable (secret scanners).
const APIKeyPrefix = "sbk_"

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// GenerateAPIKey returns a new random API key (256 bits) and its hash.
func GenerateAPIKey() (key string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("switchboard: no randomness: " + err.Error())
	}
	key = APIKeyPrefix + keyEncoding.EncodeToString(b[:])
	return key, HashAPIKey(key)
}

// HashAPIKey returns the stored form of an API key. Keys carry 256 random bits, so a fast hash
// is enough: there is nothing to brute-force.
func HashAPIKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// LooksLikeAPIKey reports whether a bearer token has the form of an API key (rather than a JWT).
func LooksLikeAPIKey(token string) bool { return strings.HasPrefix(token, APIKeyPrefix) }
