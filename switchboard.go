// Package switchboard is the domain of Switchboard, a service that keeps the connections a
// platform makes to other systems: connectors, their versioned configuration schemas,
// credentials and connections, sealed at rest, scoped by workspace and audited.
//
// The package holds the domain types, the Store and Sealer interfaces that adapters implement,
// and the Service that enforces every rule (validation, scoping, sealing, lifecycle,
// concurrency, audit). It knows nothing of HTTP or SQL: adapters depend on it, never the
// reverse.
package switchboard

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"regexp"
	"sync"
	"time"
)

// Object id prefixes. Ids are opaque strings; the prefix names the type and the rest sorts by
// creation time, so ordering by id is ordering by creation.
const (
	PrefixConnection = "conn"
	PrefixCredential = "cred"
	PrefixConnector  = "ctr"
	PrefixAPIKey     = "key"
	PrefixAudit      = "evt"
	PrefixUsage      = "use"
	PrefixRequest    = "req"
	PrefixOrg        = "org"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// idState makes ids monotonic within the process: two ids made in the same millisecond (or
// after the clock stepped back) get the previous random part plus one, so they still sort in
// creation order (the monotonic ULID scheme).
var idState struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// NewID returns a new id with the given prefix: prefix + "_" + 26 characters encoding a
// millisecond timestamp followed by 80 random bits. Ids of one process sort by creation.
func NewID(prefix string) string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	idState.Lock()
	if ms <= idState.ms {
		ms = idState.ms
		for i := len(idState.rand) - 1; i >= 0; i-- {
			idState.rand[i]++
			if idState.rand[i] != 0 {
				break
			}
		}
	} else {
		if _, err := rand.Read(idState.rand[:]); err != nil {
			idState.Unlock()
			panic("switchboard: no randomness: " + err.Error())
		}
		// Leave headroom so increments within one millisecond never overflow into the time.
		idState.rand[0] &= 0x7f
		idState.ms = ms
	}
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	copy(b[6:], idState.rand[:])
	idState.Unlock()
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// workspaceIDPattern is the form of a client-chosen workspace or tenant id.
var workspaceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidWorkspaceID reports whether id is acceptable as a client-chosen workspace or tenant id.
func ValidWorkspaceID(id string) bool { return workspaceIDPattern.MatchString(id) }

// Now returns the current time in UTC truncated to microseconds, the precision both stores keep.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
