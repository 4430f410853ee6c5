package main

// These tests keep the deployment files (Dockerfile, deploy/) true to the binary: no Docker
// engine or systemd runs in CI, so what can be checked without them is checked here.

import (
	"bufio"
	"context"
	"database/sql"
	"debug/elf"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const repoRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
	line int
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") { // a comment inside a continued instruction
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// execForm decodes a JSON-array (exec form) argument of ENTRYPOINT, CMD or VOLUME.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(in.args), &v); err != nil {
		t.Fatalf("Dockerfile line %d: %s is not in exec (JSON array) form: %s", in.line, in.cmd, in.args)
	}
	return v
}

// shellWords splits a command line as a POSIX shell would for the plain cases a Dockerfile
// RUN holds: words, single and double quotes.
func shellWords(s string) []string {
	var out []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, w.String())
	}
	return out
}

// The Dockerfile builds a static binary without cgo, runs it as a non-root user on a
// distroless (or scratch) base, and its command is a serve command line the binary takes,
// listening on all interfaces on the exposed port, with the data dir a volume.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	var stages [][]instruction
	stageNames := map[string]int{}
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
			if f := strings.Fields(in.args); len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stageNames[f[2]] = len(stages) - 1
			}
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile line %d: %s before the first FROM", in.line, in.cmd)
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build (build, then a minimal runtime), got %d stage(s)", len(stages))
	}
	final := stages[len(stages)-1]
	base := strings.Fields(final[0].args)[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final stage FROM %s: want gcr.io/distroless/static-* or scratch (no shell, no libc)", base)
	}

	last := map[string]instruction{} // the final stage's last instruction of each kind
	env := map[string]string{}
	var copies []instruction
	for _, in := range final {
		last[in.cmd] = in
		switch in.cmd {
		case "ENV":
			k, v, _ := strings.Cut(in.args, "=")
			env[k] = v
		case "COPY":
			copies = append(copies, in)
		}
	}
	user, ok := last["USER"]
	if !ok {
		t.Fatal("the final stage sets no USER: the container would run as root")
	}
	if u, _, _ := strings.Cut(user.args, ":"); u == "root" || u == "0" || u == "" {
		t.Errorf("USER %s: want a non-root user", user.args)
	} else if base == "scratch" && !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(u) {
		t.Errorf("USER %s on scratch: scratch has no /etc/passwd, use a numeric uid", user.args)
	}

	// The binary: built with CGO_ENABLED=0 in a build stage and copied to the entrypoint.
	entry, ok := last["ENTRYPOINT"]
	if !ok {
		t.Fatal("no ENTRYPOINT")
	}
	entrypoint := execForm(t, entry)
	if len(entrypoint) != 1 {
		t.Fatalf("ENTRYPOINT %v: want just the binary, the command line in CMD", entrypoint)
	}
	var buildRun string
	for _, c := range copies {
		f := strings.Fields(c.args)
		if len(f) < 3 || f[len(f)-1] != entrypoint[0] {
			continue
		}
		from := ""
		for _, o := range f {
			if v, ok := strings.CutPrefix(o, "--from="); ok {
				from = v
			}
		}
		stage, ok := stageNames[from]
		if !ok {
			t.Fatalf("Dockerfile line %d: the binary comes from %q, not a build stage", c.line, from)
		}
		src := f[len(f)-2]
		for _, in := range stages[stage] {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") && strings.Contains(in.args, "-o "+src) {
				buildRun = in.args
			}
		}
	}
	if buildRun == "" {
		t.Fatalf("no RUN ... go build -o <file> in a build stage whose output is copied to %s", entrypoint[0])
	}
	if !strings.Contains(buildRun, "CGO_ENABLED=0") {
		t.Errorf("the go build runs without CGO_ENABLED=0: the binary would need libc, which %s lacks", base)
	}
	checkStaticBuild(t, buildRun)

	// The command line: serve with flags the binary takes.
	cmdIns, ok := last["CMD"]
	if !ok {
		t.Fatal("no CMD")
	}
	args := execForm(t, cmdIns)
	root := newRoot(&options{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)})
	sub, rest, err := root.Find(args)
	if err != nil || sub.Name() != "serve" {
		t.Fatalf("CMD %v: want the serve command (found %v, %v)", args, sub.Name(), err)
	}
	if err := sub.ParseFlags(rest); err != nil {
		t.Fatalf("CMD %v: the binary refuses its flags: %v", args, err)
	}
	addr := sub.Flags().Lookup("addr").Value.String()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("CMD --addr %q: %v", addr, err)
	}
	if host != "0.0.0.0" && host != "" && host != "::" {
		t.Errorf("CMD listens on %q: nothing outside the container could reach it; want 0.0.0.0", host)
	}
	if expose, ok := last["EXPOSE"]; !ok || strings.TrimSuffix(expose.args, "/tcp") != port {
		t.Errorf("EXPOSE %q, want the port serve listens on, %s", expose.args, port)
	}

	// The data dir is a volume, and every variable set is one the binary reads.
	dataDir := env["SWITCHBOARD_DATA_DIR"]
	if vol, ok := last["VOLUME"]; !ok || dataDir == "" || !slices.Contains(execForm(t, vol), dataDir) {
		t.Errorf("want ENV SWITCHBOARD_DATA_DIR=<dir> and that dir a VOLUME (data dir %q)", dataDir)
	}
	known := referenceVariables(t)
	for k := range env {
		if strings.HasPrefix(k, "SWITCHBOARD_") && !known[k] {
			t.Errorf("ENV %s: the binary reads no such variable", k)
		}
	}
	if _, ok := last["HEALTHCHECK"]; ok && base != "scratch" && strings.HasPrefix(base, "gcr.io/distroless") {
		if h := last["HEALTHCHECK"].args; strings.Contains(h, "curl") || strings.Contains(h, "wget") || strings.Contains(h, "CMD-SHELL") {
			t.Errorf("HEALTHCHECK %s: distroless has no shell, curl or wget", h)
		}
	}
}

// referenceVariables returns the variables the configuration reference lists.
func referenceVariables(t *testing.T) map[string]bool {
	t.Helper()
	_, table, ok := strings.Cut(configReference(), "## Environment variables")
	if !ok {
		t.Fatal("the configuration reference has no variables table")
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(SWITCHBOARD_[A-Z0-9_]+)` \\|").FindAllStringSubmatch(table, -1) {
		out[m[1]] = true
	}
	return out
}

// checkStaticBuild runs the Dockerfile's go build (its variables, flags and package, into a
// temporary file) and checks the result is a static executable: no ELF interpreter and no
// shared library needed, so it runs on distroless/static or scratch.
func checkStaticBuild(t *testing.T, run string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Log("static build not checked: not on linux")
		return
	}
	if testing.Short() {
		t.Log("static build not checked in -short mode")
		return
	}
	words := shellWords(run[strings.Index(run, "CGO_ENABLED="):])
	var env, args []string
	for i, w := range words {
		if w == "go" {
			args = words[i+1:]
			break
		}
		if !strings.Contains(w, "=") {
			t.Fatalf("cannot read the go build command: %q", run)
		}
		env = append(env, w)
	}
	out := filepath.Join(t.TempDir(), "switchboard-static")
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			args[i+1] = out
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build (%s go %s) failed: %v\n%s", strings.Join(env, " "), strings.Join(args, " "), err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary names an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	// And it runs.
	if b, err := exec.Command(out, "config", "reference").Output(); err != nil || !strings.Contains(string(b), "# Configuration reference") {
		t.Errorf("the static binary does not run: %v", err)
	}
}

// The .dockerignore keeps data dirs, keyrings and databases out of the build context, and
// keeps every file the build needs in.
func TestDockerignore(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	ignored := func(path string) bool {
		out := false
		for _, p := range patterns {
			neg := strings.HasPrefix(p, "!")
			p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
			if dockerMatch(p, path) {
				out = !neg
			}
		}
		return out
	}
	for _, p := range []string{".git/config", "switchboard-data/keyring", "switchboard-data/switchboard.db", "cmd/switchboard/switchboard-data/switchboard.db-wal", "keyring", "deploy/compose/keyring", "switchboard"} {
		if !ignored(p) {
			t.Errorf("%s goes into the build context", p)
		}
	}
	// Everything the module's build embeds or compiles stays.
	for _, p := range []string{"go.mod", "go.sum", "cmd/switchboard/main.go", "internal/seal/keyring.go", "internal/sqlite/migrations/00001_init.sql", "internal/catalog/connectors/slash.json", "internal/i18n/locales/en.json"} {
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
			t.Errorf("%v: the list of files the build needs is out of date", err)
		}
		if ignored(p) {
			t.Errorf("%s is left out of the build context", p)
		}
	}
}

// dockerMatch matches a .dockerignore pattern (filepath.Match per segment, "**" any number of
// segments) against a slash path or any of its parent directories.
func dockerMatch(pattern, path string) bool {
	pp, sp := strings.Split(pattern, "/"), strings.Split(path, "/")
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(pp) {
			return true // a matched directory excludes what is under it
		}
		if pp[i] == "**" {
			for k := j; k <= len(sp); k++ {
				if match(i+1, k) {
					return true
				}
			}
			return false
		}
		if j == len(sp) {
			return false
		}
		ok, _ := filepath.Match(pp[i], sp[j])
		return ok && match(i+1, j+1)
	}
	return match(0, 0)
}

// unitFile is a systemd unit: section -> key -> values in order (a key may repeat).
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := unitFile{}
	section := ""
	for n, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = l[1 : len(l)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Fatalf("%s line %d: not KEY=VALUE in a section: %q", path, n+1, l)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u
}

// one returns the last value of a key ("" when unset) and whether it is set.
func (u unitFile) one(section, key string) (string, bool) {
	v := u[section][key]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// The systemd unit runs serve as an unprivileged user with the hardening a secret store
// deserves, restarts it on failure, stops it with SIGTERM and more time than serve's grace,
// and every flag and variable it uses exists. Where systemd-analyze is installed, the unit
// also passes its verify and scores as well hardened in its security review.
func TestSystemdUnit(t *testing.T) {
	path := filepath.Join(repoRoot, "deploy/systemd/switchboard.service")
	u := parseUnit(t, path)
	want := map[string]string{
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes",
		"CapabilityBoundingSet": "", "Restart": "on-failure", "EnvironmentFile": "/etc/switchboard/env",
	}
	for k, v := range want {
		if got, ok := u.one("Service", k); !ok || got != v {
			t.Errorf("[Service] %s=%q, want %q", k, got, v)
		}
	}
	if fams, _ := u.one("Service", "RestrictAddressFamilies"); fams == "" || strings.Contains(fams, "AF_PACKET") {
		t.Errorf("RestrictAddressFamilies=%q: want the internet and unix families only", fams)
	}
	user, _ := u.one("Service", "User")
	dynamic, _ := u.one("Service", "DynamicUser")
	if (user == "" || user == "root" || user == "0") && dynamic != "yes" {
		t.Errorf("the service runs as root: set User= or DynamicUser=yes")
	}
	if user != "" {
		sysusers, err := os.ReadFile(filepath.Join(repoRoot, "deploy/systemd/switchboard.sysusers"))
		if err != nil || !regexp.MustCompile(`(?m)^u\s+`+regexp.QuoteMeta(user)+`\s`).Match(sysusers) {
			t.Errorf("User=%s is not created by deploy/systemd/switchboard.sysusers (%v)", user, err)
		}
	}
	state, ok := u.one("Service", "StateDirectory")
	if !ok {
		t.Fatal("no StateDirectory=: with ProtectSystem=strict serve could write nowhere")
	}
	if sig, ok := u.one("Service", "KillSignal"); ok && sig != "SIGTERM" {
		t.Errorf("KillSignal=%s: serve shuts down gracefully on SIGTERM", sig)
	}

	// The command line is serve with flags the binary takes; its stop timeout exceeds the grace.
	execStart, _ := u.one("Service", "ExecStart")
	words := strings.Fields(execStart)
	if len(words) < 2 || filepath.Base(words[0]) != "switchboard" {
		t.Fatalf("ExecStart=%q: want .../switchboard serve ...", execStart)
	}
	root := newRoot(&options{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)})
	sub, rest, err := root.Find(words[1:])
	if err != nil || sub.Name() != "serve" {
		t.Fatalf("ExecStart=%q: want the serve command (%v)", execStart, err)
	}
	if err := sub.ParseFlags(rest); err != nil {
		t.Fatalf("ExecStart=%q: the binary refuses its flags: %v", execStart, err)
	}
	grace, err := sub.Flags().GetDuration("shutdown-grace")
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := u.one("Service", "TimeoutStopSec")
	if d, err := time.ParseDuration(stop); err != nil || d <= grace {
		t.Errorf("TimeoutStopSec=%q: want a duration longer than serve's --shutdown-grace %v, or systemd kills requests in flight", stop, grace)
	}

	// Variables: the unit's and the example environment file's all exist; the data dir is
	// the state directory.
	known := referenceVariables(t)
	env := map[string]string{}
	for _, e := range u["Service"]["Environment"] {
		for _, kv := range shellWords(e) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	if env["SWITCHBOARD_DATA_DIR"] != "/var/lib/"+state {
		t.Errorf("SWITCHBOARD_DATA_DIR=%q, want the state directory /var/lib/%s", env["SWITCHBOARD_DATA_DIR"], state)
	}
	example := filepath.Join(repoRoot, "deploy/systemd/switchboard.env")
	vars, err := readEnvFile(example)
	if err != nil {
		t.Fatalf("the example environment file does not parse: %v", err)
	}
	raw, _ := os.ReadFile(example)
	names := envMention.FindAllString(string(raw), -1) // the commented-out ones too
	for _, kv := range vars {
		names = append(names, kv[0])
	}
	for k := range env {
		names = append(names, k)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "SWITCHBOARD_") && !known[n] {
			t.Errorf("%s (in the unit or its example environment file): the binary reads no such variable", n)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit's syntax and hardening score are not checked")
		return
	}
	// verify wants ExecStart to be there: point it at the binary under test.
	unit, _ := os.ReadFile(path)
	copyPath := filepath.Join(t.TempDir(), "switchboard.service")
	os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(unit), words[0], binPath)), 0o644)
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", copyPath).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Logf("systemd-analyze security --offline: no score (%v)", err)
		return
	}
	t.Logf("systemd-analyze security: exposure %s (0 best, 10 worst)", m[1])
	if score, err := strconv.ParseFloat(string(m[1]), 64); err != nil || score > 2.0 {
		t.Errorf("exposure level %s: want 2.0 or less (a hardening directive was lost?)", m[1])
	}
}

// The SQLite backup of docs/deploy.md: VACUUM INTO while serve runs gives a consistent copy
// that serve starts on (with the same keyring) with every secret readable. The sqlite3 shell
// is used when installed, as the documentation does; else the same statement through the
// driver.
func TestSQLiteOnlineBackup(t *testing.T) {
	b := newBackend(t, "sqlite")
	p := startServe(t, nil, b.flags()...)
	owner := parseBootstrap(t, p.stderr.String()).key
	secret := randomSecret(t)
	id := p.createConnection(owner, "default", "backed-up", secret)

	backup := filepath.Join(t.TempDir(), "switchboard-backup.db")
	db := filepath.Join(b.dataDir, "switchboard.db")
	stmt := "VACUUM INTO '" + backup + "'"
	if sqlite3, err := exec.LookPath("sqlite3"); err == nil {
		if out, err := exec.Command(sqlite3, db, stmt).CombinedOutput(); err != nil {
			t.Fatalf("sqlite3 %s: %v\n%s", stmt, err, out)
		}
	} else {
		conn, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		conn.Close()
	}
	later := p.createConnection(owner, "default", "after-the-backup", randomSecret(t))
	p.stop()

	// Restore: a data dir with the copy as its database and the same keyring.
	restored := filepath.Join(t.TempDir(), "restored")
	os.MkdirAll(restored, 0o700)
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(restored, "switchboard.db"), raw, 0o600)
	ring, _ := os.ReadFile(b.keyringPath())
	os.WriteFile(filepath.Join(restored, "keyring"), ring, 0o600)
	if r := run(t, nil, "config", "check", "--data-dir", restored, "--addr", "127.0.0.1:0"); r.code != 0 || !checkLine(r.stdout, "ok", "keyring", "matches the database") {
		t.Errorf("config check of the restored copy: exit %d\n%s", r.code, r.stdout)
	}
	p = startServe(t, nil, "--data-dir", restored)
	if got := p.secretOf(owner, "default", id); got != secret {
		t.Errorf("the restored copy gives another secret")
	}
	p.do("GET", "/v1/workspaces/default/connections/"+later, owner, nil).expect(t, http.StatusNotFound, "a connection made after the backup")
	p.stop()
}
