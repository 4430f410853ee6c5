package seal

import (
	"context"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// ErrKeyringMismatch is in the chain of every error of [Envelope.Verify] and [Envelope.Rewrap]
// that says the keyring is not the one the database was written with.
var ErrKeyringMismatch = errors.New("keyring does not match the database")

func mismatch(id string) error {
	return fmt.Errorf("%w: key %s is not the key the data was written with", ErrKeyringMismatch, id)
}

// makeCheck returns the check value of a KEK: the constant checkPlaintext sealed under it,
// bound to its id.
func makeCheck(kek cipher.AEAD, id string) []byte {
	out := make([]byte, 1, 1+len(checkPlaintext)+kek.Overhead())
	out[0] = version
	return kek.Seal(out, nil, checkPlaintext, additionalData(labelCheck, id))
}

// checkMatches reports whether check is the check value of the KEK with the given id.
func checkMatches(kek cipher.AEAD, id string, check []byte) bool {
	if len(check) < 1 || check[0] != version {
		return false
	}
	pt, err := kek.Open(nil, nil, check[1:], additionalData(labelCheck, id))
	return err == nil && subtle.ConstantTimeCompare(pt, checkPlaintext) == 1
}

// Verify checks, at start, that the keyring is the one the database was written with, and
// then records a check value for each key of the keyring that has none yet. It fails, and
// writes nothing, when [VerifyKeyring] fails over the database's recorded checks and data
// keys; its errors are VerifyKeyring's. Store errors are returned as they are.
func (e *Envelope) Verify(ctx context.Context) error {
	checks, err := e.store.KeyChecks(ctx)
	if err != nil {
		return err
	}
	dks, err := e.store.ListDataKeys(ctx)
	if err != nil {
		return err
	}
	toRecord, err := verifyKeyring(e.ring, checks, dks)
	if err != nil {
		return err
	}
	for _, id := range toRecord {
		kek, _ := e.ring.lookup(id)
		if err := e.store.PutKeyCheck(ctx, id, makeCheck(kek, id)); err != nil {
			return err
		}
	}
	return nil
}

// VerifyKeyring decides whether ring is the keyring a database was written with, from the
// check values the database records (by key id) and its wrapped data keys. It reads and
// records nothing, so it can run before the database is opened for writing (a start refuses
// a wrong keyring before a pending migration runs). It fails when
//   - a key's recorded check value does not open under the key of the same id (or, for a key
//     without a recorded check, none of the data keys it wraps unwraps with it): "keyring does
//     not match the database: key <id> is not the key the data was written with";
//   - a data key is wrapped by a key the keyring lacks: the error names the missing ids;
//   - the database has recorded checks and none of them is for a key of this keyring.
//
// Every such error has [ErrKeyringMismatch] in its chain; none holds key material.
func VerifyKeyring(ring *Keyring, checks map[string][]byte, dataKeys []*switchboard.DataKey) error {
	_, err := verifyKeyring(ring, checks, dataKeys)
	return err
}

// verifyKeyring is [VerifyKeyring]; it also returns the ids of the keys of ring that have no
// recorded check yet, for [Envelope.Verify] to record.
func verifyKeyring(ring *Keyring, checks map[string][]byte, dks []*switchboard.DataKey) ([]string, error) {
	if ring.ActiveID() == "" {
		return nil, errors.New("keyring holds no keys")
	}
	var problems []error
	unchecked := map[string]cipher.AEAD{} // keys of the ring without a recorded check
	var toRecord []string
	matched := 0
	for _, id := range ring.IDs() {
		kek, _ := ring.lookup(id)
		if c, ok := checks[id]; ok {
			if !checkMatches(kek, id, c) {
				problems = append(problems, mismatch(id))
			} else {
				matched++
			}
			continue
		}
		unchecked[id] = kek
		toRecord = append(toRecord, id)
	}

	// A key without a recorded check (a database written before checks were) is proven by
	// the data keys it wraps: a wrong key unwraps none of them. One corrupt row is not a
	// wrong key, so any success proves it.
	missing := map[string]int{}
	tried := map[string]bool{} // key id -> proven right
	for _, dk := range dks {
		if !ring.Has(dk.KEKID) {
			missing[dk.KEKID]++
			continue
		}
		kek, ok := unchecked[dk.KEKID]
		if !ok || tried[dk.KEKID] {
			continue
		}
		raw, err := unwrapRaw(kek, dk)
		clear(raw)
		if err == nil {
			tried[dk.KEKID] = true
		} else if _, seen := tried[dk.KEKID]; !seen {
			tried[dk.KEKID] = false
		}
	}
	for _, id := range toRecord {
		if right, seen := tried[id]; seen && !right {
			problems = append(problems, mismatch(id))
		}
	}
	// A database that knows some keys must recognise at least one of this keyring's: a keyring
	// of only new ids is another keyring, even before any secret was sealed.
	if len(checks) > 0 && matched == 0 && len(problems) == 0 {
		known := slices.Sorted(maps.Keys(checks))
		problems = append(problems, fmt.Errorf("%w: none of its keys is one the database was set up with (it knows key(s) %s)",
			ErrKeyringMismatch, strings.Join(known, ", ")))
	}
	if len(missing) > 0 {
		ids := make([]string, 0, len(missing))
		n := 0
		for id, c := range missing {
			ids = append(ids, id)
			n += c
		}
		slices.Sort(ids)
		problems = append(problems, fmt.Errorf("%w: the keyring lacks key(s) %s, which wrap the data keys of %d workspace(s)",
			ErrKeyringMismatch, strings.Join(ids, ", "), n))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return toRecord, nil
}

// checkActive makes sure the database knows the active key before anything is wrapped by it
// in bulk: it records the key's check value, or fails when the recorded one does not match.
func (e *Envelope) checkActive(ctx context.Context, id string, kek cipher.AEAD) error {
	checks, err := e.store.KeyChecks(ctx)
	if err != nil {
		return err
	}
	if c, ok := checks[id]; ok {
		if !checkMatches(kek, id, c) {
			return mismatch(id)
		}
		return nil
	}
	return e.store.PutKeyCheck(ctx, id, makeCheck(kek, id))
}

// Rewrap re-wraps every data key that is not wrapped by the active key with the active key,
// and returns how many it re-wrapped. Each one is a compare-and-swap on its old key id: a
// data key that another process re-wrapped (or that is gone) meanwhile is skipped. A rewrap
// that stops, for any reason, is resumed by running it again. progress, if not nil, is called
// after each data key with the number handled so far and the number to handle.
//
// Data keys that cannot be re-wrapped (their key is not in the keyring, or they do not
// unwrap) are left as they are and named in the error returned at the end; the others are
// re-wrapped all the same.
func (e *Envelope) Rewrap(ctx context.Context, progress func(done, total int)) (int, error) {
	activeID, active, ok := e.ring.active()
	if !ok {
		return 0, errors.New("rewrap: the keyring holds no keys")
	}
	if err := e.checkActive(ctx, activeID, active); err != nil {
		return 0, err
	}
	dks, err := e.store.ListDataKeys(ctx)
	if err != nil {
		return 0, err
	}
	todo := slices.DeleteFunc(dks, func(dk *switchboard.DataKey) bool { return dk.KEKID == activeID })

	// Cached data keys are dropped once the re-wrap ends (they were unwrapped by keys that may
	// now be retired; the next use unwraps each again with the active key). A data key itself
	// does not change, so a request that used a cached one meanwhile was still right.
	defer e.forget()
	var n int
	var failed []string
	for i, dk := range todo {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := e.rewrapOne(ctx, dk, activeID, active); err != nil {
			switch switchboard.ErrorCode(err) {
			case switchboard.CodeConflict, switchboard.CodeNotFound:
				// Someone else re-wrapped it, or it is gone: nothing to do.
			case switchboard.CodeInternal:
				if errors.Is(err, errNotRewrappable) {
					failed = append(failed, dk.WorkspaceID)
					break
				}
				return n, err
			default:
				return n, err
			}
		} else {
			n++
		}
		if progress != nil {
			progress(i+1, len(todo))
		}
	}
	if len(failed) > 0 {
		names := strings.Join(failed[:min(len(failed), 10)], ", ")
		if len(failed) > 10 {
			names += ", ..."
		}
		return n, fmt.Errorf("rewrap: the data keys of %d workspace(s) could not be re-wrapped (key not in the keyring or data key does not unwrap): %s",
			len(failed), names)
	}
	return n, nil
}

var errNotRewrappable = errors.New("seal: data key cannot be re-wrapped")

// rewrapOne re-wraps one data key with the active key.
func (e *Envelope) rewrapOne(ctx context.Context, dk *switchboard.DataKey, activeID string, active cipher.AEAD) error {
	old, ok := e.ring.lookup(dk.KEKID)
	if !ok {
		return switchboard.Internal(errNotRewrappable)
	}
	raw, err := unwrapRaw(old, dk)
	if err != nil {
		return switchboard.Internal(errNotRewrappable)
	}
	wrapped := wrap(active, dk.WorkspaceID, activeID, raw)
	clear(raw)
	// The data key itself is unchanged, so a cached copy of it stays right.
	return e.store.RewrapDataKey(ctx, dk.WorkspaceID, dk.KEKID, activeID, wrapped)
}

// Status is the state of the keyring against the database, for a keyring status view.
type Status struct {
	// ActiveKEKID is the id of the active key.
	ActiveKEKID string
	// KEKIDs are the ids of the keyring, oldest first.
	KEKIDs []string
	// DataKeys counts the data keys by the id of the key that wraps them, including ids the
	// keyring lacks. A key of the keyring that wraps none is absent (count 0) and may be
	// retired once the active key is recorded elsewhere.
	DataKeys map[string]int
	// Missing are the ids, sorted, that wrap data keys but are not in the keyring.
	Missing []string
}

// Status returns the active key id and the number of data keys wrapped by each key.
func (e *Envelope) Status(ctx context.Context) (*Status, error) {
	dks, err := e.store.ListDataKeys(ctx)
	if err != nil {
		return nil, err
	}
	s := &Status{ActiveKEKID: e.ring.ActiveID(), KEKIDs: e.ring.IDs(), DataKeys: map[string]int{}}
	for _, dk := range dks {
		if s.DataKeys[dk.KEKID] == 0 && !e.ring.Has(dk.KEKID) {
			s.Missing = append(s.Missing, dk.KEKID)
		}
		s.DataKeys[dk.KEKID]++
	}
	slices.Sort(s.Missing)
	return s, nil
}
