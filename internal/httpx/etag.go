package httpx

import (
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// ETag returns the entity tag of an object at revision rev: the decimal revision in quotes,
// e.g. "5". Revisions are what optimistic concurrency compares, so the tag needs no hash.
func ETag(rev int64) string {
	return `"` + strconv.FormatInt(rev, 10) + `"`
}

// ParseIfMatch reads an If-Match header made from an ETag of this API. An empty header gives
// present false. One tag, "5" or W/"5" (clients and proxies sometimes weaken tags; the
// revision is what matters), gives its revision. Anything else — "*", a list, a tag this API
// doesn't make — is a 4000 if_match.invalid: the update must not go ahead on a guess.
func ParseIfMatch(header string) (rev int64, present bool, err error) {
	h := strings.TrimSpace(header)
	if h == "" {
		return 0, false, nil
	}
	h = strings.TrimPrefix(h, "W/")
	digits, ok := strings.CutPrefix(h, `"`)
	if ok {
		digits, ok = strings.CutSuffix(digits, `"`)
	}
	if !ok || !canonicalDecimal(digits) {
		return 0, true, invalidIfMatch()
	}
	rev, perr := strconv.ParseInt(digits, 10, 64)
	if perr != nil {
		return 0, true, invalidIfMatch()
	}
	return rev, true, nil
}

// canonicalDecimal reports whether s is a decimal as ETag writes it: digits only, no sign,
// no leading zero.
func canonicalDecimal(s string) bool {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func invalidIfMatch() *switchboard.Error {
	e := switchboard.Errorf(switchboard.CodeInvalid, "if_match.invalid")
	e.Details = []switchboard.FieldError{{Field: "If-Match", Reason: "invalid"}}
	return e
}
