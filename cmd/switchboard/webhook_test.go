package main

import (
	"strings"
	"testing"
)

// serve sends webhooks with one worker unless told otherwise; 0 turns delivery off, and a
// value that is not a number stops the start with the variable named.
func TestServeWebhookWorkersFlag(t *testing.T) {
	t.Setenv("SWITCHBOARD_WEBHOOK_WORKERS", "")
	if got := serveCmd(&options{}).Flags().Lookup("webhook-workers").DefValue; got != "1" {
		t.Errorf("--webhook-workers default = %q, want 1", got)
	}
	t.Setenv("SWITCHBOARD_WEBHOOK_WORKERS", "0")
	if got := serveCmd(&options{}).Flags().Lookup("webhook-workers").DefValue; got != "0" {
		t.Errorf("--webhook-workers with SWITCHBOARD_WEBHOOK_WORKERS=0 = %q, want 0", got)
	}
	t.Setenv("SWITCHBOARD_WEBHOOK_WORKERS", "many")
	var out strings.Builder
	code := Run(t.Context(), []string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, &out, &out)
	if code == 0 || !strings.Contains(out.String(), "SWITCHBOARD_WEBHOOK_WORKERS") {
		t.Errorf("serve with SWITCHBOARD_WEBHOOK_WORKERS=many: exit %d\n%s", code, out.String())
	}
}
