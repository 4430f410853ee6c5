package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// seedSecret starts serve on b for the first time (it bootstraps and generates the keyring),
// stores secret in connection c1 of workspace default and stops. It returns the owner API
// key, the connection's id, the secret and the generated keyring file.
func seedSecret(t *testing.T, b *backend) (owner, id, secret string, keyring []byte) {
	t.Helper()
	p := startServe(t, nil, b.flags()...)
	owner = parseBootstrap(t, p.stderr.String()).key
	secret = randomSecret(t)
	id = p.createConnection(owner, "default", "c1", secret)
	p.stop()
	keyring, err := os.ReadFile(b.keyringPath())
	if err != nil {
		t.Fatal(err)
	}
	return owner, id, secret, keyring
}

// swapKeyring replaces b's keyring file with content (nil: removes it) until the test ends,
// then writes good back.
func (b *backend) swapKeyring(t *testing.T, content *string, good []byte) {
	t.Helper()
	if content == nil {
		if err := os.Remove(b.keyringPath()); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(b.keyringPath(), []byte(*content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(b.keyringPath(), good, 0o600); err != nil {
			t.Fatal(err)
		}
	})
}

// refusedStart starts serve on a fixed free port, expecting it to exit non-zero quickly
// without ever listening, and returns its stderr.
func refusedStart(t *testing.T, env []string, args ...string) string {
	t.Helper()
	addr := freePort(t)
	began := time.Now()
	p := start(t, "", env, append([]string{"serve", "--addr", addr}, args...)...)

	// Knock on the port for as long as the process lives.
	var answered atomic.Bool
	stopKnock := make(chan struct{})
	knocked := make(chan struct{})
	go func() {
		defer close(knocked)
		for {
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				c.Close()
				answered.Store(true)
			}
			select {
			case <-stopKnock:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	// Fail fast when it starts after all.
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(p.stderr.String(), "msg=listening") || time.Now().After(deadline) {
				_ = p.cmd.Process.Kill()
				<-p.done
				close(stopKnock)
				<-knocked
				t.Fatalf("serve started (or hung) instead of refusing\nstderr:\n%s", redact(p.stderr.String()))
			}
			continue
		}
		break
	}
	code := p.wait(time.Second)
	close(stopKnock)
	<-knocked
	stderr := p.stderr.String()
	if code == 0 {
		t.Errorf("serve exited 0, want a refusal\nstderr:\n%s", redact(stderr))
	}
	if answered.Load() {
		t.Errorf("something answered on %s while the refused serve ran", addr)
	}
	if strings.Contains(stderr, "msg=listening") {
		t.Errorf("serve logged listening before refusing:\n%s", redact(stderr))
	}
	if keyPattern.MatchString(stderr+p.stdout.String()) || strings.Contains(stderr, "Owner API key") {
		t.Errorf("a refused start printed a key")
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("refusal took %v", d)
	}
	return stderr
}

// A database that holds data never starts with a missing, malformed or different keyring,
// never gets a new keyring, and is left exactly as it was.
func TestServeRefusesWrongKeyring(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			owner, id, secret, good := seedSecret(t, b)
			goodID, goodB64, ok := strings.Cut(strings.TrimSpace(lastLine(string(good))), ":")
			if !ok {
				t.Fatalf("cannot parse the generated keyring")
			}
			short := make([]byte, 16)
			rand.Read(short)
			shortB64 := base64.StdEncoding.EncodeToString(short)

			cases := []struct {
				name    string
				keyring *string // nil: no file
				want    []string
			}{
				{"missing", nil, []string{"holds data", "keyring", "does not exist", b.keyringPath()}},
				{"not base64", ptr(goodID + ":this is not base64!!\n"), []string{"not valid standard base64", goodID}},
				{"wrong length", ptr(goodID + ":" + shortB64 + "\n"), []string{"16 bytes, want 32"}},
				{"empty", ptr("# nothing here\n"), []string{"holds no keys"}},
				{"no colon", ptr(goodB64 + "\n"), []string{"not of the form ID:BASE64"}},
				{"same id other key", ptr(keyringLine(goodID)), []string{"does not match", goodID}},
				{"other id", ptr(keyringLine("k-other")), []string{"does not match", "lacks", goodID}},
			}
			for _, c := range cases {
				t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
					b.swapKeyring(t, c.keyring, good)
					before := b.snapshot(t)
					var stderr string
					if d == "postgres" {
						stderr = refusedStart(t, b.env()) // by environment
					} else {
						stderr = refusedStart(t, nil, b.flags()...)
					}
					for _, w := range c.want {
						if !strings.Contains(stderr, w) {
							t.Errorf("refusal does not say %q:\n%s", w, redact(stderr))
						}
					}
					for _, leak := range []string{goodB64, shortB64, "this is not base64"} {
						if strings.Contains(stderr, leak) {
							t.Errorf("the refusal shows key material")
						}
					}
					if d := before.diff(b.snapshot(t)); d != "" {
						t.Errorf("a refused start changed the data:\n%s", d)
					}
					if c.keyring == nil {
						if _, err := os.Stat(b.keyringPath()); err == nil {
							t.Errorf("serve generated a keyring for a database that holds data")
						}
					}
					// The other commands that need the keyring refuse the same way.
					for _, cmd := range [][]string{{"keys", "status"}, {"keys", "rotate"}} {
						before := b.snapshot(t)
						r := run(t, nil, append(cmd, b.flags()...)...)
						if r.code == 0 {
							t.Errorf("%s with a bad keyring exited 0", strings.Join(cmd, " "))
						}
						if d := before.diff(b.snapshot(t)); d != "" {
							t.Errorf("a refused %s changed the data:\n%s", strings.Join(cmd, " "), d)
						}
					}
				})
			}

			// With the right keyring back, everything is as it was.
			p := startServe(t, nil, b.flags()...)
			if got := p.secretOf(owner, "default", id); got != secret {
				t.Errorf("token differs after the refused starts")
			}
			p.stop()
			after, _ := os.ReadFile(b.keyringPath())
			if !bytes.Equal(after, good) {
				t.Errorf("the keyring file changed")
			}
		})
	}
}

// A bootstrapped database with no secret stored yet (so no data key) still holds data: a
// missing or different keyring is refused there too. Until the database has a data key, the
// only trace of the keyring is the check value recorded at first start.
func TestServeRefusesWrongKeyringBeforeAnySecret(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key
			p.do("GET", "/v1/workspaces/default/connections", owner, nil).expect(t, http.StatusOK, "list")
			p.stop()
			good, err := os.ReadFile(b.keyringPath())
			if err != nil {
				t.Fatal(err)
			}

			t.Run("missing", func(t *testing.T) {
				os.Remove(b.keyringPath())
				t.Cleanup(func() { os.WriteFile(b.keyringPath(), good, 0o600) })
				before := b.snapshot(t)
				stderr := refusedStart(t, nil, b.flags()...)
				if !strings.Contains(stderr, "does not exist") {
					t.Errorf("unclear refusal:\n%s", redact(stderr))
				}
				if d := before.diff(b.snapshot(t)); d != "" {
					t.Errorf("a refused start changed the data:\n%s", d)
				}
			})
			t.Run("other_key", func(t *testing.T) {
				os.WriteFile(b.keyringPath(), []byte(keyringLine("k-other")), 0o600)
				t.Cleanup(func() { os.WriteFile(b.keyringPath(), good, 0o600) })
				before := b.snapshot(t)
				stderr := refusedStart(t, nil, b.flags()...)
				if !strings.Contains(stderr, "does not match") {
					t.Errorf("unclear refusal:\n%s", redact(stderr))
				}
				if d := before.diff(b.snapshot(t)); d != "" {
					t.Errorf("a refused start changed the data:\n%s", d)
				}
			})
		})
	}
}

func ptr[T any](v T) *T { return &v }
