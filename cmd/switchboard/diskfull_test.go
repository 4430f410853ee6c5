package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Disk full: serve's SQLite data dir is on an 8 MiB tmpfs, which a filler file then fills
// to the last byte. Writes must fail with a clear answer (503 with code 5030, Retry-After and
// the message that the storage is full — or 507/5070, should the API ever get a code of its
// own for it; never a bare 500), reads keep working, and once the filler is
// deleted writes succeed again; afterwards PRAGMA integrity_check is ok. Mounting needs root:
// the test skips without it, or when root may not mount (a container without CAP_SYS_ADMIN).
func TestDiskFullSQLite(t *testing.T) {
	subprocessOnly(t)
	if !isRoot() {
		t.Skip("disk-full test mounts a small tmpfs: run as root (CI does)")
	}
	mnt, err := os.MkdirTemp("", "switchboard-full-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		os.Remove(mnt)
		// A container may run as root without the right to mount: nothing here can make a
		// small disk then, so the test says so and skips rather than failing the build.
		t.Skipf("mount tmpfs (needs CAP_SYS_ADMIN): %v %s", err, strings.TrimSpace(string(out)))
	}
	// Registered before serve starts, so it runs after serve's own cleanup has killed it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
			return
		}
		os.Remove(mnt)
	})

	b := &backend{driver: "sqlite", dataDir: filepath.Join(mnt, "data")}
	p := serveQuiet(t, b)
	owner := parseBootstrap(t, p.stderr.String()).key
	ids := seedConnections(t, p, owner, 5)
	secrets := map[string]string{}
	for _, id := range ids {
		secrets[id] = p.secretOf(owner, "default", id)
	}

	filler := filepath.Join(mnt, "filler")
	fill(t, filler)

	c := httpClient(15 * time.Second)
	coll := p.base + "/v1/workspaces/default/connections"
	create := func(i int) reply {
		return send(t.Context(), c, "POST", coll, owner, map[string]any{
			"connector_id": "http-bearer", "connection_name": fmt.Sprintf("full-%d-%d", i, time.Now().UnixNano()),
			"description": strings.Repeat("x", 2000),
			"config":      map[string]any{"base_url": "https://api.example.com", "token": fmt.Sprintf("tok-full-%d", i)},
		})
	}
	// Until the first refusal (the WAL still has room for a few), then some more: each must
	// be refused the same clean way.
	refused, accepted := 0, 0
	statuses := map[string]int{}
	for i := 0; i < 2000 && refused < 20; i++ {
		r := create(i)
		switch {
		case r.err != nil:
			t.Fatalf("create with the disk full: no answer: %v (did serve die?)\nstderr:\n%s", r.err, redact(p.stderr.String()))
		case r.status == http.StatusCreated:
			accepted++
			continue
		case r.status == http.StatusInsufficientStorage && r.code() == "5070",
			r.status == http.StatusServiceUnavailable && r.code() == "5030" && r.header.Get("Retry-After") != "":
			refused++
			statuses[fmt.Sprintf("%d/%s", r.status, r.code())]++
			// Not the generic "unavailable": the message says what to do about it.
			if msg, _ := r.json()["message"].(string); !strings.Contains(msg, "storage is full") {
				t.Errorf("create with the disk full: message %q does not say the storage is full", msg)
			}
		default:
			t.Fatalf("create with the disk full: %s, want 507/5070 or 503/5030 with Retry-After", r.describe())
		}
	}
	if refused == 0 {
		t.Fatalf("%d creates accepted on a full disk and none refused", accepted)
	}
	t.Logf("disk full: %d creates accepted (WAL room) before the first refusal, then refused as %v", accepted, statuses)

	// Reads keep working: each connection, its credentials, the list.
	reads, readsOK := 0, 0
	for _, id := range ids {
		for _, path := range []string{"/" + id, "/" + id + "/credentials"} {
			reads++
			r := send(t.Context(), c, "GET", coll+path, owner, nil)
			if r.err == nil && r.status == http.StatusOK {
				readsOK++
			} else {
				t.Errorf("read %s with the disk full: %s", path, r.describe())
			}
			if strings.HasSuffix(path, "/credentials") && r.status == http.StatusOK {
				cfg, _ := r.json()["config"].(map[string]any)
				if tok, _ := cfg["token"].(string); tok != secrets[id] {
					t.Errorf("credentials of %s with the disk full: the token is not the one written", id)
				}
			}
		}
	}
	reads++
	if r := send(t.Context(), c, "GET", coll+"?page_size=100", owner, nil); r.err == nil && r.status == http.StatusOK {
		readsOK++
	} else {
		t.Errorf("list with the disk full: %s", r.describe())
	}

	// Space freed: writes succeed again, without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	var after reply
	for time.Since(freed) < 10*time.Second {
		if after = create(100000); after.err == nil && after.status == http.StatusCreated {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if after.err != nil || after.status != http.StatusCreated {
		t.Fatalf("create after space was freed: %s", after.describe())
	}
	resumed := time.Since(freed)
	id, _ := after.json()["id"].(string)
	if got := p.secretOf(owner, "default", id); got != "tok-full-100000" {
		t.Errorf("the connection created after space was freed does not read back its token")
	}
	p.stop()

	corruptions := 0
	if got := integrityCheck(t, filepath.Join(b.dataDir, "switchboard.db")); got != "ok" {
		corruptions++
		t.Errorf("integrity_check after the disk was full: %s", got)
	}
	// And serve starts on it again with everything acknowledged in place.
	p = serveQuiet(t, b)
	for _, id := range ids {
		if p.secretOf(owner, "default", id) != secrets[id] {
			t.Errorf("after a restart, %s's token is not the one written", id)
		}
	}
	p.stop()
	figure(t, "disk_full_refused_writes", refused)
	figure(t, "disk_full_refusal", fmt.Sprint(statuses))
	figure(t, "disk_full_read_success", fmt.Sprintf("%d/%d", readsOK, reads))
	figure(t, "disk_full_write_resumed_ms", resumed.Milliseconds())
	figure(t, "disk_full_corruptions", corruptions)
}

// fill writes a file at path until the filesystem has no byte left.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for size := len(buf); size > 0; {
		if _, err := f.Write(buf[:size]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			size /= 2 // down to the last block
		}
	}
}
