package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// HuaweiScheme is the Authorization scheme of Huawei Cloud's SDK signature.
const HuaweiScheme = "SDK-HMAC-SHA256"

// HuaweiDateFormat is the layout of the X-Sdk-Date header.
const HuaweiDateFormat = "20060102T150405Z"

// DefaultHuaweiClockSkew is how far X-Sdk-Date may be from the server's clock, either way,
// when Config.HuaweiClockSkew is zero.
const DefaultHuaweiClockSkew = 15 * time.Minute

// AccessKeyLookup finds an access key and its secret (SK) for signature verification.
// *switchboard.Service implements it.
type AccessKeyLookup interface {
	// AccessKeySecret returns the key and its SK. An unknown or revoked key is an *Error
	// with CodeUnauthenticated; other errors are failures of the store or keyring.
	AccessKeySecret(ctx context.Context, id string) (*switchboard.AccessKey, switchboard.Secret, error)
}

// huaweiAuth is a parsed "Authorization: SDK-HMAC-SHA256 ..." header.
type huaweiAuth struct {
	access        string
	signedHeaders []string
	signature     []byte
}

// AuthenticateHuawei verifies a request signed the way Huawei Cloud's SDKs sign
// (SDK-HMAC-SHA256 with an access key pair) and returns the access key's principal. body is
// the raw request body, read by the caller (r.Body is not read). The signed headers must
// include x-sdk-date, within the clock-skew window of now; the signature is recomputed over
// the method, path, query, signed headers and the body's SHA-256, and compared in constant
// time.
//
// Every failure of the request is the same Unauthenticated error, with the reason in Cause
// (never the secret or a signature); a failure of the key lookup other than Unauthenticated
// (the store is down) is returned as it is.
func (a *Authenticator) AuthenticateHuawei(ctx context.Context, r *http.Request, body []byte) (*switchboard.Principal, error) {
	if a.accessKeys == nil {
		return nil, unauthenticated(errors.New("huawei: access keys are not enabled"))
	}
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return nil, unauthenticated(errors.New("huawei: not exactly one Authorization header"))
	}
	if len(values[0]) > MaxTokenLen {
		return nil, unauthenticated(errors.New("huawei: Authorization header over the limit"))
	}
	h, err := parseHuaweiAuth(values[0])
	if err != nil {
		return nil, unauthenticated(fmt.Errorf("huawei: %w", err))
	}
	if !slices.Contains(h.signedHeaders, "x-sdk-date") {
		return nil, unauthenticated(errors.New("huawei: x-sdk-date is not signed"))
	}
	dates := r.Header.Values("X-Sdk-Date")
	if len(dates) != 1 {
		return nil, unauthenticated(errors.New("huawei: not exactly one X-Sdk-Date header"))
	}
	date := strings.TrimSpace(dates[0])
	at, err := time.Parse(HuaweiDateFormat, date)
	if err != nil {
		return nil, unauthenticated(errors.New("huawei: malformed X-Sdk-Date"))
	}
	if skew := a.now().Sub(at); skew > a.huaweiSkew || skew < -a.huaweiSkew {
		return nil, unauthenticated(fmt.Errorf("huawei: X-Sdk-Date %s is %v away from the server's clock", date, skew.Round(time.Second)))
	}
	bodyHash := sha256.Sum256(body)
	bodyHex := hex.EncodeToString(bodyHash[:])
	// A client may announce the body's hash (X-Sdk-Content-Sha256, "UNSIGNED-PAYLOAD" among
	// others); the server always hashes the body itself, so an announcement must agree.
	if v := r.Header.Values("X-Sdk-Content-Sha256"); len(v) > 0 && (len(v) != 1 || !strings.EqualFold(strings.TrimSpace(v[0]), bodyHex)) {
		return nil, unauthenticated(errors.New("huawei: X-Sdk-Content-Sha256 does not match the body"))
	}
	canonical, err := huaweiCanonicalRequest(r, h.signedHeaders, bodyHex)
	if err != nil {
		return nil, unauthenticated(fmt.Errorf("huawei: %w", err))
	}

	key, sk, err := a.accessKeys.AccessKeySecret(ctx, h.access)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeUnauthenticated:
		cause := errors.New("huawei: access key refused")
		if e, ok := errors.AsType[*switchboard.Error](err); ok && e.Cause != nil {
			cause = fmt.Errorf("huawei: %w", e.Cause)
		}
		return nil, unauthenticated(cause)
	case err != nil:
		return nil, err
	case key == nil || key.ID != h.access:
		return nil, unauthenticated(errors.New("huawei: lookup returned another key"))
	case key.RevokedAt != nil:
		return nil, unauthenticated(errors.New("huawei: access key revoked"))
	case key.TenantID == "" || key.WorkspaceID == "" || !key.Role.Valid():
		return nil, unauthenticated(errors.New("huawei: stored access key is incomplete"))
	}
	want := huaweiSign(sk, huaweiStringToSign(date, canonical))
	if !hmac.Equal(want, h.signature) {
		return nil, unauthenticated(errors.New("huawei: signature mismatch"))
	}
	return key.Principal(), nil
}

// IsHuaweiAuthorization reports whether an Authorization header value uses the
// SDK-HMAC-SHA256 scheme.
func IsHuaweiAuthorization(v string) bool {
	return strings.HasPrefix(v, HuaweiScheme+" ")
}

// parseHuaweiAuth parses "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>".
// Each of the three must appear exactly once; nothing else may.
func parseHuaweiAuth(v string) (*huaweiAuth, error) {
	rest, ok := strings.CutPrefix(v, HuaweiScheme+" ")
	if !ok {
		return nil, errors.New("not the SDK-HMAC-SHA256 scheme")
	}
	var h huaweiAuth
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || value == "" {
			return nil, errors.New("malformed Authorization parameter")
		}
		if seen[name] {
			return nil, fmt.Errorf("repeated parameter %q", name)
		}
		seen[name] = true
		switch name {
		case "Access":
			if !switchboard.ValidAccessKeyID(value) {
				return nil, errors.New("malformed Access")
			}
			h.access = value
		case "SignedHeaders":
			for hn := range strings.SplitSeq(value, ";") {
				if hn == "" || hn != strings.ToLower(hn) || strings.ContainsAny(hn, " \t:") || slices.Contains(h.signedHeaders, hn) {
					return nil, errors.New("malformed SignedHeaders")
				}
				h.signedHeaders = append(h.signedHeaders, hn)
			}
		case "Signature":
			// Lowercase hex only: one signature, one spelling.
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size || value != strings.ToLower(value) {
				return nil, errors.New("malformed Signature")
			}
			h.signature = sig
		default:
			return nil, fmt.Errorf("unknown parameter %q", name)
		}
	}
	if h.access == "" || h.signedHeaders == nil || h.signature == nil {
		return nil, errors.New("missing Access, SignedHeaders or Signature")
	}
	return &h, nil
}

// huaweiCanonicalRequest builds the canonical request of Huawei's SDK signer:
//
//	METHOD \n URI-path-ending-in-/ \n canonical-query \n canonical-headers \n signed;headers \n hex(sha256(body))
//
// where the canonical headers are "name:trimmed value\n" for each signed header in the order
// signed (each of a header's values, sorted), and the path and query are percent-encoded
// the SDK's way (see huaweiEscape). A signed header the request lacks is refused.
func huaweiCanonicalRequest(r *http.Request, signedHeaders []string, bodyHex string) (string, error) {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(huaweiCanonicalURI(r.URL.Path))
	b.WriteByte('\n')
	q, err := huaweiCanonicalQuery(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	b.WriteString(q)
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		var vals []string
		if name == "host" {
			// net/http moves Host out of the header map.
			vals = []string{r.Host}
		} else {
			vals = slices.Clone(r.Header.Values(name))
		}
		if len(vals) == 0 {
			return "", fmt.Errorf("signed header %q is absent", name)
		}
		slices.Sort(vals)
		for _, v := range vals {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(bodyHex)
	return b.String(), nil
}

// huaweiCanonicalURI escapes each segment of the (decoded) path and ends it with "/".
func huaweiCanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = huaweiEscape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// huaweiCanonicalQuery sorts the query's parameters by name, then each name's values, and
// writes them "name=value" joined by "&", both escaped.
func huaweiCanonicalQuery(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "", errors.New("malformed query string")
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	})
	var parts []string
	for _, k := range keys {
		vals := slices.Sorted(slices.Values(q[k]))
		for _, v := range vals {
			parts = append(parts, huaweiEscape(k)+"="+huaweiEscape(v))
		}
	}
	return strings.Join(parts, "&"), nil
}

// huaweiEscape percent-encodes every byte but A-Z a-z 0-9 - _ . ~, with uppercase hex (the
// SDK's escape; a space is %20).
func huaweiEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// huaweiStringToSign is "SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256(canonical request)>".
func huaweiStringToSign(date, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return HuaweiScheme + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

// huaweiSign is HMAC-SHA256 of the string to sign, keyed with the SK's bytes.
func huaweiSign(sk switchboard.Secret, stringToSign string) []byte {
	m := hmac.New(sha256.New, []byte(sk.Reveal()))
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}
