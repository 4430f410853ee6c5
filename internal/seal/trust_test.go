package seal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
)

// soak reports whether the long forms of the trust tests run (SWITCHBOARD_SOAK=1).
func soak() bool { return os.Getenv("SWITCHBOARD_SOAK") == "1" }

// The byte layout documented in doc.go, checked from outside the Envelope: the data key's
// record names the KEK that wraps it, and a value is version | nonce | ciphertext | tag,
// which the standard library's AES-256-GCM (explicit nonce) opens under the workspace's data
// key with the documented additional data.
func TestTrustEnvelopeLayout(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	pt := []byte(`{"token":"layout-check"}`)
	ct := mustSeal(t, e, "ws", "conn_1", "secrets", pt)

	if len(ct) != 1+12+len(pt)+16 {
		t.Fatalf("len = %d, want version(1)+nonce(12)+%d+tag(16)", len(ct), len(pt))
	}
	if ct[0] != 0x01 {
		t.Fatalf("version byte = %#x, want 0x01", ct[0])
	}
	dk := s.keys["ws"]
	if dk == nil || dk.KEKID != "k1" {
		t.Fatalf("data key record = %+v, want one wrapped by k1", dk)
	}
	kek, _ := ring.lookup(dk.KEKID)
	raw, err := unwrapRaw(kek, dk)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block) // explicit 12-byte nonce, 16-byte tag
	if err != nil {
		t.Fatal(err)
	}
	nonce, body := ct[1:13], ct[13:]
	got, err := gcm.Open(nil, nonce, body, additionalData("switchboard/v1", "ws", "conn_1", "secrets"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("standard GCM open of the documented layout: %q, %v", got, err)
	}
	// The tag is the last 16 bytes: GCM's Seal over the same nonce reproduces them.
	again := gcm.Seal(nil, nonce, pt, additionalData("switchboard/v1", "ws", "conn_1", "secrets"))
	if !bytes.Equal(again[len(again)-16:], ct[len(ct)-16:]) {
		t.Error("the last 16 bytes are not the GCM tag")
	}

	// After a rotation and re-wrap the record names the new KEK and the value, unchanged,
	// still opens: the value's key is the workspace's data key, not the KEK.
	if err := ring.Add("k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Rewrap(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if s.keys["ws"].KEKID != "k2" {
		t.Errorf("after rewrap the data key record names %q, want k2", s.keys["ws"].KEKID)
	}
	mustOpen(t, New(s, ring), "ws", "conn_1", "secrets", ct, pt)
	t.Logf("FIGURE envelope_overhead_bytes=%d", len(ct)-len(pt))
}

// 10^6 encryptions (10^7 with SWITCHBOARD_SOAK=1) by concurrent callers of one Envelope, as a
// busy server makes them: no nonce repeats. Each value is sealed under one workspace's data
// key, the worst case (the most messages under one key).
func TestTrustNoRepeatedNonces(t *testing.T) {
	n := 1_000_000
	if soak() {
		n = 10_000_000
	}
	e, _, _ := newEnvelope(t)
	ctx := context.Background()
	workers := max(runtime.GOMAXPROCS(0), 2)
	nonces := make([][12]byte, n)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			pt := []byte("same plaintext every time")
			for i := w; i < n; i += workers {
				ct, err := e.Seal(ctx, "ws", "o", "f", pt)
				if err != nil {
					errs <- err
					return
				}
				nonces[i] = [12]byte(ct[1:13])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := make(map[[12]byte]struct{}, n)
	repeated := 0
	for _, nc := range nonces {
		if _, dup := seen[nc]; dup {
			repeated++
		}
		seen[nc] = struct{}{}
	}
	t.Logf("FIGURE encryptions_checked=%d", n)
	t.Logf("FIGURE repeated_nonces=%d", repeated)
	if repeated != 0 {
		t.Errorf("%d repeated nonces in %d encryptions", repeated, n)
	}
}

// Every byte of a sealed value, flipped by each of three masks, is refused with
// seal.unreadable and never panics; the unchanged value and another value of the same
// workspace still open. The store-level sweep (a flipped byte in a database row, read through
// the API) is internal/server's TestAtRestByteFlipSweep.
func TestTrustByteFlipEveryPosition(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnvelope(t)
	pt := []byte(`{"api_key":"flip-me-0123456789"}`)
	ct := mustSeal(t, e, "ws", "o", "secrets", pt)
	other := mustSeal(t, e, "ws", "o2", "secrets", pt)
	detected, swept := 0, 0
	for i := range ct {
		for _, mask := range []byte{0x01, 0x80, 0xFF} {
			bad := bytes.Clone(ct)
			bad[i] ^= mask
			swept++
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("byte %d ^ %#x: panic %v", i, mask, r)
					}
				}()
				_, err := e.Open(context.Background(), "ws", "o", "secrets", bad)
				wantUnreadable(t, err, fmt.Sprintf("byte %d ^ %#x", i, mask))
				detected++
			}()
		}
	}
	mustOpen(t, e, "ws", "o", "secrets", ct, pt)
	mustOpen(t, e, "ws", "o2", "secrets", other, pt)
	t.Logf("FIGURE envelope_flips_detected=%d/%d", detected, swept)
}
