package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// checkSQLite opens the database file as any SQLite client would and checks it is whole.
func checkSQLite(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok, mode string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v, want wal", mode, err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM workspaces").Scan(&n); err != nil || n < 1 {
		t.Errorf("workspaces: %d, %v", n, err)
	}
}

// SIGTERM stops serve cleanly: exit 0, "stopped" logged, the database closed.
func TestServeSIGTERM(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key
			p.createConnection(owner, "default", "c1", randomSecret(t))
			began := time.Now()
			p.stop() // SIGTERM, exit 0 within 10s, "stopped"
			if took := time.Since(began); took > 5*time.Second {
				t.Errorf("SIGTERM of an idle server took %v", took)
			}
			if strings.Contains(p.stderr.String(), "level=ERROR") {
				t.Errorf("errors on shutdown:\n%s", redact(p.stderr.String()))
			}
			if d == "sqlite" {
				db := filepath.Join(b.dataDir, "switchboard.db")
				// The last connection to close checkpoints the WAL and removes it: the
				// store was closed, not abandoned.
				if _, err := os.Stat(db + "-wal"); err == nil {
					t.Errorf("%s-wal left behind: the database was not closed cleanly", db)
				}
				checkSQLite(t, db)
			}
			// And it starts again on the same data.
			p = startServe(t, nil, b.flags()...)
			p.do("GET", "/v1/workspaces/default/connections", owner, nil).expect(t, http.StatusOK, "list after restart")
			p.stop()
		})
	}
}

// A request in flight when SIGTERM arrives completes; new connections are refused meanwhile.
func TestServeSIGTERMFinishesInFlight(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key
			p.do("GET", "/healthz", "", nil).expect(t, http.StatusOK, "healthz")

			body, _ := json.Marshal(map[string]any{
				"connector_id": "http-bearer", "connection_name": "in-flight",
				"config": map[string]any{"base_url": "https://api.example.com", "token": "tok-in-flight-0123456789"},
			})
			pr, pw := io.Pipe()
			req, err := http.NewRequest("POST", p.base+"/v1/workspaces/default/connections", pr)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+owner)
			req.Header.Set("Content-Type", "application/json")
			type outcome struct {
				status int
				body   string
				err    error
			}
			res := make(chan outcome, 1)
			// A client of its own: no idle connection of another test is reused.
			c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
			go func() {
				resp, err := c.Do(req)
				if err != nil {
					res <- outcome{err: err}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				res <- outcome{status: resp.StatusCode, body: string(b)}
			}()
			half := len(body) / 2
			if _, err := pw.Write(body[:half]); err != nil {
				t.Fatal(err)
			}
			// Let the server read the headers and enter the handler.
			time.Sleep(500 * time.Millisecond)

			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// The listener closes: new connections are refused while the request is pending.
			refused := false
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				conn, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
				if err != nil {
					refused = true
					break
				}
				conn.Close()
			}
			if !refused {
				t.Errorf("serve still accepts connections 5s after SIGTERM")
			}
			select {
			case <-p.done:
				t.Fatalf("serve exited with a request in flight\nstderr:\n%s", redact(p.stderr.String()))
			case o := <-res:
				t.Fatalf("the in-flight request ended before its body was sent: %d %v %s", o.status, o.err, o.body)
			default:
			}

			// Finish the body after SIGTERM.
			if _, err := pw.Write(body[half:]); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			select {
			case o := <-res:
				if o.err != nil || o.status != http.StatusCreated {
					t.Errorf("in-flight request: status %d, err %v, body %s", o.status, o.err, o.body)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the in-flight request got no response")
			}
			if code := p.wait(10 * time.Second); code != 0 {
				t.Fatalf("serve exited %d\nstderr:\n%s", code, redact(p.stderr.String()))
			}
			if !strings.Contains(p.stderr.String(), "msg=stopped") {
				t.Errorf("serve did not log stopped:\n%s", redact(p.stderr.String()))
			}
			if d == "sqlite" {
				checkSQLite(t, filepath.Join(b.dataDir, "switchboard.db"))
			}

			// The connection was committed.
			p = startServe(t, nil, b.flags()...)
			r := p.do("GET", "/v1/workspaces/default/connections", owner, nil).expect(t, http.StatusOK, "list")
			if !strings.Contains(string(r.body), `"in-flight"`) {
				t.Errorf("the in-flight connection is not stored: %s", redact(string(r.body)))
			}
			p.stop()
		})
	}
}
