package e2e

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// target is the API a connection points at: a loopback server that answers 200 to the
// token it currently accepts and 401 to anything else, and remembers what it was sent,
// so "test now" is healthy only when Switchboard sends the connection's current secret.
type target struct {
	*httptest.Server
	mu     sync.Mutex
	accept string // the Authorization value answered 200
	last   string // the Authorization value of the last request
	calls  int
}

func newTarget(t testing.TB) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		tg.calls++
		tg.last = r.Header.Get("Authorization")
		if tg.accept == "" || tg.last != tg.accept {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(tg.Close)
	return tg
}

// acceptBearer makes the target answer 200 to "Bearer token" only.
func (tg *target) acceptBearer(token string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.accept = "Bearer " + token
}

// seen is how many requests came and the Authorization header of the last one.
func (tg *target) seen() (calls int, last string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.calls, tg.last
}
