package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
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
