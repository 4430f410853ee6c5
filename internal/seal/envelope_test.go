package seal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboardhq/switchboard"
)

// newEnvelope returns an Envelope over a fresh fake store and a keyring with one key, "k1".
func newEnvelope(t testing.TB) (*Envelope, *fakeStore, *Keyring) {
	t.Helper()
	ring, err := GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	s := newFakeStore()
	e := New(s, ring)
	if err := e.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, s, ring
}

func mustSeal(t testing.TB, e *Envelope, ws, obj, field string, pt []byte) []byte {
	t.Helper()
	ct, err := e.Seal(context.Background(), ws, obj, field, pt)
	if err != nil {
		t.Fatalf("Seal(%s, %s, %s): %v", ws, obj, field, err)
	}
	return ct
}

func mustOpen(t testing.TB, e *Envelope, ws, obj, field string, ct, want []byte) {
	t.Helper()
	got, err := e.Open(context.Background(), ws, obj, field, ct)
	if err != nil {
		t.Fatalf("Open(%s, %s, %s): %v", ws, obj, field, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Open(%s, %s, %s) = %q, want %q", ws, obj, field, got, want)
	}
}

// wantUnreadable fails unless err is *switchboard.Error{Code: CodeInternal, Message:
// "seal.unreadable"}.
func wantUnreadable(t testing.TB, err error, what string) {
	t.Helper()
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok || e.Code != switchboard.CodeInternal || e.Message != "seal.unreadable" {
		t.Fatalf("%s: err = %v, want seal.unreadable", what, err)
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	for _, pt := range [][]byte{nil, {}, []byte("x"), []byte("hunter2"), bytes.Repeat([]byte("secret"), 10000)} {
		ct := mustSeal(t, e, "ws1", "cred_1", "password", pt)
		if len(ct) != 1+12+len(pt)+16 || ct[0] != 0x01 {
			t.Errorf("len(ct) = %d, version %#x; want %d, 0x01", len(ct), ct[0], 1+12+len(pt)+16)
		}
		if len(pt) > 4 && bytes.Contains(ct, pt[:5]) {
			t.Error("ciphertext contains the plaintext")
		}
		mustOpen(t, e, "ws1", "cred_1", "password", ct, pt)
		// A new Envelope (no cache) over the same store and keyring opens it too.
		mustOpen(t, New(s, ring), "ws1", "cred_1", "password", ct, pt)
	}
	if n := len(s.keys); n != 1 {
		t.Errorf("store holds %d data keys, want 1", n)
	}
	// The same value sealed twice differs (random nonces).
	a, b := mustSeal(t, e, "ws1", "o", "f", []byte("v")), mustSeal(t, e, "ws1", "o", "f", []byte("v"))
	if bytes.Equal(a, b) {
		t.Error("two seals of one value are equal")
	}
}

func TestSealBinding(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnvelope(t)
	pt := []byte("s3cr3t")
	ct := mustSeal(t, e, "ws1", "obj", "field", pt)
	mustSeal(t, e, "ws2", "x", "y", pt) // ws2 gets a data key of its own
	tests := []struct{ ws, obj, field string }{
		{"ws2", "obj", "field"},
		{"ws1", "obj2", "field"},
		{"ws1", "obj", "field2"},
		{"ws1", "field", "obj"},
		{"ws1", "objf", "ield"}, // same concatenation, different split
		{"ws1", "ob", "jfield"},
		{"ws1", "", "objfield"},
		{"ws1obj", "", "field"},
		{"nows", "obj", "field"}, // a workspace without a data key
	}
	for _, tt := range tests {
		_, err := e.Open(context.Background(), tt.ws, tt.obj, tt.field, ct)
		wantUnreadable(t, err, fmt.Sprintf("Open(%q, %q, %q)", tt.ws, tt.obj, tt.field))
		if err != nil && strings.Contains(err.Error(), string(pt)) {
			t.Errorf("error %q holds the plaintext", err)
		}
	}
	mustOpen(t, e, "ws1", "obj", "field", ct, pt)
}

func TestOpenDoesNotCreateDataKeys(t *testing.T) {
	t.Parallel()
	e, s, _ := newEnvelope(t)
	w := s.writeCount()
	_, err := e.Open(context.Background(), "ws-new", "o", "f", make([]byte, 64))
	wantUnreadable(t, err, "Open on a workspace without a data key")
	if s.writeCount() != w {
		t.Error("Open wrote to the store")
	}
}

func TestOpenByteFlip(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnvelope(t)
	pt := []byte("correct horse battery staple")
	ct := mustSeal(t, e, "ws", "o", "f", pt)
	for i := range ct {
		for _, mask := range []byte{0x01, 0x80, 0xFF} {
			bad := bytes.Clone(ct)
			bad[i] ^= mask
			_, err := e.Open(context.Background(), "ws", "o", "f", bad)
			wantUnreadable(t, err, fmt.Sprintf("byte %d ^ %#x", i, mask))
		}
	}
	mustOpen(t, e, "ws", "o", "f", ct, pt) // the original is untouched
}

func TestOpenMalformed(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnvelope(t)
	ct := mustSeal(t, e, "ws", "o", "f", []byte("value"))
	for n := range len(ct) {
		_, err := e.Open(context.Background(), "ws", "o", "f", ct[:n])
		wantUnreadable(t, err, fmt.Sprintf("truncated to %d bytes", n))
	}
	_, err := e.Open(context.Background(), "ws", "o", "f", nil)
	wantUnreadable(t, err, "nil")
	_, err = e.Open(context.Background(), "ws", "o", "f", append(bytes.Clone(ct), 0))
	wantUnreadable(t, err, "one byte appended")
	for _, v := range []byte{0x00, 0x02, 0xFF} {
		bad := bytes.Clone(ct)
		bad[0] = v
		_, err := e.Open(context.Background(), "ws", "o", "f", bad)
		wantUnreadable(t, err, fmt.Sprintf("version %#x", v))
	}
	// An empty value's ciphertext is the shortest that opens.
	empty := mustSeal(t, e, "ws", "o", "f", nil)
	mustOpen(t, e, "ws", "o", "f", empty, nil)
	_, err = e.Open(context.Background(), "ws", "o", "f", empty[:len(empty)-1])
	wantUnreadable(t, err, "empty value truncated")
}

func TestNoRepeatedNonce(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnvelope(t)
	const n = 100_000
	seen := make(map[[12]byte]struct{}, n)
	for i := range n {
		ct := mustSeal(t, e, "ws", "o", "f", []byte("v"))
		nonce := [12]byte(ct[1:13])
		if _, dup := seen[nonce]; dup {
			t.Fatalf("seal %d repeated a nonce", i)
		}
		seen[nonce] = struct{}{}
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, s, ring := newEnvelope(t)
	type sealed struct {
		ws string
		ct []byte
	}
	var before []sealed
	for i := range 10 {
		ws := fmt.Sprintf("ws%02d", i)
		before = append(before, sealed{ws, mustSeal(t, e, ws, "o", "f", []byte(ws))})
	}

	if err := ring.Add("k2"); err != nil {
		t.Fatal(err)
	}
	// Before the rewrap, new workspaces get the new key; old ones keep theirs.
	mustSeal(t, e, "ws-new", "o", "f", []byte("new"))
	if diff := cmp.Diff(map[string]int{"k1": 10, "k2": 1}, s.kekCounts()); diff != "" {
		t.Errorf("data keys by KEK before rewrap (-want +got):\n%s", diff)
	}

	var calls []int
	n, err := e.Rewrap(ctx, func(done, total int) {
		if total != 10 {
			t.Errorf("progress total = %d, want 10", total)
		}
		calls = append(calls, done)
	})
	if err != nil || n != 10 {
		t.Fatalf("Rewrap = %d, %v; want 10, nil", n, err)
	}
	if diff := cmp.Diff([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, calls); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"k2": 11}, s.kekCounts()); diff != "" {
		t.Errorf("data keys by KEK after rewrap (-want +got):\n%s", diff)
	}
	if _, ok := s.checks["k2"]; !ok {
		t.Error("Rewrap did not record the check value of the active key")
	}
	if len(e.cache) != 0 {
		t.Errorf("%d data keys still cached after the rewrap, want 0", len(e.cache))
	}
	// Readable by this Envelope (unwraps again, with k2) and a new one.
	fresh := New(s, ring)
	for _, b := range before {
		mustOpen(t, e, b.ws, "o", "f", b.ct, []byte(b.ws))
		mustOpen(t, fresh, b.ws, "o", "f", b.ct, []byte(b.ws))
	}
	// With k1 gone from the keyring, everything still opens and Verify passes.
	only2, err := ParseKeyring([]byte(strings.Split(string(ring.Marshal()), "\n")[2]))
	if err != nil || only2.ActiveID() != "k2" {
		t.Fatalf("keyring of k2 alone: %v, %v", only2, err)
	}
	e2 := New(s, only2)
	if err := e2.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range before {
		mustOpen(t, e2, b.ws, "o", "f", b.ct, []byte(b.ws))
	}

	n, err = e.Rewrap(ctx, nil)
	if err != nil || n != 0 {
		t.Errorf("second Rewrap = %d, %v; want 0, nil", n, err)
	}
}

func TestRewrapResumes(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	for i := range 10 {
		mustSeal(t, e, fmt.Sprint("ws", i), "o", "f", []byte("v"))
	}
	if err := ring.Add("k2"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := e.Rewrap(ctx, func(done, total int) {
		if done == 4 {
			cancel() // killed part way
		}
	})
	if n != 4 || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Rewrap = %d, %v; want 4, context.Canceled", n, err)
	}
	if diff := cmp.Diff(map[string]int{"k1": 6, "k2": 4}, s.kekCounts()); diff != "" {
		t.Errorf("after the interruption (-want +got):\n%s", diff)
	}
	n, err = New(s, ring).Rewrap(context.Background(), nil)
	if n != 6 || err != nil {
		t.Fatalf("resumed Rewrap = %d, %v; want 6, nil", n, err)
	}
}

func TestRewrapSkipsConflicts(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	for _, ws := range []string{"a", "b", "c"} {
		mustSeal(t, e, ws, "o", "f", []byte("v"))
	}
	if err := ring.Add("k2"); err != nil {
		t.Fatal(err)
	}
	// Another process re-wraps "b" (to some key) and the workspace "c" loses its data key
	// between the list and the compare-and-swap.
	s.beforeRewrap = func(ws string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch ws {
		case "b":
			s.keys["b"].KEKID = "k-other"
		case "c":
			delete(s.keys, "c")
		}
	}
	n, err := e.Rewrap(context.Background(), nil)
	if n != 1 || err != nil {
		t.Errorf("Rewrap = %d, %v; want 1 (the others skipped), nil", n, err)
	}
}

func TestRewrapMissingKey(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	mustSeal(t, e, "a", "o", "f", []byte("v"))
	mustSeal(t, e, "b", "o", "f", []byte("v"))
	s.keys["a"].KEKID = "k-lost" // wrapped by a key this keyring lacks
	if err := ring.Add("k2"); err != nil {
		t.Fatal(err)
	}
	n, err := e.Rewrap(context.Background(), nil)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "a") {
		t.Errorf("Rewrap = %d, %v; want 1 and an error naming workspace a", n, err)
	}
}

func TestRewrapRefusesWrongActiveKey(t *testing.T) {
	t.Parallel()
	e, s, _ := newEnvelope(t)
	mustSeal(t, e, "a", "o", "f", []byte("v"))
	// A different k2 was recorded before (an earlier keyring that was lost).
	other, _ := GenerateKey("k2")
	if err := New(s, other).Verify(context.Background()); err == nil {
		t.Fatal("Verify of an unrelated keyring over data of k1 succeeded")
	}
	if err := New(s, other).checkActive(context.Background(), "k2", other.keys[0].aead); err != nil {
		t.Fatal(err)
	}
	ring2, _ := ParseKeyring(e.ring.Marshal())
	if err := ring2.Add("k2"); err != nil {
		t.Fatal(err)
	}
	w := s.writeCount()
	n, err := New(s, ring2).Rewrap(context.Background(), nil)
	if n != 0 || !errors.Is(err, ErrKeyringMismatch) || !strings.Contains(err.Error(), "key k2 is not the key") {
		t.Errorf("Rewrap = %d, %v; want 0 and a mismatch on k2", n, err)
	}
	if s.writeCount() != w {
		t.Error("a refused Rewrap wrote to the store")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, s, ring := newEnvelope(t) // Verify recorded k1
	if _, ok := s.checks["k1"]; !ok {
		t.Fatal("Verify did not record the check of k1")
	}
	mustSeal(t, e, "ws1", "o", "f", []byte("v"))
	w := s.writeCount()
	if err := New(s, ring).Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if s.writeCount() != w {
		t.Error("a second Verify wrote")
	}

	t.Run("wrong key same id", func(t *testing.T) {
		wrong, _ := GenerateKey("k1")
		_ = wrong.Add("k9") // a new key that Verify would record, were it to pass
		w := s.writeCount()
		err := New(s, wrong).Verify(ctx)
		want := "keyring does not match the database: key k1 is not the key the data was written with"
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrKeyringMismatch) {
			t.Errorf("Verify = %v, want %q", err, want)
		}
		if s.writeCount() != w {
			t.Error("a failed Verify wrote")
		}
	})
	t.Run("missing key", func(t *testing.T) {
		other, _ := GenerateKey("k7")
		w := s.writeCount()
		err := New(s, other).Verify(ctx)
		if err == nil || !strings.Contains(err.Error(), "lacks key(s) k1") || !errors.Is(err, ErrKeyringMismatch) {
			t.Errorf("Verify = %v, want an error naming k1", err)
		}
		if s.writeCount() != w {
			t.Error("a failed Verify wrote")
		}
	})
}

// A database written before key checks were: data keys but no checks. The data keys decide.
func TestVerifyWithoutChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ring, _ := GenerateKey("k1")
	s := newFakeStore()
	e := New(s, ring)
	for _, ws := range []string{"a", "b"} {
		mustSeal(t, e, ws, "o", "f", []byte("v"))
	}
	s.keys["a"].Wrapped[5] ^= 1 // one corrupt row is not a wrong key

	wrong, _ := GenerateKey("k1")
	w := s.writeCount()
	if err := New(s, wrong).Verify(ctx); err == nil || !strings.Contains(err.Error(), "key k1 is not the key") {
		t.Errorf("Verify(wrong keyring) = %v, want a mismatch on k1", err)
	}
	if s.writeCount() != w || len(s.checks) != 0 {
		t.Error("a failed Verify wrote")
	}
	if err := e.Verify(ctx); err != nil {
		t.Fatalf("Verify(right keyring) = %v", err)
	}
	if _, ok := s.checks["k1"]; !ok {
		t.Error("Verify did not record the check of k1")
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, s, ring := newEnvelope(t)
	for _, ws := range []string{"a", "b", "c"} {
		mustSeal(t, e, ws, "o", "f", []byte("v"))
	}
	_ = ring.Add("k2")
	mustSeal(t, e, "d", "o", "f", []byte("v"))
	s.keys["c"].KEKID = "k-lost"
	got, err := e.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := &Status{
		ActiveKEKID: "k2",
		KEKIDs:      []string{"k1", "k2"},
		DataKeys:    map[string]int{"k1": 2, "k2": 1, "k-lost": 1},
		Missing:     []string{"k-lost"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
}

func TestCreateDataKeyRace(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	const n = 32
	cts := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each goroutine has its own Envelope, as separate processes would.
			ct, err := New(s, ring).Seal(context.Background(), "ws", "o", "f", []byte{byte(i)})
			if err != nil {
				t.Error(err)
			}
			cts[i] = ct
		})
	}
	wg.Wait()
	if len(s.keys) != 1 {
		t.Fatalf("%d data keys, want 1", len(s.keys))
	}
	for i, ct := range cts {
		mustOpen(t, e, "ws", "o", "f", ct, []byte{byte(i)})
	}
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnvelope(t)
	e.cacheMax = 4
	var cts [][]byte
	for i := range 20 {
		cts = append(cts, mustSeal(t, e, fmt.Sprint("ws", i), "o", "f", []byte("v")))
	}
	if len(e.cache) > 4 {
		t.Errorf("cache holds %d entries, want at most 4", len(e.cache))
	}
	for i, ct := range cts {
		mustOpen(t, e, fmt.Sprint("ws", i), "o", "f", ct, []byte("v"))
	}
}

// unavailableStore fails every read as a down database would.
type unavailableStore struct{ *fakeStore }

func (unavailableStore) GetDataKey(context.Context, string) (*switchboard.DataKey, error) {
	return nil, switchboard.Errorf(switchboard.CodeUnavailable, "unavailable")
}

func TestStoreErrorsPassThrough(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	ct := mustSeal(t, e, "ws", "o", "f", []byte("v"))
	down := New(unavailableStore{s}, ring)
	if _, err := down.Seal(context.Background(), "ws", "o", "f", []byte("v")); switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("Seal = %v, want CodeUnavailable", err)
	}
	if _, err := down.Open(context.Background(), "ws", "o", "f", ct); switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("Open = %v, want CodeUnavailable", err)
	}
}

func TestConcurrentSealOpenDuringRewrap(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	e.cacheMax = 3 // force unwraps from the store while keys move
	const workspaces = 24
	for i := range workspaces {
		mustSeal(t, e, fmt.Sprint("ws", i), "o", "f", []byte("seed"))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ws := fmt.Sprint("ws", (g*7+i)%(workspaces+4)) // some are new
				obj := fmt.Sprint("o", g, "-", i)
				pt := []byte(obj)
				ct, err := e.Seal(context.Background(), ws, obj, "f", pt)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := e.Open(context.Background(), ws, obj, "f", ct)
				if err != nil || !bytes.Equal(got, pt) {
					t.Errorf("Open = %q, %v", got, err)
					return
				}
			}
		})
	}
	for _, id := range []string{"k2", "k3"} {
		if err := ring.Add(id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Rewrap(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if n, err := e.Rewrap(context.Background(), nil); err != nil || n != 0 {
		t.Errorf("final Rewrap = %d, %v; want 0, nil", n, err)
	}
	counts := s.kekCounts()
	if len(counts) != 1 || counts["k3"] == 0 {
		t.Errorf("data keys by KEK = %v, want all under k3", counts)
	}
}

func FuzzOpen(f *testing.F) {
	e, _, _ := newEnvelope(f)
	ct, _ := e.Seal(context.Background(), "ws", "o", "f", []byte("v"))
	f.Add(ct)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := e.Open(context.Background(), "ws", "o", "f", data)
		if err == nil {
			if !bytes.Equal(data, ct) || string(pt) != "v" {
				t.Fatalf("forged ciphertext opened: %q", pt)
			}
			return
		}
		wantUnreadable(t, err, "fuzzed ciphertext")
	})
}

func BenchmarkSeal(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			e, _, _ := newEnvelope(b)
			pt := bytes.Repeat([]byte("x"), size)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Seal(ctx, "ws", "cred_0123456789", "password", pt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			e, _, _ := newEnvelope(b)
			ctx := context.Background()
			ct := mustSeal(b, e, "ws", "cred_0123456789", "password", bytes.Repeat([]byte("x"), size))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Open(ctx, "ws", "cred_0123456789", "password", ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestAdditionalDataUnambiguous(t *testing.T) {
	t.Parallel()
	sets := [][]string{
		{"ws", "obj", "field"},
		{"ws", "objf", "ield"},
		{"wso", "bj", "field"},
		{"ws", "", "objfield"},
		{"", "wsobj", "field"},
		{"ws", "obj", "field", ""},
		{"ws", "obj\x00\x00\x00\x05field"},
	}
	seen := map[string][]string{}
	for _, parts := range sets {
		ad := string(additionalData(labelValue, parts...))
		if prev, dup := seen[ad]; dup {
			t.Errorf("%q and %q encode alike", prev, parts)
		}
		seen[ad] = parts
	}
}

// A wrapped data key copied into another workspace's row does not unwrap there.
func TestWrappedKeyBoundToWorkspace(t *testing.T) {
	t.Parallel()
	e, s, ring := newEnvelope(t)
	ct := mustSeal(t, e, "ws1", "o", "f", []byte("v"))
	k := copyDK(s.keys["ws1"])
	k.WorkspaceID = "ws2"
	s.keys["ws2"] = k
	_, err := New(s, ring).Open(context.Background(), "ws2", "o", "f", ct)
	if err == nil || switchboard.ErrorCode(err) != switchboard.CodeInternal {
		t.Errorf("Open with a data key copied from another workspace = %v, want an internal error", err)
	}
	if _, err := New(s, ring).Seal(context.Background(), "ws2", "o", "f", []byte("v")); err == nil {
		t.Error("Seal with a data key copied from another workspace succeeded")
	}
}

// A database set up with one keyring, with no secret sealed yet, refuses a keyring of other
// ids: otherwise two replicas (or a restart with a lost keyring) would each record their own.
func TestVerifyRefusesAnotherKeyringBeforeAnySecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, s, ring := newEnvelope(t) // Verify recorded k1; nothing sealed
	other, _ := GenerateKey("k2")
	w := s.writeCount()
	err := New(s, other).Verify(ctx)
	if err == nil || !errors.Is(err, ErrKeyringMismatch) || !strings.Contains(err.Error(), "k1") {
		t.Fatalf("Verify(other keyring) = %v, want a mismatch naming the known key k1", err)
	}
	if s.writeCount() != w {
		t.Error("a failed Verify wrote")
	}
	// The keyring after a rotation whose old key was removed is still recognised.
	if err := ring.Add("k3"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(s, ring).Rewrap(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rotated, _ := ParseKeyring([]byte("k3:" + base64Key(t, ring, "k3") + "\n"))
	if err := New(s, rotated).Verify(ctx); err != nil {
		t.Errorf("Verify(rotated keyring without the old key) = %v", err)
	}
}

func base64Key(t testing.TB, r *Keyring, id string) string {
	t.Helper()
	for _, line := range strings.Split(string(r.Marshal()), "\n") {
		if v, ok := strings.CutPrefix(line, id+":"); ok {
			return v
		}
	}
	t.Fatalf("no key %s", id)
	return ""
}
