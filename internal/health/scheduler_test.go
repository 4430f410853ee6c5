package health_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/postgres"
	"github.com/switchboardhq/switchboard/internal/seal"
)

// TestSchedulersShareTheWork runs two schedulers, as two replicas would, over one PostgreSQL
// database: every due connection is checked exactly once, and the results are recorded.
func TestSchedulersShareTheWork(t *testing.T) {
	// Two replicas: each its own store (pool) and service, over one database and keyring.
	dsn := postgres.TestDSN(t)
	ring, err := seal.GenerateKey(seal.NewKeyID())
	if err != nil {
		t.Fatal(err)
	}
	defs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	var svcs []*sb.Service
	for range 2 {
		st, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc, err := sb.NewService(st, seal.New(st, ring), defs)
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	if _, _, err := svcs[0].Bootstrap(t.Context()); err != nil {
		t.Fatal(err)
	}
	owner := sb.WithPrincipal(t.Context(), &sb.Principal{Subject: "test", TenantID: "default",
		Workspaces: []string{sb.AllWorkspaces}, Role: sb.RoleOwner})
	p := newSwitchable(t)
	const n = 12
	ids := make([]string, n)
	for i := range ids {
		c, _, err := svcs[0].CreateConnection(owner, "default", sb.ConnectionInput{
			ConnectorID: "http-bearer", Name: fmt.Sprintf("c%02d", i),
			Config: map[string]any{"base_url": p.srv.URL + fmt.Sprintf("/c%02d", i), "token": secretToken},
		}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, svc := range svcs {
		svc.SetHealthChecker(health.New(loopback))
		s := &health.Scheduler{Service: svc, Interval: time.Hour, Poll: 20 * time.Millisecond, Batch: 2}
		wg.Go(func() { s.Run(ctx) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if len(p.seen()) == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // give a duplicate the chance to show
	cancel()
	wg.Wait()

	seen := p.seen()
	if len(seen) != n {
		t.Fatalf("%d connections checked, want %d", len(seen), n)
	}
	for path, k := range seen {
		if k != 1 {
			t.Errorf("%s checked %d times, want once", path, k)
		}
	}
	for _, id := range ids {
		c, err := svcs[1].GetConnection(owner, "default", id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != sb.StatusActive || c.Health.LastHealthyAt == nil {
			t.Errorf("%s after the scheduled check: status %s health %+v", id, c.Status, c.Health)
		}
	}
}
