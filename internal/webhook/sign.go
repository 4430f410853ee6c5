// Package webhook delivers Switchboard's webhook events from the outbox the stores write, and
// signs and verifies webhooks in the Standard Webhooks style: headers webhook-id,
// webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>",
// several space-separated while a rotated secret overlaps).
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of the Standard Webhooks scheme.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook's timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

// Signature returns "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
func Signature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign sets the three headers on h for a message, one signature per key, space-separated.
func Sign(h http.Header, keys [][]byte, id string, at time.Time, body []byte) {
	ts := at.Unix()
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		sigs = append(sigs, Signature(k, id, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Reasons Verify refuses a webhook. Their text is safe to show to the caller.
var (
	ErrMissingHeaders   = errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp     = errors.New("webhook-timestamp is not a unix time")
	ErrStaleTimestamp   = errors.New("webhook-timestamp is outside the tolerance")
	ErrInvalidSignature = errors.New("no signature matches")
	ErrReplayed         = errors.New("webhook-id was seen already")
)

// Reason names why Verify refused a webhook, "" for nil: missing_headers, bad_timestamp,
// stale_timestamp, invalid_signature or replayed.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMissingHeaders):
		return "missing_headers"
	case errors.Is(err, ErrBadTimestamp):
		return "bad_timestamp"
	case errors.Is(err, ErrStaleTimestamp):
		return "stale_timestamp"
	case errors.Is(err, ErrReplayed):
		return "replayed"
	}
	return "invalid_signature"
}

// Verifier returns a verifier for partners' webhooks with DefaultTolerance and a replay cache
// of its own (one per process: a replica does not see the ids another one verified).
func Verifier() func(key []byte, headers http.Header, body []byte) string {
	seen := NewMemoryReplayCache()
	return func(key []byte, headers http.Header, body []byte) string {
		return Reason(Verify(key, headers, body, DefaultTolerance, seen))
	}
}

// VerifyRemembering verifies a webhook with DefaultTolerance, recording its id with remember
// (which reports whether the id is fresh, e.g. Store.RememberWebhookID, a record every
// replica shares). It returns why the webhook is refused ("" when it is valid) or the error of
// remember, in which case the webhook is not accepted.
func VerifyRemembering(key []byte, headers http.Header, body []byte, remember func(id string, expires time.Time) (fresh bool, err error)) (string, error) {
	c := &FuncReplayCache{Remember: remember}
	err := Verify(key, headers, body, DefaultTolerance, c)
	if c.Err != nil {
		return "", c.Err
	}
	return Reason(err), nil
}

// FuncReplayCache is a ReplayCache over a function recording an id until it expires and
// reporting whether it is fresh (a durable record such as Store.RememberWebhookID). When the
// function fails the id counts as seen, so the webhook is refused, and the error is kept in Err.
type FuncReplayCache struct {
	Remember func(id string, expires time.Time) (fresh bool, err error)
	Err      error
}

// Seen records id until expires and reports whether it was recorded already.
func (c *FuncReplayCache) Seen(id string, expires time.Time) bool {
	fresh, err := c.Remember(id, expires)
	if err != nil {
		c.Err = err
		return true
	}
	return !fresh
}

// ReplayCache remembers webhook ids seen within the tolerance window.
type ReplayCache interface {
	// Seen records id until expires and reports whether it was recorded already.
	Seen(id string, expires time.Time) bool
}

// Verify checks a signed webhook against secret (the HMAC key; see switchboard.WebhookKey):
// the timestamp must be within tolerance of now (<= 0: DefaultTolerance), one of the
// signatures must match (compared in constant time), and, when seen is not nil, the id must
// not have been verified before within the window.
func Verify(secret []byte, headers http.Header, body []byte, tolerance time.Duration, seen ReplayCache) error {
	return verifyAt(time.Now(), secret, headers, body, tolerance, seen)
}

func verifyAt(now time.Time, secret []byte, headers http.Header, body []byte, tolerance time.Duration, seen ReplayCache) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, tsText, sigs := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	at := time.Unix(ts, 0)
	if at.Before(now.Add(-tolerance)) || at.After(now.Add(tolerance)) {
		return ErrStaleTimestamp
	}
	want := []byte(Signature(secret, id, ts, body))
	ok := false
	for _, sig := range strings.Fields(sigs) {
		// Every candidate is compared, so the time taken does not tell which one matched.
		if hmac.Equal([]byte(sig), want) {
			ok = true
		}
	}
	if !ok {
		return ErrInvalidSignature
	}
	if seen != nil && seen.Seen(id, at.Add(tolerance)) {
		return ErrReplayed
	}
	return nil
}

// MemoryReplayCache is a ReplayCache in memory, for one process. Expired ids are dropped as
// new ones arrive.
type MemoryReplayCache struct {
	mu  sync.Mutex
	ids map[string]time.Time
	now func() time.Time
}

// NewMemoryReplayCache returns an empty cache.
func NewMemoryReplayCache() *MemoryReplayCache {
	return &MemoryReplayCache{ids: map[string]time.Time{}, now: time.Now}
}

// Seen records id until expires and reports whether it was recorded (and unexpired) already.
func (c *MemoryReplayCache) Seen(id string, expires time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for k, exp := range c.ids {
		if now.After(exp) {
			delete(c.ids, k)
		}
	}
	if exp, ok := c.ids[id]; ok && !now.After(exp) {
		return true
	}
	c.ids[id] = expires
	return false
}
