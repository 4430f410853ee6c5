package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// call is a goroutine-safe request (testenv's Do may only run on the test's goroutine).
func call(ctx context.Context, e *testenv.Env, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+e.OwnerKey)
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// retireAllButActive returns a keyring holding only ring's active key, as an operator who
// removed the retired lines from the keyring file would have.
func retireAllButActive(t testing.TB, ring *seal.Keyring) *seal.Keyring {
	t.Helper()
	data := ring.Marshal()
	defer clear(data)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	only, err := seal.ParseKeyring([]byte(lines[len(lines)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if only.ActiveID() != ring.ActiveID() || len(only.IDs()) != 1 {
		t.Fatalf("retired keyring = %v, want only %s", only, ring.ActiveID())
	}
	return only
}

// rowsOnRetiredKeys counts the data keys (one per workspace: every sealed column of the
// workspace's rows is under it) wrapped by a key other than the active one.
func rowsOnRetiredKeys(t testing.TB, env *seal.Envelope) (int, *seal.Status) {
	t.Helper()
	st, err := env.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for id, c := range st.DataKeys {
		if id != st.ActiveKEKID {
			n += c
		}
	}
	return n, st
}

// owned is a connection a worker created, with the token it last wrote.
type owned struct{ ws, id, token string }

// Key rotation under load (trust row 6): 16 goroutines create connections, change their
// secrets, read their credentials back and delete them for 10 s (60 s with
// SWITCHBOARD_SOAK=1), across 8 workspaces, while a new key becomes active every 100 ms and
// re-wraps run back to back. Every credentials read answers the token last written: none is
// undecryptable. After a final re-wrap no data key is on a retired key, and a server started
// with the retired keys removed from its keyring reads every connection.
func TestAtRestRotationUnderLoad(t *testing.T) {
	dur := 10 * time.Second
	if soak() {
		dur = 60 * time.Second
	}
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			workspaces := []string{"default"}
			for i := range 7 {
				ws := fmt.Sprintf("rot%d", i)
				e.Workspace(t, ws)
				workspaces = append(workspaces, ws)
			}
			ring := e.Keyring()

			ctx, cancel := context.WithTimeout(t.Context(), dur)
			defer cancel()
			var (
				undecryptable, wrong, otherErr atomic.Int64
				ops, reads                     atomic.Int64
				rotations, rewraps, rewrapped  atomic.Int64
				rewrapErr                      atomic.Int64
				firstErr                       sync.Once
				firstMsg                       atomic.Value
			)
			note := func(format string, a ...any) {
				firstErr.Do(func() { firstMsg.Store(fmt.Sprintf(format, a...)) })
			}

			// Requests are never canceled mid-flight, so every change a worker made is one it
			// saw acknowledged; only the loop stops at the deadline.
			reqCtx := t.Context()
			var wg sync.WaitGroup
			finals := make([][]owned, 16)
			for w := range 16 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					var mine []owned
					defer func() { finals[w] = mine }()
					seq := 0
					for ctx.Err() == nil {
						seq++
						tok := fmt.Sprintf("tok-w%02d-%06d-%016x", w, seq, rng.Uint64())
						op := rng.IntN(10)
						switch {
						case len(mine) < 3 || (op < 2 && len(mine) < 12): // create
							ws := workspaces[rng.IntN(len(workspaces))]
							st, b, err := call(reqCtx, e, "POST", "/v1/workspaces/"+ws+"/connections", map[string]any{
								"connector_id": "http-bearer", "connection_name": fmt.Sprintf("w%02d-%06d", w, seq),
								"config": map[string]any{"base_url": "https://api.example.com", "token": tok},
							})
							if err != nil || st != http.StatusCreated {
								otherErr.Add(1)
								note("create: %d %v %.200s", st, err, b)
								continue
							}
							var c struct{ ID string }
							json.Unmarshal(b, &c)
							mine = append(mine, owned{ws, c.ID, tok})
						case op < 5: // change the secret
							i := rng.IntN(len(mine))
							c := mine[i]
							st, b, err := call(reqCtx, e, "PATCH", "/v1/workspaces/"+c.ws+"/connections/"+c.id,
								map[string]any{"config": map[string]any{"token": tok}})
							if err != nil || st != http.StatusOK {
								if strings.Contains(string(b), "seal.unreadable") || strings.Contains(string(b), `"5000"`) {
									undecryptable.Add(1)
								} else {
									otherErr.Add(1)
								}
								note("patch: %d %v %.200s", st, err, b)
								continue
							}
							mine[i].token = tok
						case op < 9: // read the credentials back
							c := mine[rng.IntN(len(mine))]
							st, b, err := call(reqCtx, e, "GET", "/v1/workspaces/"+c.ws+"/connections/"+c.id+"/credentials", nil)
							reads.Add(1)
							if err != nil || st != http.StatusOK {
								if st == http.StatusInternalServerError {
									undecryptable.Add(1)
								} else {
									otherErr.Add(1)
								}
								note("credentials: %d %v %.200s", st, err, b)
								continue
							}
							var body struct {
								Config map[string]any `json:"config"`
							}
							json.Unmarshal(b, &body)
							if body.Config["token"] != c.token {
								wrong.Add(1)
								note("credentials of %s: token differs", c.id)
							}
						default: // delete
							i := rng.IntN(len(mine))
							c := mine[i]
							st, b, err := call(reqCtx, e, "DELETE", "/v1/workspaces/"+c.ws+"/connections/"+c.id, nil)
							if err != nil || (st != http.StatusNoContent && st != http.StatusOK) {
								otherErr.Add(1)
								note("delete: %d %v %.200s", st, err, b)
								continue
							}
							mine = append(mine[:i], mine[i+1:]...)
						}
						ops.Add(1)
					}
				})
			}
			// A new active key every 100 ms.
			wg.Go(func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for i := 1; ; i++ {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					if err := ring.Add(fmt.Sprintf("rot-%s-%04d", d, i)); err != nil {
						rewrapErr.Add(1)
						note("add key: %v", err)
						return
					}
					rotations.Add(1)
				}
			})
			// Re-wraps back to back, each onto whatever key is active when it starts.
			wg.Go(func() {
				for ctx.Err() == nil {
					n, err := e.Envelope.Rewrap(ctx, nil)
					if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
						rewrapErr.Add(1)
						note("rewrap: %v", err)
					}
					rewraps.Add(1)
					rewrapped.Add(int64(n))
					time.Sleep(10 * time.Millisecond)
				}
			})
			wg.Wait()

			// The final re-wrap, then the retired keys go.
			if _, err := e.Envelope.Rewrap(t.Context(), nil); err != nil {
				t.Fatalf("final rewrap: %v", err)
			}
			onRetired, st := rowsOnRetiredKeys(t, e.Envelope)
			replica := e.Replica(t, testenv.WithKeyring(retireAllButActive(t, ring)))
			left := 0
			for _, mine := range finals {
				for _, c := range mine {
					left++
					st, b, err := call(t.Context(), replica, "GET", "/v1/workspaces/"+c.ws+"/connections/"+c.id+"/credentials", nil)
					var body struct {
						Config map[string]any `json:"config"`
					}
					json.Unmarshal(b, &body)
					if err != nil || st != http.StatusOK {
						undecryptable.Add(1)
						t.Errorf("after retiring the old keys, credentials of %s: %d %v", c.id, st, err)
					} else if body.Config["token"] != c.token {
						wrong.Add(1)
						t.Errorf("after retiring the old keys, credentials of %s: token differs", c.id)
					}
				}
			}
			unreadableListed := 0
			for _, ws := range workspaces {
				for _, it := range listAll(t, replica, ws) {
					if it["unreadable"] == true {
						unreadableListed++
					}
				}
			}

			t.Logf("FIGURE rotation_duration_s=%.0f", dur.Seconds())
			t.Logf("FIGURE rotation_ops=%d credentials_reads=%d", ops.Load(), reads.Load())
			t.Logf("FIGURE rotations=%d rewraps=%d data_keys_rewrapped=%d", rotations.Load(), rewraps.Load(), rewrapped.Load())
			t.Logf("FIGURE undecryptable_rows=%d", undecryptable.Load()+int64(unreadableListed))
			t.Logf("FIGURE wrong_secret_reads=%d", wrong.Load())
			t.Logf("FIGURE rows_on_retired_key=%d", onRetired)
			t.Logf("FIGURE rows_read_after_retiring=%d", left)
			if undecryptable.Load() != 0 || wrong.Load() != 0 || unreadableListed != 0 {
				t.Errorf("undecryptable %d, wrong %d, listed unreadable %d; want 0", undecryptable.Load(), wrong.Load(), unreadableListed)
			}
			if onRetired != 0 {
				t.Errorf("data keys by key after the final rewrap: %v (active %s)", st.DataKeys, st.ActiveKEKID)
			}
			if n := otherErr.Load() + rewrapErr.Load(); n != 0 {
				t.Errorf("%d other failures (%d rewrap), first: %v", n, rewrapErr.Load(), firstMsg.Load())
			}
			if rotations.Load() < int64(dur/(200*time.Millisecond)) || ops.Load() < 100 {
				t.Errorf("too little happened: %d rotations, %d ops", rotations.Load(), ops.Load())
			}
		})
	}
}

// A re-wrap stopped halfway (its context canceled after half the data keys) leaves every row
// readable, and running it again re-wraps exactly the rest; then the old key can go.
func TestAtRestRewrapStoppedHalfwayResumes(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			const n = 20
			conns := make([]owned, n)
			for i := range n {
				ws := fmt.Sprintf("half%02d", i)
				e.Workspace(t, ws)
				tok := fmt.Sprintf("token-half-%02d-0123456789", i)
				conns[i] = owned{ws, createBearer(t, e, ws, "c", tok), tok}
			}
			ring := e.Keyring()
			if err := ring.Add("k-next"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			first, err := e.Envelope.Rewrap(ctx, func(done, total int) {
				if done == total/2 {
					cancel()
				}
			})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("stopped rewrap: %d, %v; want context.Canceled", first, err)
			}
			mid, _ := rowsOnRetiredKeys(t, e.Envelope)
			if first == 0 || mid == 0 {
				t.Fatalf("stopped rewrap did %d, left %d: not halfway", first, mid)
			}
			for _, c := range conns { // halfway, everything reads
				wantToken(t, e, c.ws, c.id, c.token)
			}
			second, err := e.Envelope.Rewrap(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			left, _ := rowsOnRetiredKeys(t, e.Envelope)
			if second != mid || left != 0 {
				t.Errorf("resumed rewrap did %d of the %d left, %d still on the old key", second, mid, left)
			}
			replica := e.Replica(t, testenv.WithKeyring(retireAllButActive(t, ring)))
			for _, c := range conns {
				wantToken(t, replica, c.ws, c.id, c.token)
			}
			t.Logf("FIGURE rewrap_stopped_after=%d resumed=%d rows_on_retired_key=%d", first, second, left)
		})
	}
}
