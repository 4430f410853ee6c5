package httpx

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard"
)

func TestETag(t *testing.T) {
	t.Parallel()
	for rev, want := range map[int64]string{0: `"0"`, 5: `"5"`, 1234567890123: `"1234567890123"`} {
		if got := ETag(rev); got != want {
			t.Errorf("ETag(%d) = %s, want %s", rev, got, want)
		}
		if got, present, err := ParseIfMatch(ETag(rev)); err != nil || !present || got != rev {
			t.Errorf("ParseIfMatch(ETag(%d)) = %d, %v, %v", rev, got, present, err)
		}
	}
}

func TestParseIfMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header  string
		rev     int64
		present bool
		invalid bool
	}{
		{header: "", present: false},
		{header: "   ", present: false},
		{header: `"5"`, rev: 5, present: true},
		{header: ` "5" `, rev: 5, present: true},
		{header: `W/"5"`, rev: 5, present: true},
		{header: `"0"`, rev: 0, present: true},
		{header: `"9223372036854775807"`, rev: 9223372036854775807, present: true},
		{header: `"9223372036854775808"`, present: true, invalid: true},
		{header: `"99999999999999999999"`, present: true, invalid: true},
		{header: `*`, present: true, invalid: true},
		{header: `"5", "6"`, present: true, invalid: true},
		{header: `"5","6"`, present: true, invalid: true},
		{header: `5`, present: true, invalid: true},
		{header: `"5`, present: true, invalid: true},
		{header: `5"`, present: true, invalid: true},
		{header: `""`, present: true, invalid: true},
		{header: `"-1"`, present: true, invalid: true},
		{header: `"+5"`, present: true, invalid: true},
		{header: `"05"`, present: true, invalid: true},
		{header: `"5 "`, present: true, invalid: true},
		{header: `"abc"`, present: true, invalid: true},
		{header: `w/"5"`, present: true, invalid: true},
		{header: `W/W/"5"`, present: true, invalid: true},
		{header: `W/ "5"`, present: true, invalid: true},
		{header: `"٥"`, present: true, invalid: true},
	}
	for _, tt := range tests {
		rev, present, err := ParseIfMatch(tt.header)
		if present != tt.present || (!tt.invalid && rev != tt.rev) {
			t.Errorf("ParseIfMatch(%q) = %d, %v, %v; want %d, %v", tt.header, rev, present, err, tt.rev, tt.present)
		}
		if !tt.invalid {
			if err != nil {
				t.Errorf("ParseIfMatch(%q): %v", tt.header, err)
			}
			continue
		}
		e, ok := errors.AsType[*switchboard.Error](err)
		if !ok || e.Code != switchboard.CodeInvalid || e.Message != "if_match.invalid" ||
			len(e.Details) != 1 || e.Details[0].Field != "If-Match" {
			t.Errorf("ParseIfMatch(%q) error = %v, want 4000 if_match.invalid", tt.header, err)
		}
	}
}
