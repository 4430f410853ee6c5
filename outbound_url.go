package switchboard

import (
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// MaxOutboundURLLen bounds a URL Switchboard will call (webhook endpoints, token endpoints).
const MaxOutboundURLLen = 2048

// CheckOutboundURL accepts a URL that Switchboard may later call on a user's behalf: an
// absolute http or https URL whose host is a DNS name or a canonical IP literal, with no
// userinfo, fragment, whitespace, control character or backslash. It refuses the forms that
// parsers disagree on and that dress up a forbidden address: numeric hosts that are not a
// dotted quad (2130706433, 0x7f.1, 0177.0.0.1, 127.1), IPv6 zone ids, trailing dots,
// non-ASCII hosts (use punycode), and localhost names. Which addresses may be reached is
// decided again at dial time (internal/outbound), after every DNS answer; this check only
// keeps the ambiguous spellings out of storage.
func CheckOutboundURL(raw string) error {
	if raw == "" || len(raw) > MaxOutboundURLLen {
		return errors.New("length")
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return errors.New("whitespace, control character or backslash")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("scheme")
	case u.Opaque != "" || u.Host == "":
		return errors.New("no host")
	case u.User != nil || strings.Contains(u.Host, "@"):
		return errors.New("userinfo")
	case strings.Contains(raw, "#"):
		return errors.New("fragment")
	case strings.Contains(u.Host, "%"):
		return errors.New("zone id")
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return errors.New("port")
		}
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return errors.New("IPv6 literal")
		}
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Is4() {
			return errors.New("IPv6 literal without brackets")
		}
		return nil // netip accepts the canonical dotted quad only
	}
	return checkHostName(host)
}

// checkHostName accepts a lower- or upper-case ASCII DNS name whose last label is not
// numeric (so it cannot be read as an IPv4 address by any resolver).
func checkHostName(host string) error {
	if len(host) > 253 {
		return errors.New("host too long")
	}
	h := strings.ToLower(host)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "localhost.localdomain" {
		return errors.New("localhost")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("host label")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return errors.New("host character")
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		return errors.New("numeric host")
	}
	if len(last) > 2 && last[:2] == "0x" && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return errors.New("numeric host")
	}
	return nil
}

// leadingConfigRef matches a health check URL that starts with a config field's value
// ("{{config.base_url}}/health"): that field is where the check's host comes from.
var leadingConfigRef = regexp.MustCompile(`^\{\{\s*config\.([A-Za-z0-9_-]+)\s*\}\}`)

// checkHealthURLConfig refuses, when v's http health check URL starts with a config field,
// a value of that field that CheckOutboundURL refuses: the check would call it later. Values
// that are secrets or absent (the schema default) are left to the dial-time guard.
func checkHealthURLConfig(v *ConnectorVersion, config map[string]any) error {
	if v == nil || len(v.HealthCheck) == 0 {
		return nil
	}
	var hc struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	}
	if json.Unmarshal(v.HealthCheck, &hc) != nil || hc.Type != "http" {
		return nil
	}
	m := leadingConfigRef.FindStringSubmatch(hc.URL)
	if m == nil {
		return nil
	}
	if s, ok := config[m[1]].(string); ok && CheckOutboundURL(s) != nil {
		return Invalid("config."+m[1], "http_url")
	}
	return nil
}
