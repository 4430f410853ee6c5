package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// testTimeout bounds the whole test: build, serve, browser and every page.
const testTimeout = 110 * time.Second

func TestHarness(t *testing.T) {
	execPath := chromiumPath(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := startServer(ctx, t, buildBinary(ctx, t))
	b := newBrowser(ctx, t, execPath)
	resp := b.open(srv.URL + "/healthz")
	if resp.Status != 200 {
		t.Fatalf("GET /healthz: %d", resp.Status)
	}
	if got := b.location(); got != srv.URL+"/healthz" {
		t.Errorf("location = %q", got)
	}
	if body := b.text("body"); !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz body = %q", body)
	}
	if b.has("#sign-in") || !strings.Contains(b.html(), `"ok"`) {
		t.Errorf("/healthz page is not the health answer:\n%s", b.html())
	}
	b.shot("healthz")
}
