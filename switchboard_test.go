package switchboard

import (
	"slices"
	"strings"
	"testing"
)

func TestNewIDSortsInCreationOrder(t *testing.T) {
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = NewID(PrefixConnection)
	}
	if !slices.IsSorted(ids) {
		t.Fatal("ids made one after another do not sort in creation order")
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatal("repeated id")
	}
	for _, id := range ids[:3] {
		if !strings.HasPrefix(id, "conn_") || len(id) != len("conn_")+26 {
			t.Fatalf("id %q has the wrong form", id)
		}
	}
}

func TestValidWorkspaceID(t *testing.T) {
	for id, want := range map[string]bool{
		"default": true, "team-a_1": true, strings.Repeat("a", 64): true,
		"": false, "bad id!": false, strings.Repeat("a", 65): false, "ü": false,
	} {
		if got := ValidWorkspaceID(id); got != want {
			t.Errorf("ValidWorkspaceID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestSecretNeverPrintsItself(t *testing.T) {
	s := NewSecret("sk_live_0123456789abcdef")
	for _, got := range []string{s.String(), s.GoString(), s.Mask()} {
		if strings.Contains(got, "0123") {
			t.Errorf("secret leaked: %q", got)
		}
	}
	if b, _ := s.MarshalText(); string(b) != "****cdef" {
		t.Errorf("MarshalText = %q", b)
	}
	if MaskTail("short") != "****" || MaskEnds("abcdefghijklmnop") != "abcd****mnop" {
		t.Error("masks")
	}
}
