package storecache_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/sqlite"
	"github.com/switchboardhq/switchboard/internal/storecache"
)

// counting counts the reads that reach the wrapped store.
type counting struct {
	switchboard.Store
	workspaceReads, keyReads int
}

func (c *counting) GetWorkspace(ctx context.Context, id string) (*switchboard.Workspace, error) {
	c.workspaceReads++
	return c.Store.GetWorkspace(ctx, id)
}

func (c *counting) GetAPIKeyByHash(ctx context.Context, hash []byte) (*switchboard.APIKey, error) {
	c.keyReads++
	return c.Store.GetAPIKeyByHash(ctx, hash)
}

func setup(t *testing.T) (*counting, *storecache.Store, *switchboard.APIKey) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir()+"/sb.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := switchboard.Now()
	if err := st.CreateTenant(ctx, &switchboard.Tenant{ID: "t1", Name: "t1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateWorkspace(ctx, &switchboard.Workspace{ID: "w1", TenantID: "t1", Name: "w1", CreatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}
	k := &switchboard.APIKey{ID: "key_1", TenantID: "t1", WorkspaceID: "w1", Name: "k", Role: switchboard.RoleViewer,
		Scopes: []string{}, Hash: switchboard.HashAPIKey("sbk_cache_test"), Prefix: "sbk_cach", CreatedAt: now}
	if err := st.CreateAPIKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	c := &counting{Store: st}
	return c, storecache.Wrap(c), k
}

func TestWorkspaceReadOnce(t *testing.T) {
	t.Parallel()
	c, s, _ := setup(t)
	for range 5 {
		w, err := s.GetWorkspace(t.Context(), "w1")
		if err != nil || w.TenantID != "t1" {
			t.Fatalf("GetWorkspace: %+v, %v", w, err)
		}
		w.TenantID = "mutated by a caller"
	}
	if c.workspaceReads != 1 {
		t.Errorf("workspace read %d times from the store, want 1", c.workspaceReads)
	}
	// Unknown workspaces are not cached: each lookup asks the store and gets NotFound.
	for range 2 {
		if _, err := s.GetWorkspace(t.Context(), "nope"); switchboard.ErrorCode(err) != switchboard.CodeNotFound {
			t.Fatalf("unknown workspace: %v", err)
		}
	}
	if c.workspaceReads != 3 {
		t.Errorf("store reads %d, want 3 (1 cached + 2 misses)", c.workspaceReads)
	}
}

func TestRevokedKeyRefusedAtOnce(t *testing.T) {
	t.Parallel()
	c, s, k := setup(t)
	ctx := t.Context()
	for range 3 {
		got, err := s.GetAPIKeyByHash(ctx, k.Hash)
		if err != nil || got.RevokedAt != nil {
			t.Fatalf("before revoke: %+v, %v", got, err)
		}
	}
	if c.keyReads != 1 {
		t.Errorf("key read %d times, want 1", c.keyReads)
	}
	if err := s.RevokeAPIKey(ctx, "t1", k.ID, switchboard.Now(), nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	if err != nil || got.RevokedAt == nil {
		t.Fatalf("after revoke through the cache the key must read revoked: %+v, %v", got, err)
	}
}

func TestKeyRevokedElsewhereSeenAfterTTL(t *testing.T) {
	t.Parallel()
	c, s, k := setup(t)
	ctx := t.Context()
	if _, err := s.GetAPIKeyByHash(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	// Another replica revokes it: straight in the database, not through this cache.
	if err := c.Store.RevokeAPIKey(ctx, "t1", k.ID, switchboard.Now(), nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(storecache.KeyTTL + 2*time.Second)
	for {
		got, err := s.GetAPIKeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("revocation made elsewhere still unseen after %v", storecache.KeyTTL+2*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
