package health_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/health"
	"github.com/switchboardhq/switchboard/internal/outbound"
)

const secretToken = "tok-s3cret-value-1234"

var loopback = outbound.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

// provider answers 200 to the right bearer token and 401 otherwise, like a partner's API.
func provider(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func version(t *testing.T, check string) *sb.ConnectorVersion {
	t.Helper()
	return &sb.ConnectorVersion{
		Schema: json.RawMessage(`{"type":"object","properties":{"base_url":{"type":"string"},` +
			`"path":{"type":"string","default":"/"},"token":{"type":"string","writeOnly":true}}}`),
		HealthCheck: json.RawMessage(check),
	}
}

func TestCheckHTTP(t *testing.T) {
	t.Parallel()
	srv := provider(t)
	bearer := `{"type":"http","method":"GET","url":"{{config.base_url}}{{config.path}}",` +
		`"headers":{"Authorization":"Bearer {{config.token}}"},"expect_status":[200]}`
	conn := func(token string) *sb.Connection {
		return &sb.Connection{Config: map[string]any{"base_url": srv.URL},
			Secrets: map[string]sb.Secret{"token": sb.NewSecret(token)}}
	}
	for _, tc := range []struct {
		name      string
		cfg       outbound.Config
		check     string
		conn      *sb.Connection
		healthy   bool
		notConfig bool
		errHas    string
	}{
		{"healthy", loopback, bearer, conn(secretToken), true, false, ""},
		{"wrong token", loopback, bearer, conn("tok-wrong-value-5678"), false, false, "unexpected status 401 from 127.0.0.1"},
		{"loopback refused without the allow-list", outbound.Config{}, bearer, conn(secretToken), false, false, "not allowed"},
		{"missing secret", loopback, bearer, conn(""), false, true, ""},
		{"secret in the url", loopback, `{"type":"http","method":"GET","url":"{{config.base_url}}/?t={{config.token}}","expect_status":[200]}`,
			conn(secretToken), false, true, ""},
		{"basic auth", loopback, `{"type":"http","method":"GET","url":"{{config.base_url}}/","basic_auth":{"username":"u","password":"{{config.token}}"},"expect_status":[401]}`,
			conn(secretToken), true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := health.New(tc.cfg).Check(t.Context(), version(t, tc.check), tc.conn)
			if res.Healthy != tc.healthy || res.NotConfigured != tc.notConfig {
				t.Fatalf("result %+v, want healthy=%v notConfigured=%v", res, tc.healthy, tc.notConfig)
			}
			if !strings.Contains(res.Error, tc.errHas) {
				t.Errorf("error %q, want it to say %q", res.Error, tc.errHas)
			}
			if strings.Contains(res.Error, "s3cret") {
				t.Errorf("error %q holds the secret", res.Error)
			}
			if !tc.notConfig && res.CheckedAt.IsZero() {
				t.Error("CheckedAt not set")
			}
		})
	}
}

func TestCheckTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closedPort, _ := net.SplitHostPort(closed.Addr().String())
	closed.Close()

	v := &sb.ConnectorVersion{
		Schema:      json.RawMessage(`{"type":"object","properties":{"hosts":{"type":"string"},"port":{"type":"string"}}}`),
		HealthCheck: json.RawMessage(`{"type":"tcp","address":"{{config.hosts}}","port":"{{config.port}}"}`),
	}
	check := func(cfg outbound.Config, hosts, port string) sb.HealthResult {
		return health.New(cfg).Check(t.Context(), v, &sb.Connection{Config: map[string]any{"hosts": hosts, "port": port}})
	}
	if res := check(loopback, "127.0.0.1:"+closedPort+", 127.0.0.1", port); !res.Healthy {
		t.Errorf("one reachable address: %+v, want healthy", res)
	}
	if res := check(loopback, "127.0.0.1", closedPort); res.Healthy || res.Error == "" {
		t.Errorf("closed port: %+v, want unhealthy with an error", res)
	}
	if res := check(outbound.Config{}, "127.0.0.1", port); res.Healthy || !strings.Contains(res.Error, "not allowed") {
		t.Errorf("loopback without the allow-list: %+v, want refused", res)
	}
}
