package switchboard

import (
	"crypto/rand"
	"slices"
	"time"
)

// AccessKeyIDPrefix starts every access key id (AK), so one is recognisable in logs and by
// secret scanners.
const AccessKeyIDPrefix = "SBAK"

// AccessKeyIDLen is the length of every access key id: the prefix and 16 random characters,
// 20 in all like Huawei Cloud's own AKs.
const AccessKeyIDLen = 20

// AccessKeySecretLen is the length of every access key secret (SK).
const AccessKeySecretLen = 40

// AccessKey is an access-key pair for request signing (Huawei Cloud SDK-HMAC-SHA256): the id
// (AK) is public, the secret (SK) is shown once and kept sealed (it must be recoverable to
// recompute signatures, so it cannot be hashed like an API key).
type AccessKey struct {
	ID          string // the AK: 20 uppercase letters/digits, e.g. "SBAK" + 16 random
	TenantID    string
	WorkspaceID string // one workspace (access keys are not tenant-wide)
	Name        string
	Role        Role
	Scopes      []string
	Sealed      []byte // the SK sealed for (workspace, ID, "secret")
	CreatedAt   time.Time
	CreatedBy   string
	RevokedAt   *time.Time
}

// AccessKeySecretField is the field name the SK is sealed under (with the workspace and the
// key id), so a sealed SK moved to another key or workspace does not open.
const AccessKeySecretField = "secret"

// Principal returns the principal an access key authenticates as.
func (k *AccessKey) Principal() *Principal {
	return &Principal{
		Subject:     k.ID,
		TenantID:    k.TenantID,
		Workspaces:  []string{k.WorkspaceID},
		Role:        k.Role,
		Scopes:      slices.Clone(k.Scopes),
		AccessKeyID: k.ID,
	}
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base62      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// GenerateAccessKey returns a new access key id ("SBAK" + 16 uppercase letters and digits,
// about 82 random bits: ids are public, they only need to be unique) and a new secret of 40
// base62 characters (about 238 random bits).
func GenerateAccessKey() (id string, secret Secret) {
	return AccessKeyIDPrefix + randomString(upperDigits, AccessKeyIDLen-len(AccessKeyIDPrefix)),
		NewSecret(randomString(base62, AccessKeySecretLen))
}

// ValidAccessKeyID reports whether id has the form of an access key id.
func ValidAccessKeyID(id string) bool {
	if len(id) != AccessKeyIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// randomString returns n characters drawn uniformly from alphabet (at most 256 characters).
func randomString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	// Rejection sampling keeps the draw uniform: bytes at or above the largest multiple of
	// the alphabet's size are thrown away.
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("switchboard: no randomness: " + err.Error())
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
