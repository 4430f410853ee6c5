package storetest

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func testHealthClaim(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("DueConnections", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		mk := func(ws *sb.Workspace, name string, st sb.Status, enabled, paused bool) *sb.Connection {
			c := newConnection(ws, "kafka", name)
			c.Status, c.Enabled, c.Paused = st, enabled, paused
			return f.connection(t, c)
		}
		due := []*sb.Connection{
			mk(f.a, "active", sb.StatusActive, true, false),
			mk(f.a, "pending", sb.StatusPending, true, false),
			mk(f.a, "failed", sb.StatusFailed, true, false),
			mk(f.b, "other-workspace", sb.StatusActive, true, false),
		}
		mk(f.a, "disabled", sb.StatusDisabled, false, false)
		mk(f.a, "paused", sb.StatusPaused, true, true)
		mk(f.a, "suspended", sb.StatusSuspended, true, false)
		mk(f.a, "closed", sb.StatusClosed, true, false)

		now := sb.Now()
		claim := func(at time.Time, limit int) []string {
			t.Helper()
			got, err := f.s.ClaimHealthChecks(f.ctx, at, time.Hour, time.Minute, limit)
			if err != nil {
				t.Fatalf("ClaimHealthChecks: %v", err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			sort.Strings(ids)
			return ids
		}
		var want []string
		for _, c := range due {
			want = append(want, c.ID)
		}
		sort.Strings(want)
		if got := claim(now, 100); !cmp.Equal(got, want) {
			t.Fatalf("first claim = %v, want the due connections %v", got, want)
		}
		if got := claim(now, 100); len(got) != 0 {
			t.Errorf("claim again at once = %v, want none", got)
		}
		// A change to the connection leaves its schedule alone.
		c, err := f.s.GetConnection(f.ctx, f.a.ID, due[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		c.Description = "changed"
		if err := f.s.UpdateConnection(f.ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if got := claim(now.Add(30*time.Minute), 100); len(got) != 0 {
			t.Errorf("claim before the interval = %v, want none", got)
		}
		if got := claim(now.Add(2*time.Hour), 2); len(got) != 2 {
			t.Errorf("claim with limit 2 = %v, want 2", got)
		}
		if got := claim(now.Add(2*time.Hour), 100); len(got) != 2 {
			t.Errorf("claim of the rest = %v, want the other 2", got)
		}
	})

	t.Run("ReturnsStoredConnection", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := f.connection(t, newConnection(f.a, "kafka", "one"))
		got, err := f.s.ClaimHealthChecks(f.ctx, sb.Now(), time.Hour, time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("ClaimHealthChecks = %v, %v; want one", got, err)
		}
		if diff := cmp.Diff(storedConnection(c, 0), got[0]); diff != "" {
			t.Errorf("claimed connection (-want +got):\n%s", diff)
		}
	})

	t.Run("ConcurrentClaimsNeverShare", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		const n = 20
		for i := range n {
			f.connection(t, newConnection(f.a, "kafka", "c"+string(rune('a'+i))))
		}
		now := sb.Now()
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for range 4 {
			wg.Go(func() {
				for {
					got, err := f.s.ClaimHealthChecks(f.ctx, now, time.Hour, time.Minute, 3)
					if err != nil {
						t.Errorf("ClaimHealthChecks: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, c := range got {
						seen[c.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d connections, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("%s claimed %d times", id, k)
			}
		}
	})
}
