package server_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/seal"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// dataKeyOutage is a store whose data key reads fail as a database outage does.
type dataKeyOutage struct {
	switchboard.Store
	down atomic.Bool
}

func (s *dataKeyOutage) GetDataKey(ctx context.Context, ws string) (*switchboard.DataKey, error) {
	if s.down.Load() {
		return nil, &switchboard.Error{Code: switchboard.CodeUnavailable, Message: "unavailable", Cause: errors.New("injected outage")}
	}
	return s.Store.GetDataKey(ctx, ws)
}

// "Unreadable" means the stored secret does not decrypt, not that the database could not be
// asked for its data key: a read whose data key read fails with an outage answers the
// outage (503 / 5030 at the HTTP layer), and never flags a sound row unreadable.
func TestAtRestOutageIsNotUnreadable(t *testing.T) {
	e := testenv.New(t, "sqlite")
	id := createBearer(t, e, "default", "a", "token-of-a-0123456789")

	st := &dataKeyOutage{Store: e.Store}
	defs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := switchboard.NewService(st, seal.New(st, e.Keyring()), defs) // a fresh data key cache
	if err != nil {
		t.Fatal(err)
	}
	ctx := switchboard.WithPrincipal(t.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
	st.down.Store(true)

	flagged := 0
	c, err := svc.GetConnection(ctx, "default", id)
	if err == nil && c.Unreadable {
		flagged++
	}
	if switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("GetConnection during a data key outage: %v (unreadable=%v), want 5030", err, c != nil && c.Unreadable)
	}
	list, _, err := svc.ListConnections(ctx, "default", switchboard.ConnectionFilter{})
	for _, c := range list {
		if c.Unreadable {
			flagged++
		}
	}
	if switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("ListConnections during a data key outage: %v, want 5030", err)
	}
	name := "renamed"
	_, err = svc.UpdateConnection(ctx, "default", id, switchboard.ConnectionPatch{Name: &name}, 0)
	if switchboard.ErrorCode(err) != switchboard.CodeUnavailable {
		t.Errorf("UpdateConnection during a data key outage: %v, want 5030", err)
	}

	st.down.Store(false)
	if c, err := svc.GetConnection(ctx, "default", id); err != nil || c.Unreadable {
		t.Errorf("after the outage: %v, unreadable=%v", err, c != nil && c.Unreadable)
	}
	t.Logf("FIGURE rows_flagged_unreadable_by_outage=%d", flagged)
}
