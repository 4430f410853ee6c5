package switchboard

import "log/slog"

// Secret holds a secret value in clear inside the process. It never prints itself: String,
// GoString, MarshalJSON, MarshalText and LogValue all give the mask, so a secret that slips
// into a log line, an error or a response body is masked. Only Reveal gives the value.
type Secret struct{ v string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret in clear. Call it only where the clear value is the point: the
// credentials endpoint and sealing.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Mask returns "****" followed by the last 4 characters when the value is at least 12
// characters long, "****" otherwise.
func (s Secret) Mask() string { return MaskTail(s.v) }

// String returns the mask.
func (s Secret) String() string { return s.Mask() }

// GoString returns the mask, so %#v does not reveal the value.
func (s Secret) GoString() string { return `"` + s.Mask() + `"` }

// LogValue masks the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Mask()) }

// MarshalText gives the mask, so JSON and other encoders never see the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.Mask()), nil }

// MaskTail returns "****" plus the last 4 characters of v when v has at least 12 characters,
// "****" otherwise.
func MaskTail(v string) string {
	r := []rune(v)
	if len(r) < 12 {
		return "****"
	}
	return "****" + string(r[len(r)-4:])
}

// MaskEnds returns the first 4 + "****" + last 4 characters of v when v has at least 12
// characters, "****" otherwise (the Slash style).
func MaskEnds(v string) string {
	r := []rune(v)
	if len(r) < 12 {
		return "****"
	}
	return string(r[:4]) + "****" + string(r[len(r)-4:])
}
