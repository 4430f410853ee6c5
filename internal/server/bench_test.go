package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// Benchmarks through the whole HTTP stack (client, loopback, middleware, auth, handler,
// service, seal, store) on each driver. allocs/op counts both the client and the server side:
// they share the process.

// benchDrivers runs fn as a sub-benchmark per driver; postgres skips when no test server is
// configured (testenv.New skips).
func benchDrivers(b *testing.B, fn func(b *testing.B, e *testenv.Env)) {
	for _, d := range testenv.Drivers {
		b.Run(d, func(b *testing.B) {
			e := testenv.New(b, d)
			fn(b, e)
		})
	}
}

// benchClient sends requests with a pre-encoded body over the env's keep-alive client and
// checks the status without keeping the body.
type benchClient struct {
	e     *testenv.Env
	token string
}

func (c benchClient) do(b *testing.B, method, path string, body []byte, want int) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(b.Context(), method, c.e.URL+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.e.HTTP.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
}

func BenchmarkCreateConnection(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		c := benchClient{e: e, token: e.OwnerKey}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			body := fmt.Appendf(nil, `{"connector_id":"kafka","connection_name":"bench-%d","config":`+
				`{"kafkaAddr":"10.0.0.1:9092","userName":"svc","password":"bench-password-0123456789"}}`, i)
			c.do(b, "POST", "/v1/workspaces/default/connections", body, http.StatusCreated)
		}
	})
}

func BenchmarkGetCredentials(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		c := benchClient{e: e, token: e.OwnerKey}
		r := e.Do(b, "POST", "/v1/workspaces/default/credentials", e.OwnerKey, map[string]any{
			"name": "partner", "type": "api_key", "data": map[string]string{"api_key": "bench-api-key-0123456789"},
		})
		if r.Status != http.StatusCreated {
			b.Fatalf("credential: %d %s", r.Status, r.Body)
		}
		credID := r.Map(b)["id"].(string)
		r = e.Do(b, "POST", "/v1/workspaces/default/connections", e.OwnerKey, map[string]any{
			"connector_id": "kafka", "connection_name": "bench",
			"config":      map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "bench-password-0123456789"},
			"credentials": map[string]any{"action": []string{credID}},
		})
		if r.Status != http.StatusCreated {
			b.Fatalf("connection: %d %s", r.Status, r.Body)
		}
		path := "/v1/workspaces/default/connections/" + r.Map(b)["id"].(string) + "/credentials"
		b.ReportAllocs()
		for b.Loop() {
			c.do(b, "GET", path, nil, http.StatusOK)
		}
	})
}

func BenchmarkListConnections(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		// 1000 stored connections, made through the service (the HTTP path is not what this
		// measures).
		ctx := switchboard.WithPrincipal(b.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
		for i := range 1000 {
			_, _, err := e.Service.CreateConnection(ctx, "default", switchboard.ConnectionInput{
				ConnectorID: "kafka", Name: fmt.Sprintf("list-%04d", i),
				Config: map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "bench-password-0123456789"},
				Tags:   []string{"bench"},
			}, "")
			if err != nil {
				b.Fatal(err)
			}
		}
		c := benchClient{e: e, token: e.OwnerKey}
		b.ReportAllocs()
		for b.Loop() {
			c.do(b, "GET", "/v1/workspaces/default/connections?page_size=100", nil, http.StatusOK)
		}
	})
}

// seedBench creates n kafka connections through the service and returns their ids.
func seedBench(b *testing.B, e *testenv.Env, n int) []string {
	b.Helper()
	ctx := switchboard.WithPrincipal(b.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
	ids := make([]string, n)
	for i := range n {
		c, _, err := e.Service.CreateConnection(ctx, "default", switchboard.ConnectionInput{
			ConnectorID: "kafka", Name: fmt.Sprintf("seed-%05d", i),
			Config: map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "bench-password-0123456789"},
		}, "")
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

// Service-level benchmarks: the hot paths without HTTP, JSON or auth, on each driver.

func BenchmarkServiceCreateConnection(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		ctx := switchboard.WithPrincipal(b.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			_, _, err := e.Service.CreateConnection(ctx, "default", switchboard.ConnectionInput{
				ConnectorID: "kafka", Name: fmt.Sprintf("svc-bench-%d", i),
				Config: map[string]any{"kafkaAddr": "10.0.0.1:9092", "userName": "svc", "password": "bench-password-0123456789"},
			}, "")
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkServiceGetCredentials(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		ids := seedBench(b, e, 100)
		ctx := switchboard.WithPrincipal(b.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			c, err := e.Service.GetCredentials(ctx, "default", ids[i%len(ids)])
			if err != nil {
				b.Fatal(err)
			}
			if c.Connection.Secrets["password"].Reveal() == "" {
				b.Fatal("no secret")
			}
		}
	})
}

func BenchmarkServiceListConnections(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		seedBench(b, e, 300)
		ctx := switchboard.WithPrincipal(b.Context(), switchboard.SystemPrincipal(switchboard.DefaultID))
		b.ReportAllocs()
		for b.Loop() {
			items, _, err := e.Service.ListConnections(ctx, "default", switchboard.ConnectionFilter{Page: switchboard.Page{Limit: 100}})
			if err != nil {
				b.Fatal(err)
			}
			if len(items) != 100 {
				b.Fatalf("%d items, want 100", len(items))
			}
		}
	})
}

// Parallel benchmarks: 16 goroutines per CPU over HTTP, to see throughput with shared commits.

func BenchmarkParallelCredentials(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		ids := seedBench(b, e, 100)
		c := benchClient{e: e, token: e.OwnerKey}
		b.ReportAllocs()
		b.SetParallelism(16)
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				c.do(b, "GET", "/v1/workspaces/default/connections/"+ids[int(i)%len(ids)]+"/credentials", nil, http.StatusOK)
			}
		})
	})
}

func BenchmarkParallelCreate(b *testing.B) {
	benchDrivers(b, func(b *testing.B, e *testenv.Env) {
		c := benchClient{e: e, token: e.OwnerKey}
		b.ReportAllocs()
		b.SetParallelism(16)
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body := fmt.Appendf(nil, `{"connector_id":"kafka","connection_name":"par-%d","config":`+
					`{"kafkaAddr":"10.0.0.1:9092","userName":"svc","password":"bench-password-0123456789"}}`, n.Add(1))
				c.do(b, "POST", "/v1/workspaces/default/connections", body, http.StatusCreated)
			}
		})
	})
}
