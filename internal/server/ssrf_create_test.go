package server_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestSSRFURLsRefusedAtCreate: the URLs Switchboard calls later (webhook endpoints, a
// connector's OAuth token and authorize endpoints and health check URL, a connection's config
// value its health check URL starts with) are refused with 400 when their host is
// spelled so that parsers disagree or it names localhost, on create and on update.
func TestSSRFURLsRefusedAtCreate(t *testing.T) {
	e := testenv.New(t, "sqlite")
	const ws = "/v1/workspaces/default"
	tricks := []string{
		"http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/",
		"http://evil@127.0.0.1/", "http://127.0.0.1#@evil.com/", "http://[fe80::1%25eth0]/",
		"file:///etc/passwd", "gopher://127.0.0.1:6379/_x", "ftp://example.com/",
		"http://example.com/\r\nX: y", " http://example.com/", "http://localhost:8080/", "http://svc.localhost/",
		"http://example.com./",
	}
	accepted := 0
	r := e.Do(t, "POST", ws+"/webhook-endpoints", e.OwnerKey, map[string]any{"url": "https://hooks.example.com/in"})
	if r.Status != http.StatusCreated {
		t.Fatalf("positive control: %d %s", r.Status, r.Body)
	}
	hook := r.Map(t)["id"].(string)
	r = e.Do(t, "POST", ws+"/connectors", e.OwnerKey, map[string]any{
		"key": "ssrf-ok", "schema": map[string]any{"type": "object"}, "auth_schemes": []string{"oauth2"},
		"oauth2":       map[string]any{"authorize_url": "https://auth.example.com/authorize", "token_url": "https://auth.example.com/token"},
		"health_check": map[string]any{"type": "http", "method": "GET", "url": "https://api.example.com/health", "expect_status": []int{200}},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("positive control (connector): %d %s", r.Status, r.Body)
	}
	r = e.Do(t, "POST", ws+"/connections", e.OwnerKey, map[string]any{"connector_id": "http-bearer", "connection_name": "ssrf-ok",
		"config": map[string]any{"base_url": "https://api.example.com/v1", "token": "tok-0123456789"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("positive control (connection): %d %s", r.Status, r.Body)
	}
	conn := r.Map(t)["id"].(string)
	for i, u := range tricks {
		if r := e.Do(t, "POST", ws+"/webhook-endpoints", e.OwnerKey, map[string]any{"url": u}); r.Status != http.StatusBadRequest {
			accepted++
			t.Errorf("webhook create %q: %d %s", u, r.Status, r.Body)
		}
		if r := e.Do(t, "PATCH", ws+"/webhook-endpoints/"+hook, e.OwnerKey, map[string]any{"url": u}); r.Status != http.StatusBadRequest {
			accepted++
			t.Errorf("webhook update %q: %d %s", u, r.Status, r.Body)
		}
		https := "https" + u[len("http"):]
		if u[:5] != "http:" {
			https = u
		}
		for _, field := range []string{"token_url", "authorize_url"} {
			oauth2 := map[string]any{"authorize_url": "https://auth.example.com/authorize", "token_url": "https://auth.example.com/token"}
			oauth2[field] = https
			r := e.Do(t, "POST", ws+"/connectors", e.OwnerKey, map[string]any{
				"key": "ssrf-" + field[:1] + string(rune('a'+i)), "schema": map[string]any{"type": "object"},
				"auth_schemes": []string{"oauth2"}, "oauth2": oauth2,
			})
			if r.Status != http.StatusBadRequest {
				accepted++
				t.Errorf("connector %s %q: %d %s", field, https, r.Status, r.Body)
			}
		}
		// A connection's config value the connector's health check URL starts with.
		r = e.Do(t, "POST", ws+"/connections", e.OwnerKey, map[string]any{"connector_id": "http-bearer",
			"connection_name": "ssrf-" + string(rune('a'+i)), "config": map[string]any{"base_url": u, "token": "tok-0123456789"}})
		if r.Status != http.StatusBadRequest {
			accepted++
			t.Errorf("connection base_url %q: %d %s", u, r.Status, r.Body)
		}
		r = e.Do(t, "PATCH", ws+"/connections/"+conn, e.OwnerKey, map[string]any{"config": map[string]any{"base_url": u}})
		if r.Status != http.StatusBadRequest {
			accepted++
			t.Errorf("connection base_url update %q: %d %s", u, r.Status, r.Body)
		}
		r = e.Do(t, "POST", ws+"/connectors", e.OwnerKey, map[string]any{
			"key": "ssrf-h" + string(rune('a'+i)), "schema": map[string]any{"type": "object"},
			"health_check": map[string]any{"type": "http", "method": "GET", "url": u, "expect_status": []int{200}},
		})
		if r.Status != http.StatusBadRequest {
			accepted++
			t.Errorf("connector health_check url %q: %d %s", u, r.Status, r.Body)
		}
	}
	t.Logf("FIGURE ssrf_create_tricks_accepted=%d (of %d attempts)", accepted, len(tricks)*7)
}
