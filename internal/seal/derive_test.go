package seal

import (
	"testing"
)

func TestDeriveP256(t *testing.T) {
	ring, err := GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ring.DeriveP256("switchboard/secure-channel/v1")
	if err != nil {
		t.Fatal(err)
	}
	// Another process with the same keyring (parsed from its file) derives the same key.
	same, err := ParseKeyring(ring.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	b, err := same.DeriveP256("switchboard/secure-channel/v1")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Error("the same keyring and label derived two different keys")
	}
	other, err := ring.DeriveP256("another label")
	if err != nil {
		t.Fatal(err)
	}
	if a.Equal(other) {
		t.Error("two labels derived the same key")
	}
	if err := ring.Add("k2"); err != nil {
		t.Fatal(err)
	}
	rotated, err := ring.DeriveP256("switchboard/secure-channel/v1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Equal(rotated) {
		t.Error("a new active key derived the old key")
	}
	if a.Curve.Params().Name != "P-256" {
		t.Errorf("curve %s", a.Curve.Params().Name)
	}
	if _, err := ring.DeriveP256(""); err == nil {
		t.Error("an empty label was accepted")
	}
	if _, err := (&Keyring{}).DeriveP256("x"); err == nil {
		t.Error("an empty keyring derived a key")
	}
}
