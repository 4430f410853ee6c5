package seal

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// VerifyKeyring decides as Verify does, from the checks and data keys alone: the same
// answers on a database with checks and on one without (data keys only), and it never asks
// a store, so nothing is recorded whatever it answers.
func TestVerifyKeyring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, s, ring := newEnvelope(t)
	mustSeal(t, e, "ws1", "o", "f", []byte("v"))
	checks, _ := s.KeyChecks(ctx)
	dks, _ := s.ListDataKeys(ctx)

	wrong, _ := GenerateKey("k1")
	other, _ := GenerateKey("k7")
	grown := cloneRing(t, ring)
	if err := grown.Add("k2"); err != nil { // a new key without a check: Verify would record it
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		ring   *Keyring
		checks map[string][]byte
		want   string // "" for a match
	}{
		{"right", ring, checks, ""},
		{"right plus a new key", grown, checks, ""},
		{"right, no checks (old schema)", ring, nil, ""},
		{"same id other key", wrong, checks, "key k1 is not the key the data was written with"},
		{"same id other key, no checks", wrong, nil, "key k1 is not the key the data was written with"},
		{"other id", other, checks, "lacks key(s) k1"},
		{"other id, no checks", other, nil, "lacks key(s) k1"},
		{"empty keyring", &Keyring{}, checks, "holds no keys"},
	}
	w := s.writeCount()
	for _, c := range cases {
		err := VerifyKeyring(c.ring, c.checks, dks)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: VerifyKeyring = %v, want a match", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: VerifyKeyring = %v, want %q", c.name, err, c.want)
		case c.want != "" && c.ring.ActiveID() != "" && !errors.Is(err, ErrKeyringMismatch):
			t.Errorf("%s: %v is not ErrKeyringMismatch", c.name, err)
		}
		if err != nil {
			for _, dk := range dks {
				if strings.Contains(err.Error(), string(dk.Wrapped)) {
					t.Errorf("%s: the error holds a wrapped key", c.name)
				}
			}
		}
	}
	if s.writeCount() != w {
		t.Error("VerifyKeyring wrote to the store")
	}
	// An empty database proves nothing wrong: any keyring passes.
	if err := VerifyKeyring(other, nil, []*switchboard.DataKey{}); err != nil {
		t.Errorf("VerifyKeyring on an empty database = %v", err)
	}
}

func cloneRing(t *testing.T, r *Keyring) *Keyring {
	t.Helper()
	c, err := ParseKeyring(r.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
