package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// The example of the Standard Webhooks specification (github.com/standard-webhooks).
func TestSignatureKnownAnswer(t *testing.T) {
	key := sb.WebhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	key, other := []byte("0123456789abcdef0123456789abcdef"), []byte("another key, not the sender's one")
	body := []byte(`{"type":"connection.created"}`)
	now := time.Now()
	signed := func(at time.Time, keys ...[]byte) http.Header {
		h := http.Header{}
		Sign(h, keys, "msg_1", at, body)
		return h
	}
	for _, tc := range []struct {
		name    string
		headers http.Header
		body    []byte
		want    error
	}{
		{"valid", signed(now, key), body, nil},
		{"valid among several (rotation)", signed(now, other, key), body, nil},
		{"within tolerance", signed(now.Add(-4*time.Minute), key), body, nil},
		{"wrong key", signed(now, other), body, ErrInvalidSignature},
		{"tampered body", signed(now, key), []byte(`{"type":"connection.deleted"}`), ErrInvalidSignature},
		{"stale", signed(now.Add(-6*time.Minute), key), body, ErrStaleTimestamp},
		{"future", signed(now.Add(6*time.Minute), key), body, ErrStaleTimestamp},
		{"no headers", http.Header{}, body, ErrMissingHeaders},
		{"bad timestamp", func() http.Header {
			h := signed(now, key)
			h.Set(HeaderTimestamp, "yesterday")
			return h
		}(), body, ErrBadTimestamp},
		{"timestamp changed after signing", func() http.Header {
			h := signed(now, key)
			h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()-1, 10))
			return h
		}(), body, ErrInvalidSignature},
		{"id changed after signing", func() http.Header {
			h := signed(now, key)
			h.Set(HeaderID, "msg_2")
			return h
		}(), body, ErrInvalidSignature},
		{"unknown version", func() http.Header {
			h := signed(now, key)
			h.Set(HeaderSignature, "v2,"+h.Get(HeaderSignature)[3:])
			return h
		}(), body, ErrInvalidSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(key, tc.headers, tc.body, 0, nil); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyRejectsReplay(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{}`)
	h := http.Header{}
	Sign(h, [][]byte{key}, "msg_replayed", time.Now(), body)
	seen := NewMemoryReplayCache()
	if err := Verify(key, h, body, time.Minute, seen); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	if err := Verify(key, h, body, time.Minute, seen); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay: %v, want ErrReplayed", err)
	}
	// A forged message with a seen id is refused for its signature, not remembered.
	forged := h.Clone()
	forged.Set(HeaderID, "msg_new")
	forged.Set(HeaderSignature, "v1,AAAA")
	if err := Verify(key, forged, body, time.Minute, seen); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("forged: %v", err)
	}
	h2 := http.Header{}
	Sign(h2, [][]byte{key}, "msg_new", time.Now(), body)
	if err := Verify(key, h2, body, time.Minute, seen); err != nil {
		t.Fatalf("a new id after a forged one with it: %v", err)
	}
	if got := Reason(ErrReplayed); got != "replayed" {
		t.Errorf("Reason = %q", got)
	}
}

func TestMemoryReplayCacheForgets(t *testing.T) {
	c := NewMemoryReplayCache()
	now := time.Now()
	c.now = func() time.Time { return now }
	if c.Seen("a", now.Add(time.Minute)) {
		t.Fatal("new id seen")
	}
	if !c.Seen("a", now.Add(time.Minute)) {
		t.Fatal("id not remembered")
	}
	now = now.Add(2 * time.Minute)
	if c.Seen("a", now.Add(time.Minute)) {
		t.Fatal("expired id still remembered")
	}
	if len(c.ids) != 1 {
		t.Errorf("cache holds %d ids", len(c.ids))
	}
}

// TestVerifyRemembering: the id of a valid webhook goes to remember once; a replay is refused;
// an invalid one is not recorded; a failing record refuses the webhook with the error.
func TestVerifyRemembering(t *testing.T) {
	key := []byte("partner secret")
	body := []byte(`{"a":1}`)
	signed := func(id string) http.Header {
		h := http.Header{}
		Sign(h, [][]byte{key}, id, time.Now(), body)
		return h
	}
	seen := map[string]bool{}
	remember := func(id string, expires time.Time) (bool, error) {
		if time.Until(expires) <= 0 || time.Until(expires) > 2*DefaultTolerance {
			t.Errorf("expires %v", expires)
		}
		fresh := !seen[id]
		seen[id] = true
		return fresh, nil
	}
	h := signed("msg_1")
	if reason, err := VerifyRemembering(key, h, body, remember); reason != "" || err != nil {
		t.Fatalf("first: %q %v", reason, err)
	}
	if reason, err := VerifyRemembering(key, h, body, remember); reason != "replayed" || err != nil {
		t.Errorf("replay: %q %v", reason, err)
	}
	if reason, _ := VerifyRemembering([]byte("other"), signed("msg_2"), body, remember); reason != "invalid_signature" || seen["msg_2"] {
		t.Errorf("bad signature: %q, recorded %v", reason, seen["msg_2"])
	}
	boom := errors.New("database down")
	failing := func(string, time.Time) (bool, error) { return true, boom }
	if reason, err := VerifyRemembering(key, signed("msg_3"), body, failing); !errors.Is(err, boom) || reason != "" {
		t.Errorf("failing record: %q %v", reason, err)
	}
}
