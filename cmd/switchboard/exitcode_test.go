package main

import (
	"io"
	"path/filepath"
	"testing"
)

// Scripts tell a mistyped command line (2) from a command that ran and failed (1).
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"serve", "--no-such-flag"}, 2},
		{[]string{"serve", "--log-level", "loud", "--data-dir", filepath.Join(dir, "l")}, 2},
		{[]string{"serve", "--read-audit", "never", "--data-dir", filepath.Join(dir, "l")}, 2},
		{[]string{"no-such-command"}, 2},
		{[]string{"apikey", "create", "--role"}, 2},
		{[]string{"migrate", "--database-url", "mysql://x"}, 1},
		{[]string{"apikey", "create", "--workspace", "nope", "--data-dir", filepath.Join(dir, "d")}, 1},
		{[]string{"migrate", "--data-dir", filepath.Join(dir, "m")}, 0},
	} {
		if got := Run(t.Context(), tc.args, io.Discard, io.Discard); got != tc.want {
			t.Errorf("switchboard %v: exit %d, want %d", tc.args, got, tc.want)
		}
	}
}
