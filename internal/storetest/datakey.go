package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newDataKey(ws *sb.Workspace) *sb.DataKey {
	now := sb.Now()
	return &sb.DataKey{
		WorkspaceID: ws.ID,
		KEKID:       "kek1",
		Wrapped:     []byte("wrapped-" + ws.ID + "\x00\xff"),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

func testDataKey(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGetList", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		keys, err := f.s.ListDataKeys(f.ctx)
		wantNone(t, keys, err)
		// Created B first so the list has to sort rather than echo insertion order.
		kb, ka := newDataKey(f.b), newDataKey(f.a)
		for _, k := range []*sb.DataKey{kb, ka} {
			if err := f.s.CreateDataKey(f.ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.s.GetDataKey(f.ctx, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ka, got, opts()); diff != "" {
			t.Errorf("GetDataKey (-want +got):\n%s", diff)
		}
		want := []*sb.DataKey{ka, kb}
		if kb.WorkspaceID < ka.WorkspaceID {
			want = []*sb.DataKey{kb, ka}
		}
		keys, err = f.s.ListDataKeys(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, keys, opts()); diff != "" {
			t.Errorf("ListDataKeys (-want +got):\n%s", diff)
		}
		_, err = f.s.GetDataKey(f.ctx, sb.NewID("ws"))
		wantCode(t, err, sb.CodeNotFound)
	})

	t.Run("Exists", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		k := newDataKey(f.a)
		if err := f.s.CreateDataKey(f.ctx, k); err != nil {
			t.Fatal(err)
		}
		again := newDataKey(f.a)
		again.KEKID, again.Wrapped = "kek2", []byte("other")
		wantConflict(t, f.s.CreateDataKey(f.ctx, again), "data_key.exists")
		got, err := f.s.GetDataKey(f.ctx, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(k, got, opts()); diff != "" {
			t.Errorf("data key after a failed create (-want +got):\n%s", diff)
		}
	})

	t.Run("Rewrap", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		k := newDataKey(f.a)
		if err := f.s.CreateDataKey(f.ctx, k); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.s.RewrapDataKey(f.ctx, f.b.ID, "kek1", "kek2", []byte("new")), sb.CodeNotFound)
		wantConflict(t, f.s.RewrapDataKey(f.ctx, f.a.ID, "kek0", "kek2", []byte("new")), "data_key.changed")
		if err := f.s.RewrapDataKey(f.ctx, f.a.ID, "kek1", "kek2", []byte("new")); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetDataKey(f.ctx, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.KEKID != "kek2" || string(got.Wrapped) != "new" || !got.CreatedAt.Equal(k.CreatedAt) {
			t.Errorf("after rewrap: %+v", got)
		}
		if got.UpdatedAt.Before(k.UpdatedAt) {
			t.Errorf("UpdatedAt went back: %v before %v", got.UpdatedAt, k.UpdatedAt)
		}
		// The same rewrap again finds the key moved on: a second rotation run must not wrap
		// twice.
		wantConflict(t, f.s.RewrapDataKey(f.ctx, f.a.ID, "kek1", "kek3", []byte("newer")), "data_key.changed")
	})

	t.Run("RewrapRace", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		if err := f.s.CreateDataKey(f.ctx, newDataKey(f.a)); err != nil {
			t.Fatal(err)
		}
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = f.s.RewrapDataKey(f.ctx, f.a.ID, "kek1", fmt.Sprintf("kek-%d", i), fmt.Appendf(nil, "w%d", i))
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("rewraps %d and %d both won", winner, i)
			case err == nil:
				winner = i
			default:
				wantConflict(t, err, "data_key.changed")
			}
		}
		if winner < 0 {
			t.Fatal("no rewrap won")
		}
		got, err := f.s.GetDataKey(f.ctx, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("kek-%d", winner); got.KEKID != want || string(got.Wrapped) != fmt.Sprintf("w%d", winner) {
			t.Errorf("data key = %s %q, want the winner's %s", got.KEKID, got.Wrapped, want)
		}
	})
}

func testKeyCheck(t *testing.T, newStore func(t *testing.T) sb.Store) {
	s := newStore(t)
	ctx := t.Context()
	checks, err := s.KeyChecks(ctx)
	if err != nil || len(checks) != 0 {
		t.Fatalf("KeyChecks on an empty store = %v, %v; want none", checks, err)
	}
	if err := s.PutKeyCheck(ctx, "kek1", []byte("check-1")); err != nil {
		t.Fatal(err)
	}
	// A second value for the same key is ignored: the first check is what proves a keyring
	// matches the data written with it.
	if err := s.PutKeyCheck(ctx, "kek1", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKeyCheck(ctx, "kek2", []byte("check-2")); err != nil {
		t.Fatal(err)
	}
	checks, err = s.KeyChecks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"kek1": []byte("check-1"), "kek2": []byte("check-2")}
	if diff := cmp.Diff(want, checks); diff != "" {
		t.Errorf("KeyChecks (-want +got):\n%s", diff)
	}
}
