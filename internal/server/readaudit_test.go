package server_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// With the read audit buffered (serve's default), every credential read still ends up in the
// audit log, with its own request id: the events are written shortly after, and stopping
// the buffer writes what is left.
func TestBufferedReadAudit(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, d)
			stop := e.Service.BufferReadAudit(func(err error) { t.Errorf("flush: %v", err) })
			r := e.Do(t, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
				"connector_id": "kafka", "connection_name": "audited",
				"config": map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "audit-password-0123456789"},
			})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			id := r.Map(t)["id"].(string)
			const reads = 40
			stats, ok := e.Store.(interface {
				WriteStats() (batches, writes uint64)
			})
			if !ok {
				t.Fatalf("%T keeps no write counters", e.Store)
			}
			_, before := stats.WriteStats()
			var wg sync.WaitGroup
			for range reads {
				wg.Go(func() {
					if r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil); r.Status != http.StatusOK {
						t.Errorf("credentials: %d %s", r.Status, r.Body)
					}
				})
			}
			wg.Wait()
			stop()
			// The reads' events went in bulk: far fewer writes than reads.
			if _, after := stats.WriteStats(); after-before > reads/2 {
				t.Errorf("%d reads took %d writes, want at most %d (events written in bulk)", reads, after-before, reads/2)
			}
			evs, err := e.Store.ListAudit(t.Context(), "default", switchboard.AuditFilter{
				ObjectID: id, Action: "connection.credentials.read", Page: switchboard.Page{Limit: 1000},
			})
			if err != nil {
				t.Fatal(err)
			}
			requests := map[string]bool{}
			for _, ev := range evs {
				requests[ev.RequestID] = true
			}
			if len(evs) != reads || len(requests) != reads {
				t.Fatalf("%d read events with %d request ids, want %d each", len(evs), len(requests), reads)
			}
			// After stop, reads are audited before they are answered, as unbuffered.
			e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
			evs, err = e.Store.ListAudit(t.Context(), "default", switchboard.AuditFilter{
				ObjectID: id, Action: "connection.credentials.read", Page: switchboard.Page{Limit: 1000},
			})
			if err != nil || len(evs) != reads+1 {
				t.Fatalf("after stop: %d events (%v), want %d", len(evs), err, reads+1)
			}
		})
	}
}
