package seal

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keyB64 returns the base64 of n bytes that are easy to spot in a leaked message.
func keyB64(n int, fill byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n))
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	k1, k2 := keyB64(32, 0xA1), keyB64(32, 0xB2)
	r, err := ParseKeyring([]byte("\ufeff# a comment\n\n  old:" + k1 + "  \r\n# another\nk.new_2-x:" + k2 + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"old", "k.new_2-x"}, r.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if got := r.ActiveID(); got != "k.new_2-x" {
		t.Errorf("ActiveID = %q, want the last key", got)
	}
	// Marshal then parse gives the same keys.
	r2, err := ParseKeyring(r.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Marshal(), r2.Marshal()) {
		t.Error("Marshal/ParseKeyring round trip changed the keyring")
	}
}

func TestParseKeyringErrors(t *testing.T) {
	t.Parallel()
	good := keyB64(32, 0x11)
	short := keyB64(16, 0xC3)
	long := keyB64(33, 0xD4)
	bad := "!!" + keyB64(32, 0xE5)[2:]
	tests := []struct {
		name, in, want string
		secret         string // must not appear in the error
	}{
		{"empty", "", "holds no keys", ""},
		{"only comments", "# nothing\n\n   \n", "holds no keys", ""},
		{"short key", "k1:" + short, `line 1: key "k1" is 16 bytes, want 32`, short},
		{"long key", "# c\nk1:" + long, `line 2: key "k1" is 33 bytes, want 32`, long},
		{"bad base64", "k1:" + bad, `line 1: key "k1" is not valid standard base64`, bad[2:]},
		{"url base64", "k1:" + strings.NewReplacer("+", "-", "/", "_").Replace(keyB64(32, 0xFB)), "not valid standard base64", "-"},
		{"duplicate", "k1:" + good + "\nk2:" + keyB64(32, 0x22) + "\nk1:" + keyB64(32, 0x33), `line 3: duplicate key id "k1"`, keyB64(32, 0x33)},
		{"no colon", good, "line 1: not of the form ID:BASE64", good},
		{"bad id", "bad id!:" + good, "line 1: invalid key id", good},
		{"long id", strings.Repeat("a", 65) + ":" + good, "invalid key id", good},
		{"empty id", ":" + good, "invalid key id", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseKeyring([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseKeyring = %v, want an error", r)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q contains key material", err)
			}
			if len(tt.secret) > 8 && strings.Contains(err.Error(), tt.secret[:8]) {
				t.Errorf("error %q contains part of the key material", err)
			}
		})
	}
}

func TestKeyringDoesNotPrintKeys(t *testing.T) {
	t.Parallel()
	secret := keyB64(32, 0x5A)
	r, err := ParseKeyring([]byte("k1:" + secret))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, r)
		if strings.Contains(out, secret[:8]) || !strings.Contains(out, "k1") {
			t.Errorf("Sprintf(%q) = %q: leaks the key or lacks the id", f, out)
		}
	}
}

func TestKeyringAdd(t *testing.T) {
	t.Parallel()
	r, err := GenerateKey("a")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Add("b"); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("a"); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("Add(duplicate) = %v, want a duplicate error", err)
	}
	if err := r.Add("no/slash"); err == nil {
		t.Error("Add(invalid id) succeeded")
	}
	if _, err := GenerateKey(""); err == nil {
		t.Error("GenerateKey(\"\") succeeded")
	}
	if diff := cmp.Diff([]string{"a", "b"}, r.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if r.ActiveID() != "b" || !r.Has("a") || r.Has("c") {
		t.Errorf("ActiveID = %q, Has(a) = %v, Has(c) = %v", r.ActiveID(), r.Has("a"), r.Has("c"))
	}
	// Generated keys differ.
	lines := strings.Split(strings.TrimSpace(string(r.Marshal())), "\n")
	if k1, k2 := lines[len(lines)-2][2:], lines[len(lines)-1][2:]; k1 == k2 {
		t.Error("two generated keys are equal")
	}
}

func TestNewKeyID(t *testing.T) {
	t.Parallel()
	id := NewKeyID()
	if !ValidKeyID(id) || !strings.HasPrefix(id, "k") || len(id) != len("k20061125T105200Z") {
		t.Errorf("NewKeyID() = %q", id)
	}
}

func TestWriteKeyringFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring")
	r, err := GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyringFile(path, r); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("k2"); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyringFile(path, r); err != nil { // replaces the file
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %v, want 0600", perm)
	}
	got, err := LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Marshal(), r.Marshal()) {
		t.Error("LoadKeyring does not return what WriteKeyringFile wrote")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the keyring (no temp files)", len(entries))
	}
	if _, err := LoadKeyring(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadKeyring(missing file) succeeded")
	}
	if err := WriteKeyringFile(filepath.Join(dir, "no", "such", "dir"), r); err == nil {
		t.Error("WriteKeyringFile into a missing directory succeeded")
	}
}

func FuzzParseKeyring(f *testing.F) {
	f.Add([]byte("k1:" + keyB64(32, 1) + "\n# c\nk2:" + keyB64(32, 2)))
	f.Add([]byte("k1:" + keyB64(31, 1)))
	f.Add([]byte(":\n:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseKeyring(data)
		if err != nil {
			return
		}
		r2, err := ParseKeyring(r.Marshal())
		if err != nil || !bytes.Equal(r.Marshal(), r2.Marshal()) {
			t.Fatalf("re-parse of a parsed keyring: %v", err)
		}
	})
}
