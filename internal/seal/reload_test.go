package seal

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// Two replicas share the database and the keyring file. One rotates (new key, re-wrap); the
// other, still on the old keyring, must read the re-wrapped data keys by reading the keyring
// file again — and must refuse a file whose new key is not the one the data was written with.
func TestReloadPicksUpAKeyRotatedElsewhere(t *testing.T) {
	ctx := context.Background()
	a, s, ringA := newEnvelope(t)
	ct := mustSeal(t, a, "ws1", "o", "f", []byte("secret"))

	// Replica B: a copy of the keyring as it was, and a "file" it can read again.
	ringB, err := ParseKeyring(ringA.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	b := New(s, ringB)
	if err := b.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	file := ringA.Marshal()
	b.SetReload(func() (*Keyring, error) { return ParseKeyring(file) })

	// A rotates and re-wraps; the file now holds k1 and k2.
	if err := ringA.Add("k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rewrap(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// A file with a different key under the id k2 is refused: B answers unavailable.
	impostor, err := ParseKeyring(ringA.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	impostor.keys = impostor.keys[:1]
	if err := impostor.Add("k2"); err != nil {
		t.Fatal(err)
	}
	file = impostor.Marshal()
	if _, err := b.Open(ctx, "ws1", "o", "f", ct); switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Fatalf("open with an impostor k2 in the file: %v, want unavailable", err)
	}
	if ringB.Has("k2") {
		t.Fatal("the impostor key was taken into the keyring")
	}

	// The right file: B reads it again (after the reload interval) and opens the value.
	file = ringA.Marshal()
	b.reloaded = b.reloaded.Add(-reloadEvery)
	mustOpen(t, b, "ws1", "o", "f", ct, []byte("secret"))
	if got := ringB.ActiveID(); got != "k2" {
		t.Errorf("active key after reload = %q, want k2", got)
	}

	// Without a reload function the missing key is unavailable too (503, not 500).
	c := New(s, mustParse(t, ringA.Marshal(), 1))
	if _, err := c.Open(ctx, "ws1", "o", "f", ct); switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("open without the key: %v, want unavailable", err)
	}
}

// mustParse parses a marshalled keyring and keeps its first n keys.
func mustParse(t *testing.T, data []byte, n int) *Keyring {
	t.Helper()
	r, err := ParseKeyring(data)
	if err != nil {
		t.Fatal(err)
	}
	r.keys = r.keys[:n]
	return r
}
