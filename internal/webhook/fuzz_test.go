package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify fuzzes the three Standard Webhooks headers and the body given to Verify. No input
// panics; every refusal is one of the documented reasons; and a webhook is accepted only when
// one of the space-separated signatures is exactly "v1," + base64 of the HMAC-SHA256 the test
// computes itself, with the timestamp in the window.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	secret := []byte("whsec-fuzz-0123456789abcdef")
	other := []byte("whsec-other-0123456789abcdef")
	body := []byte(`{"type":"connection.updated","data":{"id":"conn_06h175qgydg03hwz56dffed8zw"}}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	valid := Signature(secret, "msg_1", now.Unix(), body)
	for _, s := range []struct {
		id, ts, sig string
		body        []byte
	}{
		{"msg_1", ts, valid, body},
		{"msg_1", ts, Signature(other, "msg_1", now.Unix(), body) + " " + valid, body},
		{"msg_1", ts, "v1," + strings.TrimPrefix(valid, "v1,") + "=", body},
		{"msg_1", ts, "v2," + strings.TrimPrefix(valid, "v1,"), body},
		{"msg_1", ts, strings.ToUpper(valid), body},
		{"msg_1", "+" + ts, valid, body},
		{"msg_1", ts + ".0", valid, body},
		{"msg_1", strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10), valid, body},
		{"msg_1", "-9223372036854775808", valid, body},
		{"msg_1", "99999999999999999999", valid, body},
		{"", "", "", nil},
		{"msg_1", ts, "v1,", nil},
		{"msg.1", ts, "\tv1,x v1,y\n", body},
	} {
		f.Add(s.id, s.ts, s.sig, s.body)
	}
	f.Fuzz(func(t *testing.T, id, tsText, sigs string, body []byte) {
		h := http.Header{}
		h[http.CanonicalHeaderKey(HeaderID)] = []string{id}
		h[http.CanonicalHeaderKey(HeaderTimestamp)] = []string{tsText}
		h[http.CanonicalHeaderKey(HeaderSignature)] = []string{sigs}
		err := verifyAt(now, secret, h, body, DefaultTolerance, nil)
		if err != nil {
			for _, want := range []error{ErrMissingHeaders, ErrBadTimestamp, ErrStaleTimestamp, ErrInvalidSignature} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("refused with %v, not one of the documented reasons", err)
		}
		ts, perr := strconv.ParseInt(tsText, 10, 64)
		if perr != nil || time.Unix(ts, 0).Sub(now).Abs() > DefaultTolerance {
			t.Fatalf("accepted timestamp %q", tsText)
		}
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
		m.Write(body)
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		for _, s := range strings.Fields(sigs) {
			if s == want {
				return
			}
		}
		t.Fatalf("accepted signatures %q, none is %q", sigs, want)
	})
}
