package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// keyringIDs returns the ids of a keyring file, in order.
func keyringIDs(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		id, _, _ := strings.Cut(l, ":")
		ids = append(ids, id)
	}
	return ids
}

// keys rotate adds a key and re-wraps every data key with it; the secrets stay readable.
func TestKeysRotate(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key
			// Three workspaces, so three data keys.
			secrets := map[[2]string]string{}
			for _, ws := range []string{"default", "ws-two", "ws-three"} {
				if ws != "default" {
					p.do("POST", "/v1/workspaces", owner, map[string]any{"id": ws, "name": ws}).
						expect(t, http.StatusCreated, "create workspace "+ws)
				}
				for i := range 2 {
					s := randomSecret(t)
					id := p.createConnection(owner, ws, fmt.Sprintf("c%d", i), s)
					secrets[[2]string{ws, id}] = s
				}
			}
			p.stop()
			oldIDs := keyringIDs(t, b.keyringPath())
			if len(oldIDs) != 1 {
				t.Fatalf("keyring has %d keys before rotating", len(oldIDs))
			}
			old := oldIDs[0]
			original, err := os.ReadFile(b.keyringPath())
			if err != nil {
				t.Fatal(err)
			}
			st := mustRun(t, nil, append([]string{"keys", "status"}, b.flags()...)...)
			if !strings.Contains(st.stdout, "active: "+old) || !strings.Contains(st.stdout, "key "+old+": 3 data keys") {
				t.Fatalf("keys status before rotating:\n%s", st.stdout)
			}

			// Rotate, selected by environment for PostgreSQL.
			var r result
			if d == "postgres" {
				r = mustRun(t, b.env(), "keys", "rotate")
			} else {
				r = mustRun(t, nil, append([]string{"keys", "rotate"}, b.flags()...)...)
			}
			ids := keyringIDs(t, b.keyringPath())
			if len(ids) != 2 || ids[0] != old || ids[1] == old {
				t.Fatalf("keyring ids after rotate = %v, want [%s <new>]", ids, old)
			}
			newID := ids[1]
			if !strings.Contains(r.stdout, "active key: "+newID) || !strings.Contains(r.stdout, "re-wrapped data keys: 3") {
				t.Errorf("keys rotate output:\n%s", r.stdout)
			}
			if fi, err := os.Stat(b.keyringPath()); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("keyring after rotate: %v %v", fi.Mode(), err)
			}

			st = mustRun(t, nil, append([]string{"keys", "status"}, b.flags()...)...)
			for _, want := range []string{
				`(?m)^active: ` + regexp.QuoteMeta(newID) + `$`,
				`(?m)^key ` + regexp.QuoteMeta(newID) + `: 3 data keys$`,
				`(?m)^key ` + regexp.QuoteMeta(old) + `: 0 data keys$`,
			} {
				if !regexp.MustCompile(want).MatchString(st.stdout) {
					t.Errorf("keys status after rotate does not match %s:\n%s", want, st.stdout)
				}
			}

			// serve reads every secret back.
			p = startServe(t, nil, b.flags()...)
			for k, s := range secrets {
				if got := p.secretOf(owner, k[0], k[1]); got != s {
					t.Errorf("after rotate: %s/%s token differs", k[0], k[1])
				}
			}
			// New writes go under the new key, old ones stay readable.
			s := randomSecret(t)
			id := p.createConnection(owner, "default", "after-rotate", s)
			if got := p.secretOf(owner, "default", id); got != s {
				t.Errorf("connection created after rotate: token differs")
			}
			p.stop()

			// A second rotate: three keys, all data keys on the newest.
			mustRun(t, nil, append([]string{"keys", "rotate"}, b.flags()...)...)
			ids = keyringIDs(t, b.keyringPath())
			if len(ids) != 3 {
				t.Fatalf("keyring ids after a second rotate = %v", ids)
			}
			st = mustRun(t, nil, append([]string{"keys", "status"}, b.flags()...)...)
			if !strings.Contains(st.stdout, "key "+ids[2]+": 3 data keys") {
				t.Errorf("keys status after a second rotate:\n%s", st.stdout)
			}

			// The keyring from before the rotations no longer opens the database, and says so.
			oldRing := filepath.Join(t.TempDir(), "old.keyring")
			if err := os.WriteFile(oldRing, original, 0o600); err != nil {
				t.Fatal(err)
			}
			r = run(t, nil, append([]string{"keys", "status", "--keyring", oldRing}, b.flags()...)...)
			if r.code == 0 || !strings.Contains(r.stderr, "lacks") {
				t.Errorf("keys status with the pre-rotation keyring: exit %d, stderr %q", r.code, r.stderr)
			}
			p = startServe(t, nil, b.flags()...)
			for k, s := range secrets {
				if got := p.secretOf(owner, k[0], k[1]); got != s {
					t.Errorf("after two rotations: %s/%s token differs", k[0], k[1])
				}
			}
			p.stop()
		})
	}
}
