package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Extends TestServeRefusesWrongKeyring (missing, not base64, 16 bytes, no keys, no colon,
// same id other key, other id) with the rest of the ways a keyring can be wrong: a key of 31
// or 33 bytes or none, a bad or repeated id, an empty file, binary junk, a directory, and a
// keyring named by SWITCHBOARD_KEYRING that does not exist. Each start of the real binary,
// on a database that holds data, exits non-zero before anything listens, says why without
// key material, and leaves every byte of the database (SQLite files; PostgreSQL rows) as it
// was. Then the right keyring starts and reads the secret.
func TestBootFailsClosedOnEveryBadKeyring(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			owner, id, secret, good := seedSecret(t, b)
			goodLine := lastLine(string(good))
			goodID, goodB64, _ := strings.Cut(goodLine, ":")
			sized := func(n int) string {
				k := make([]byte, n)
				rand.Read(k)
				return base64.StdEncoding.EncodeToString(k)
			}
			k31, k33 := sized(31), sized(33)
			junk := make([]byte, 64)
			rand.Read(junk)
			missing := filepath.Join(t.TempDir(), "nowhere", "keyring")

			type keyring struct {
				content []byte
				dir     bool // the keyring path is a directory
			}
			cases := []struct {
				name string
				ring *keyring
				env  []string // extra environment; the keyring flag is not passed
				want []string
				leak []string // key material that must not be printed
			}{
				{name: "31 bytes", ring: &keyring{content: []byte(goodID + ":" + k31 + "\n")}, want: []string{"31 bytes, want 32"}, leak: []string{k31}},
				{name: "33 bytes", ring: &keyring{content: []byte(goodID + ":" + k33 + "\n")}, want: []string{"33 bytes, want 32"}, leak: []string{k33}},
				{name: "empty key", ring: &keyring{content: []byte(goodID + ":\n")}, want: []string{"0 bytes, want 32"}},
				{name: "bad id", ring: &keyring{content: []byte("bad id!:" + goodB64 + "\n")}, want: []string{"invalid key id"}},
				{name: "repeated id", ring: &keyring{content: []byte(goodLine + "\n" + goodID + ":" + sized(32) + "\n")}, want: []string{"duplicate key id"}},
				{name: "empty file", ring: &keyring{content: nil}, want: []string{"holds no keys"}},
				{name: "binary junk", ring: &keyring{content: junk}, want: []string{"keyring line"}},
				{name: "directory", ring: &keyring{dir: true}, want: []string{"is a directory"}},
				{name: "env names a missing file", env: []string{"SWITCHBOARD_KEYRING=" + missing}, want: []string{"does not exist", missing}},
			}
			refused, changed := 0, 0
			for _, c := range cases {
				t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
					if c.ring != nil {
						if err := os.Remove(b.keyringPath()); err != nil {
							t.Fatal(err)
						}
						if c.ring.dir {
							if err := os.Mkdir(b.keyringPath(), 0o700); err != nil {
								t.Fatal(err)
							}
						} else if err := os.WriteFile(b.keyringPath(), c.ring.content, 0o600); err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() {
							os.RemoveAll(b.keyringPath())
							if err := os.WriteFile(b.keyringPath(), good, 0o600); err != nil {
								t.Fatal(err)
							}
						})
					}
					before := b.snapshot(t)
					stderr := refusedStart(t, c.env, b.flags()...)
					if !t.Failed() {
						refused++
					}
					for _, w := range c.want {
						if !strings.Contains(stderr, w) {
							t.Errorf("refusal does not say %q:\n%s", w, redact(stderr))
						}
					}
					for _, leak := range append(c.leak, goodB64) {
						if strings.Contains(stderr, leak) {
							t.Errorf("the refusal shows key material")
						}
					}
					if strings.Contains(stderr, string(junk[:8])) {
						t.Errorf("the refusal echoes the keyring's bytes")
					}
					if d := before.diff(b.snapshot(t)); d != "" {
						changed++
						t.Errorf("a refused start changed the data:\n%s", d)
					}
				})
			}
			t.Logf("FIGURE bad_keyring_boots_refused=%d/%d", refused, len(cases))
			t.Logf("FIGURE bad_keyring_boots_serving=%d", len(cases)-refused)
			t.Logf("FIGURE db_changed_by_refused_boot=%d", changed)

			p := startServe(t, nil, b.flags()...)
			if got := p.secretOf(owner, "default", id); got != secret {
				t.Errorf("the secret differs after the refused starts")
			}
			p.stop()
		})
	}
}

// No setting turns encryption at rest off. Every flag and environment variable of every
// command (from the generated configuration reference, which finds them in the code) and
// every SWITCHBOARD_* name in the product's source is checked: none names a plaintext,
// no-encryption, no-keyring or skip-verification mode, and the only "insecure" or "dev"
// settings say DEVELOPMENT ONLY and are about something other than sealing.
func TestNoPlaintextMode(t *testing.T) {
	ref := mustRun(t, nil, "config", "reference").stdout
	disables := regexp.MustCompile(`(?i)plain|unencrypt|no-?encrypt|disable-?(seal|encrypt|crypt|keyring|key-check)|no-?seal|no-?keyring|skip-?(key|verify|seal|check)|allow-?(missing|empty)-?key|null-?(seal|cipher)`)
	loud := regexp.MustCompile(`(?i)insecure|unsafe|\bdev\b|dev-|-dev|development`)
	sealing := regexp.MustCompile(`(?i)seal|encrypt|crypt|keyring|key-check`)

	found := 0 // settings that switch sealing off, or loud ones that are not marked as such
	flag := func(format string, a ...any) {
		found++
		t.Errorf(format, a...)
	}
	var settings []string
	sc := bufio.NewScanner(strings.NewReader(ref))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			continue
		}
		name, env, desc := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2]), strings.TrimSpace(cells[4])
		names := name + " " + env
		settings = append(settings, names)
		if disables.MatchString(names) {
			flag("setting %s looks like it disables encryption at rest: %s", names, desc)
		}
		if loud.MatchString(names) {
			if !strings.Contains(desc, "DEVELOPMENT ONLY") {
				flag("setting %s is insecure/dev but its help does not say DEVELOPMENT ONLY: %s", names, desc)
			}
			if sealing.MatchString(names + " " + desc) {
				flag("development setting %s concerns sealing: %s", names, desc)
			}
		}
	}
	if len(settings) < 20 {
		t.Fatalf("found only %d settings in the configuration reference; did its format change?", len(settings))
	}

	// Variables read anywhere in the product, including ones that are no flag's default.
	envName := regexp.MustCompile(`"SWITCHBOARD_[A-Z0-9_]+`)
	var vars []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range envName.FindAll(src, -1) {
			vars = append(vars, string(m[1:]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(vars)
	vars = slices.Compact(vars)
	for _, v := range vars {
		if disables.MatchString(v) {
			flag("the product reads %s, which looks like it disables encryption at rest", v)
		}
		if loud.MatchString(v) && !strings.Contains(ref, v) {
			flag("the product reads %s, an undocumented insecure/dev variable", v)
		}
	}
	t.Logf("FIGURE settings_checked=%d env_vars_in_source=%d", len(settings), len(vars))
	t.Logf("FIGURE plaintext_modes=%d", found)
}

// An upgrade with a malformed keyring: the database's schema is one migration behind the
// binary (as after installing a new version), and serve or keys status is started with a
// keyring that does not parse. It is refused before the database is opened, so the pending
// migration is not applied and the files are unchanged; with the keyring repaired, serve
// migrates and starts.
func TestBootRefusesMalformedKeyringBeforeMigrating(t *testing.T) {
	b := newBackend(t, "sqlite")
	owner, id, secret, good := seedSecret(t, b)
	b.undoLastMigration(t)
	if b.pending(t) != 1 {
		t.Fatalf("the database is not one migration behind")
	}
	goodID, _, _ := strings.Cut(lastLine(string(good)), ":")
	if err := os.WriteFile(b.keyringPath(), []byte(goodID+":not base64!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := b.snapshot(t)
	stderr := refusedStart(t, nil, b.flags()...)
	if !strings.Contains(stderr, "not valid standard base64") {
		t.Errorf("unclear refusal:\n%s", redact(stderr))
	}
	r := run(t, nil, append([]string{"keys", "status"}, b.flags()...)...)
	if r.code == 0 {
		t.Errorf("keys status with a malformed keyring exited 0")
	}
	changed := 0
	if d := before.diff(b.snapshot(t)); d != "" {
		changed++
		t.Errorf("a refused start migrated or otherwise changed the database:\n%s", d)
	}
	t.Logf("FIGURE db_changed_by_refused_boot_pending_migration=%d", changed)

	if err := os.WriteFile(b.keyringPath(), good, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, nil, b.flags()...)
	if got := p.secretOf(owner, "default", id); got != secret {
		t.Errorf("the secret differs after the upgrade")
	}
	p.stop()
}
