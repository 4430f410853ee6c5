package server_test

// Secrets at rest, through the real store and the HTTP API: a sealed value changed in the
// database row (every byte position), or moved to another row, workspace or field, is refused
// for that row only; a list with one corrupt row answers 200 on every API family.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for raw row edits
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver, for raw row edits

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// soak reports whether the long forms of the trust tests run (SWITCHBOARD_SOAK=1).
func soak() bool { return os.Getenv("SWITCHBOARD_SOAK") == "1" }

// rawDB is a connection to an Env's database that bypasses its store, as an attacker (or a
// disk error) with access to the database would.
type rawDB struct {
	db *sql.DB
	pg bool
}

func openRaw(t testing.TB, e *testenv.Env) *rawDB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if e.Driver == "postgres" {
		db, err = sql.Open("pgx", e.DSN())
	} else {
		db, err = sql.Open("sqlite", "file:"+e.DBPath+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return &rawDB{db: db, pg: e.Driver == "postgres"}
}

// rebind turns ? placeholders into PostgreSQL's $n.
func (r *rawDB) rebind(q string) string {
	if !r.pg {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *rawDB) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	res, err := r.db.ExecContext(t.Context(), r.rebind(q), args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows changed, want 1", q, n)
	}
}

func (r *rawDB) blob(t testing.TB, q string, args ...any) []byte {
	t.Helper()
	var b []byte
	if err := r.db.QueryRowContext(t.Context(), r.rebind(q), args...).Scan(&b); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return b
}

// sealedOf returns the sealed column of a connection row.
func (r *rawDB) sealedOf(t testing.TB, id string) []byte {
	t.Helper()
	return r.blob(t, `SELECT sealed FROM connections WHERE id = ?`, id)
}

func (r *rawDB) setSealed(t testing.TB, id string, b []byte) {
	t.Helper()
	r.exec(t, `UPDATE connections SET sealed = ? WHERE id = ?`, b, id)
}

const wsPath = "/v1/workspaces/default"

// createBearer creates an http-bearer connection in workspace ws and returns its id.
func createBearer(t testing.TB, e *testenv.Env, ws, name, token string) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/workspaces/"+ws+"/connections", e.OwnerKey, map[string]any{
		"connector_id": "http-bearer", "connection_name": name,
		"config": map[string]any{"base_url": "https://api.example.com", "token": token},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// wantToken checks that a connection's credentials read answers its token.
func wantToken(t testing.TB, e *testenv.Env, ws, id, token string) {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/"+ws+"/connections/"+id+"/credentials", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Errorf("credentials of %s: %d %s", id, r.Status, r.Body)
		return
	}
	var body struct {
		Config map[string]any `json:"config"`
	}
	r.JSON(t, &body)
	if body.Config["token"] != token {
		t.Errorf("credentials of %s: token differs", id)
	}
}

// wantRefused checks that a connection reads as flagged unreadable and its credentials read
// answers 500 / 5000 with no trace of what was stored.
func wantRefused(t testing.TB, e *testenv.Env, ws, id string, secrets ...string) {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/"+ws+"/connections/"+id, e.OwnerKey, nil)
	if r.Status != http.StatusOK || r.Map(t)["unreadable"] != true {
		t.Errorf("GET %s: %d %s, want 200 flagged unreadable", id, r.Status, r.Body)
	}
	r = e.Do(t, "GET", "/v1/workspaces/"+ws+"/connections/"+id+"/credentials", e.OwnerKey, nil)
	if r.Status != http.StatusInternalServerError || r.Map(t)["code"] != "5000" {
		t.Errorf("credentials of %s: %d %s, want 500 / 5000", id, r.Status, r.Body)
	}
	for _, s := range secrets {
		if bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("the refusal for %s carries a secret", id)
		}
	}
}

// listAll returns the native list of a workspace's connections by id (one page of 1000).
func listAll(t testing.TB, e *testenv.Env, ws string) map[string]map[string]any {
	t.Helper()
	r := e.Do(t, "GET", "/v1/workspaces/"+ws+"/connections?page_size=1000", e.OwnerKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var body struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(t, &body)
	out := map[string]map[string]any{}
	for _, it := range body.Items {
		out[it["id"].(string)] = it
	}
	return out
}

// wantNoPanic fails when the server logged a recovered panic.
func wantNoPanic(t testing.TB, e *testenv.Env) {
	t.Helper()
	if l := e.Logs(); strings.Contains(strings.ToLower(l), "panic") {
		t.Errorf("the server logged a panic")
	}
}

// Every byte position of a stored secret, changed in its database row, is detected when the
// row is read through the API: that row reads as unreadable (200 flagged; its credentials
// 500 / 5000), every other row still reads, nothing panics. One row per position, so that no
// row is read (and cached) before it is changed; with SWITCHBOARD_SOAK=1 three masks per
// position.
func TestAtRestByteFlipSweep(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			raw := openRaw(t, e)
			token := func(i int) string { return fmt.Sprintf("flip-token-%05d-abcdefghijklmnop", i) }
			control := createBearer(t, e, "default", "control", token(0))
			size := len(raw.sealedOf(t, control))
			masks := []byte{0x01}
			if soak() {
				masks = []byte{0x01, 0x80, 0xFF}
			}
			type flipped struct {
				id   string
				pos  int
				mask byte
			}
			var rows []flipped
			for _, m := range masks {
				for pos := range size {
					i := len(rows) + 1
					id := createBearer(t, e, "default", fmt.Sprintf("flip-%d", i), token(i))
					b := raw.sealedOf(t, id)
					if len(b) != size {
						t.Fatalf("sealed sizes differ: %d, %d", len(b), size)
					}
					b[pos] ^= m
					raw.setSealed(t, id, b)
					rows = append(rows, flipped{id, pos, m})
				}
			}

			list := listAll(t, e, "default")
			detected := 0
			for i, f := range rows {
				if list[f.id]["unreadable"] != true {
					t.Errorf("byte %d ^ %#x: the list does not flag the row unreadable", f.pos, f.mask)
				}
				r := e.Do(t, "GET", wsPath+"/connections/"+f.id+"/credentials", e.OwnerKey, nil)
				if r.Status == http.StatusInternalServerError && r.Map(t)["code"] == "5000" {
					detected++
				} else {
					t.Errorf("byte %d ^ %#x: credentials answered %d %s, want 500 / 5000", f.pos, f.mask, r.Status, r.Body)
				}
				if bytes.Contains(r.Body, []byte(token(i+1))) {
					t.Errorf("byte %d: the refusal carries the secret", f.pos)
				}
			}
			if list[control]["unreadable"] == true {
				t.Error("the untouched row is flagged unreadable")
			}
			wantToken(t, e, "default", control, token(0))
			wantNoPanic(t, e)
			t.Logf("FIGURE tamper_positions_swept=%d", len(rows))
			t.Logf("FIGURE tamper_detected=%d/%d", detected, len(rows))
			t.Logf("FIGURE tamper_other_rows_unreadable=%d", countUnreadable(list)-len(rows))
		})
	}
}

func countUnreadable(list map[string]map[string]any) int {
	n := 0
	for _, it := range list {
		if it["unreadable"] == true {
			n++
		}
	}
	return n
}

// Extends TestCiphertextMovedToAnotherRowDoesNotDecrypt (a row's sealed value copied into
// another row of the same workspace): a sealed value written into a row of ANOTHER workspace,
// and values sealed by the real envelope for the right row but the wrong field, object or
// workspace, are refused; the same write with the right binding is accepted, so the refusals
// are the binding's doing.
func TestAtRestCiphertextBinding(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Workspace(t, "other")
			raw := openRaw(t, e)
			ctx := t.Context()

			a := createBearer(t, e, "default", "a", "token-of-a-0123456789")
			x := createBearer(t, e, "other", "x", "token-of-x-0123456789")

			// Another workspace: other/x's stored value, byte for byte, into default/a.
			raw.setSealed(t, a, raw.sealedOf(t, x))
			wantRefused(t, e, "default", a, "token-of-x-0123456789")
			wantToken(t, e, "other", x, "token-of-x-0123456789")

			// Values sealed by the envelope with one part of the binding wrong, each written
			// into a row never read before (so no cache can hide the write).
			plain, _ := json.Marshal(map[string]string{"token": "forged-token-0123456789"})
			self := "" // the target row's own id
			swaps := []struct{ name, ws, obj, field string }{
				{"field data (a credential's)", "default", self, "data"},
				{"field oauth_token", "default", self, "oauth_token"},
				{"field webhook secret", "default", self, "webhook_secret"},
				{"field access key secret", "default", self, "access_key_secret"},
				{"another object", "default", x, "secrets"},
				{"another workspace", "other", self, "secrets"},
			}
			accepted := 0
			for i, s := range swaps {
				id := createBearer(t, e, "default", fmt.Sprintf("swap-%d", i), "token-of-swap-0123456789")
				obj := s.obj
				if obj == self {
					obj = id
				}
				ct, err := e.Envelope.Seal(ctx, s.ws, obj, s.field, plain)
				if err != nil {
					t.Fatal(err)
				}
				raw.setSealed(t, id, ct)
				r := e.Do(t, "GET", wsPath+"/connections/"+id+"/credentials", e.OwnerKey, nil)
				if r.Status == http.StatusOK {
					accepted++
					t.Errorf("%s: accepted", s.name)
				}
				wantRefused(t, e, "default", id, "forged-token-0123456789")
			}
			// The control: the right binding, written the same way, is read.
			ctl := createBearer(t, e, "default", "control", "token-of-control-0123456789")
			ct, err := e.Envelope.Seal(ctx, "default", ctl, "secrets", plain)
			if err != nil {
				t.Fatal(err)
			}
			raw.setSealed(t, ctl, ct)
			wantToken(t, e, "default", ctl, "forged-token-0123456789")
			wantNoPanic(t, e)
			t.Logf("FIGURE swaps_accepted=%d/%d", accepted, len(swaps)+1)
		})
	}
}

// The same sweep over a reusable credential's sealed data: every byte position changed in its
// row is refused for that credential only (listed flagged unreadable, GET 500 / 5000 without
// the value), the untouched credential still reads.
func TestAtRestByteFlipSweepCredentials(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			raw := openRaw(t, e)
			create := func(i int) string {
				r := e.Do(t, "POST", wsPath+"/credentials", e.OwnerKey, map[string]any{
					"name": fmt.Sprintf("cred-%05d", i), "type": "api_key",
					"data": map[string]string{"api_key": fmt.Sprintf("cred-secret-%05d-abcdefgh", i)},
				})
				if r.Status != http.StatusCreated {
					t.Fatalf("create credential: %d %s", r.Status, r.Body)
				}
				return r.Map(t)["id"].(string)
			}
			sealed := func(id string) []byte {
				return raw.blob(t, `SELECT sealed FROM credentials WHERE id = ?`, id)
			}
			control := create(0)
			size := len(sealed(control))
			flipped := map[string]int{}
			for pos := range size {
				id := create(pos + 1)
				b := sealed(id)
				b[pos] ^= 0x01
				raw.exec(t, `UPDATE credentials SET sealed = ? WHERE id = ?`, b, id)
				flipped[id] = pos
			}
			r := e.Do(t, "GET", wsPath+"/credentials?page_size=1000", e.OwnerKey, nil)
			var body struct {
				Items []struct {
					ID         string `json:"id"`
					Unreadable bool   `json:"unreadable"`
				} `json:"items"`
			}
			r.JSON(t, &body)
			listed := 0
			for _, it := range body.Items {
				_, bad := flipped[it.ID]
				if it.Unreadable != bad {
					t.Errorf("credential %s listed unreadable=%v, flipped=%v", it.ID, it.Unreadable, bad)
				}
				if bad && it.Unreadable {
					listed++
				}
			}
			detected := 0
			for id, pos := range flipped {
				r := e.Do(t, "GET", wsPath+"/credentials/"+id, e.OwnerKey, nil)
				if r.Status == http.StatusInternalServerError && r.Map(t)["code"] == "5000" && !bytes.Contains(r.Body, []byte("cred-secret-")) {
					detected++
				} else {
					t.Errorf("byte %d: GET credential answered %d %s", pos, r.Status, r.Body)
				}
			}
			if r := e.Do(t, "GET", wsPath+"/credentials/"+control, e.OwnerKey, nil); r.Status != http.StatusOK {
				t.Errorf("the untouched credential: %d %s", r.Status, r.Body)
			}
			wantNoPanic(t, e)
			t.Logf("FIGURE tamper_detected[credentials]=%d/%d listed_flagged=%d", detected, len(flipped), listed)
		})
	}
}

// The other link of the chain: every byte of a workspace's wrapped data key, changed in its
// data_keys row, makes that workspace's secrets unreadable (flagged, 500 / 5000) and no other
// workspace's; no panic. A re-wrap then names the broken workspace and re-wraps the others.
func TestAtRestWrappedDataKeyFlipSweep(t *testing.T) {
	for _, d := range testenv.Drivers {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, d)
			e.Workspace(t, "other")
			raw := openRaw(t, e)
			ok := createBearer(t, e, "default", "ok", "token-of-ok-0123456789")
			hit := createBearer(t, e, "other", "hit", "token-of-hit-0123456789")
			wrapped := raw.blob(t, `SELECT wrapped FROM data_keys WHERE workspace_id = ?`, "other")
			// The cached unwrapped data keys are dropped by a re-wrap (here one with nothing to
			// do), so each read below unwraps the stored, changed one.
			dropCache := func() {
				t.Helper()
				if _, err := e.Envelope.Rewrap(t.Context(), nil); err != nil {
					t.Fatal(err)
				}
			}
			detected := 0
			for pos := range wrapped {
				b := bytes.Clone(wrapped)
				b[pos] ^= 0x01
				raw.exec(t, `UPDATE data_keys SET wrapped = ? WHERE workspace_id = ?`, b, "other")
				dropCache()
				r := e.Do(t, "GET", "/v1/workspaces/other/connections/"+hit+"/credentials", e.OwnerKey, nil)
				if r.Status == http.StatusInternalServerError && r.Map(t)["code"] == "5000" {
					detected++
				} else {
					t.Errorf("wrapped key byte %d: credentials answered %d %s", pos, r.Status, r.Body)
				}
				if r := e.Do(t, "GET", "/v1/workspaces/other/connections/"+hit, e.OwnerKey, nil); r.Status != http.StatusOK || r.Map(t)["unreadable"] != true {
					t.Errorf("wrapped key byte %d: GET %d %s, want 200 flagged", pos, r.Status, r.Body)
				}
				wantToken(t, e, "default", ok, "token-of-ok-0123456789")
			}

			// Rotation with one broken data key: the others move, the broken one is named.
			b := bytes.Clone(wrapped)
			b[len(b)-1] ^= 0x01
			raw.exec(t, `UPDATE data_keys SET wrapped = ? WHERE workspace_id = ?`, b, "other")
			if err := e.Keyring().Add("k-after-flip"); err != nil {
				t.Fatal(err)
			}
			n, err := e.Envelope.Rewrap(t.Context(), nil)
			if err == nil || !strings.Contains(err.Error(), "other") || n != 1 {
				t.Errorf("rewrap with a broken data key: %d, %v; want 1 re-wrapped and an error naming workspace other", n, err)
			}
			wantToken(t, e, "default", ok, "token-of-ok-0123456789")
			raw.exec(t, `UPDATE data_keys SET wrapped = ? WHERE workspace_id = ?`, wrapped, "other")
			if _, err := e.Envelope.Rewrap(t.Context(), nil); err != nil {
				t.Errorf("rewrap after the repair: %v", err)
			}
			wantToken(t, e, "other", hit, "token-of-hit-0123456789")
			wantNoPanic(t, e)
			t.Logf("FIGURE wrapped_key_flips_detected=%d/%d", detected, len(wrapped))
		})
	}
}
