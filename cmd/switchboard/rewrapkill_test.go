package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var rewrapProgress = regexp.MustCompile(`re-wrapping data keys: (\d+)/(\d+)`)

// statusCounts parses `keys status` output into data keys by key id.
func statusCounts(t *testing.T, out string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, f := range regexp.MustCompile(`key (\S+): (\d+) data keys`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(f[2])
		m[f[1]] = n
	}
	return m
}

// `keys rotate` SIGKILLed in the middle of its re-wrap (a real subprocess, killed once its
// progress shows a third done) leaves every secret readable (serve starts on it), and the next `keys rotate`
// completes: no data key is left on a retired key, the retired keys are then removed from the
// keyring file, and serve starts on it and reads every secret.
func TestKeysRotateKilledHalfwayResumes(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key
			n := 60 // workspaces with a secret, so data keys
			if os.Getenv("SWITCHBOARD_SOAK") == "1" {
				n = 300
			}
			type conn struct{ ws, id, secret string }
			var conns []conn
			for i := range n {
				ws := fmt.Sprintf("ws-%03d", i)
				p.do("POST", "/v1/workspaces", owner, map[string]any{"id": ws, "name": ws}).
					expect(t, http.StatusCreated, "create workspace")
				s := randomSecret(t)
				conns = append(conns, conn{ws, p.createConnection(owner, ws, "c", s), s})
			}
			p.stop()

			// Kill the re-wrap once it is a third done.
			k := start(t, "", nil, append([]string{"keys", "rotate"}, b.flags()...)...)
			killedAt, total := -1, 0
			deadline := time.Now().Add(60 * time.Second)
			for killedAt < 0 && time.Now().Before(deadline) {
				if m := rewrapProgress.FindAllStringSubmatch(k.stderr.String(), -1); len(m) > 0 {
					done, _ := strconv.Atoi(m[len(m)-1][1])
					total, _ = strconv.Atoi(m[len(m)-1][2])
					if done >= total/3 {
						_ = k.cmd.Process.Kill()
						killedAt = done
					}
				}
				if isDone(k.done) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			<-k.done
			if killedAt < 0 || killedAt >= total {
				t.Skipf("the re-wrap finished (%d/%d) before it could be killed halfway", killedAt, total)
			}
			mid := statusCounts(t, mustRun(t, nil, append([]string{"keys", "status"}, b.flags()...)...).stdout)
			ids := keyringIDs(t, b.keyringPath())
			if len(ids) != 2 || mid[ids[0]] == 0 {
				t.Fatalf("after the kill: keyring %v, data keys %v; want some still on the old key", ids, mid)
			}

			// Halfway, serve starts and every secret reads.
			p = startServe(t, nil, b.flags()...)
			midWrong := 0
			for _, c := range conns {
				if got := p.secretOf(owner, c.ws, c.id); got != c.secret {
					midWrong++
				}
			}
			p.stop()
			if midWrong != 0 {
				t.Errorf("%d of %d secrets differ after the killed re-wrap", midWrong, len(conns))
			}

			// Resume: the next rotate re-wraps everything onto its new key.
			time.Sleep(1100 * time.Millisecond) // key ids are per second
			mustRun(t, nil, append([]string{"keys", "rotate"}, b.flags()...)...)
			after := statusCounts(t, mustRun(t, nil, append([]string{"keys", "status"}, b.flags()...)...).stdout)
			ids = keyringIDs(t, b.keyringPath())
			active := ids[len(ids)-1]
			onRetired := 0
			for id, c := range after {
				if id != active {
					onRetired += c
				}
			}
			if onRetired != 0 || after[active] != n {
				t.Errorf("after the resumed rotate: %v (active %s); want all %d on it", after, active, n)
			}

			// Retire: keep only the active key's line.
			data, err := os.ReadFile(b.keyringPath())
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, l := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(l, active+":") {
					kept = append(kept, l)
				}
			}
			clear(data)
			if err := os.WriteFile(b.keyringPath(), []byte(strings.Join(kept, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			p = startServe(t, nil, b.flags()...)
			wrong := 0
			for _, c := range conns {
				if got := p.secretOf(owner, c.ws, c.id); got != c.secret {
					wrong++
				}
			}
			p.stop()
			if wrong != 0 {
				t.Errorf("%d of %d secrets differ after retiring the old keys", wrong, len(conns))
			}
			t.Logf("FIGURE rewrap_killed_at=%d/%d", killedAt, total)
			t.Logf("FIGURE rows_on_retired_key_after_resume=%d", onRetired)
			t.Logf("FIGURE secrets_unreadable_after_retiring=%d/%d", wrong, len(conns))
		})
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
