package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// apikey create talks to the database serve uses (by flags or by environment) and prints a
// key, as its last stdout line, that the running server accepts with the key's role.
func TestAPIKeyCreate(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			b := newBackend(t, d)
			p := startServe(t, nil, b.flags()...)
			owner := parseBootstrap(t, p.stderr.String()).key

			// viewer, selected by flags, while serve runs.
			r := mustRun(t, nil, append([]string{"apikey", "create", "--workspace", "default", "--role", "viewer", "--name", "ci viewer"}, b.flags()...)...)
			viewer := lastLine(r.stdout)
			if !keyPattern.MatchString(viewer) || keyPattern.FindString(viewer) != viewer {
				t.Fatalf("last stdout line is not a key: %q", redact(viewer))
			}
			if strings.Contains(r.stderr, viewer) {
				t.Errorf("the key also went to stderr")
			}
			if !regexp.MustCompile(`(?m)^role: viewer$`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^workspace: default$`).MatchString(r.stdout) {
				t.Errorf("apikey create output lacks role/workspace:\n%s", redact(r.stdout))
			}
			p.do("GET", "/v1/workspaces/default/connections", viewer, nil).expect(t, http.StatusOK, "viewer lists")
			p.do("POST", "/v1/workspaces/default/connections", viewer, map[string]any{
				"connector_id": "http-bearer", "connection_name": "nope",
				"config": map[string]any{"base_url": "https://api.example.com", "token": "x-0123456789"},
			}).expect(t, http.StatusForbidden, "viewer creates")

			// editor with credentials:read, selected by environment.
			r = mustRun(t, b.env(), "apikey", "create", "--workspace", "default", "--role", "editor", "--scope", "credentials:read", "--name", "ci editor")
			editor := lastLine(r.stdout)
			if !keyPattern.MatchString(editor) {
				t.Fatalf("last stdout line is not a key: %q", redact(editor))
			}
			if !regexp.MustCompile(`(?m)^scopes: credentials:read$`).MatchString(r.stdout) {
				t.Errorf("apikey create output lacks the scope:\n%s", redact(r.stdout))
			}
			secret := randomSecret(t)
			id := p.createConnection(editor, "default", "by-editor", secret)
			if got := p.secretOf(editor, "default", id); got != secret {
				t.Errorf("editor with credentials:read: token differs")
			}
			p.do("GET", "/v1/workspaces/default/connections/"+id+"/credentials", viewer, nil).
				expect(t, http.StatusForbidden, "viewer without credentials:read reads credentials")

			// admin without the scope: no credentials.
			r = mustRun(t, nil, append([]string{"apikey", "create", "--workspace", "default", "--role", "admin"}, b.flags()...)...)
			admin := lastLine(r.stdout)
			p.do("GET", "/v1/workspaces/default/connections/"+id, admin, nil).expect(t, http.StatusOK, "admin gets")
			p.do("GET", "/v1/workspaces/default/connections/"+id+"/credentials", admin, nil).
				expect(t, http.StatusForbidden, "admin without credentials:read reads credentials")
			p.do("GET", "/v1/workspaces/default/connections", owner, nil).expect(t, http.StatusOK, "owner lists")

			// Unknown workspace: a clear error, no key.
			r = run(t, nil, append([]string{"apikey", "create", "--workspace", "nope", "--role", "viewer"}, b.flags()...)...)
			if r.code == 0 {
				t.Fatalf("apikey create for an unknown workspace exited 0:\n%s", redact(r.stdout))
			}
			if keyPattern.MatchString(r.stdout + r.stderr) {
				t.Errorf("apikey create for an unknown workspace printed a key")
			}
			if !strings.Contains(r.stderr, `"nope"`) || !strings.Contains(strings.ToLower(r.stderr), "not") {
				t.Errorf("unclear error for an unknown workspace: %q", r.stderr)
			}

			// Bad role: non-zero, no key.
			r = run(t, nil, append([]string{"apikey", "create", "--workspace", "default", "--role", "root"}, b.flags()...)...)
			if r.code == 0 || keyPattern.MatchString(r.stdout) {
				t.Errorf("apikey create --role root: exit %d, stdout %q", r.code, redact(r.stdout))
			}
			// Unknown scope: non-zero, no key.
			r = run(t, nil, append([]string{"apikey", "create", "--workspace", "default", "--role", "viewer", "--scope", "admin:all"}, b.flags()...)...)
			if r.code == 0 || keyPattern.MatchString(r.stdout) {
				t.Errorf("apikey create --scope admin:all: exit %d, stdout %q", r.code, redact(r.stdout))
			}
			p.stop()
		})
	}
}

// apikey create on a database serve never bootstrapped: no workspace "default" yet.
func TestAPIKeyCreateEmptyDatabase(t *testing.T) {
	b := newBackend(t, "sqlite")
	r := run(t, nil, append([]string{"apikey", "create", "--workspace", "default", "--role", "owner"}, b.flags()...)...)
	if r.code == 0 || keyPattern.MatchString(r.stdout) {
		t.Fatalf("apikey create on an empty database: exit %d, stdout %q", r.code, redact(r.stdout))
	}
	if !strings.Contains(r.stderr, `"default"`) {
		t.Errorf("unclear error: %q", r.stderr)
	}
}
