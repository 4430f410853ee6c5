package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

// TestCatalogsComplete: every console key is in every language, no language has a key English
// lacks, none is blank, and each translation uses exactly English's template fields.
func TestCatalogsComplete(t *testing.T) {
	cat := mustLoadCatalog()
	en := cat.Keys(i18n.English)
	if len(en) < 100 {
		t.Fatalf("English console catalog has %d keys", len(en))
	}
	field := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	fieldsOf := func(s string) []string {
		var out []string
		for _, m := range field.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	raw := map[string]map[string]string{}
	for _, tag := range i18n.Languages() {
		b, err := fs.ReadFile(localeFiles, "locales/"+tag.String()+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		raw[tag.String()] = m
	}
	for _, tag := range i18n.Languages()[1:] {
		got := cat.Keys(tag)
		for _, k := range en {
			if _, ok := slices.BinarySearch(got, k); !ok {
				t.Errorf("%s: missing key %q", tag, k)
			}
		}
		for _, k := range got {
			if _, ok := slices.BinarySearch(en, k); !ok {
				t.Errorf("%s: key %q is not in English", tag, k)
			}
		}
		for k, v := range raw[tag.String()] {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is blank", tag, k)
			}
			if !slices.Equal(fieldsOf(v), fieldsOf(raw["en"][k])) {
				t.Errorf("%s: %s uses fields %v, English %v", tag, k, fieldsOf(v), fieldsOf(raw["en"][k]))
			}
		}
	}
}

// TestUsedKeysExist scans the templates and the Go files for the keys they render, and fails
// for any the English catalog lacks (the localizer would show the key itself). Keys built
// from a value ({{print "status." ...}}) are checked for each value the code can give.
func TestUsedKeysExist(t *testing.T) {
	cat := mustLoadCatalog()
	en := cat.Keys(i18n.English)
	known := func(k string) bool { _, ok := slices.BinarySearch(en, k); return ok }
	used := map[string]bool{}
	tpl := regexp.MustCompile(`\.T "([a-z_.0-9A-Z]+)"`)
	fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFiles, path)
		for _, m := range tpl.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	// A literal key, not the start of a concatenation ("status." + s).
	goKey := regexp.MustCompile(`(?:\.T\(|Key: |toLogin\([^,]+, [^,]+, )"([a-z_.0-9]+)"\s*[,)}]`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		// errorFlash's Key "internal" goes with a Code: internal/i18n's catalog renders it.
		delete(used, "internal")
	}
	for _, s := range allStatuses {
		used["status."+string(s)] = true
	}
	for _, h := range []string{"healthy", "unhealthy", "unknown"} {
		used["health."+h] = true
	}
	for _, r := range []switchboard.Role{switchboard.RoleOwner, switchboard.RoleAdmin, switchboard.RoleEditor, switchboard.RoleViewer} {
		used["role."+string(r)] = true
	}
	for _, k := range []string{"text", "password", "number", "checkbox", "select", "multiselect", "lines", "json", "group"} {
		used["kind."+k] = true
	}
	for _, d := range []string{switchboard.DeliveryPending, switchboard.DeliveryDelivered, switchboard.DeliveryFailed} {
		used["delivery."+d] = true
	}
	for _, m := range []string{"create", "edit", "rotate"} {
		used["form.submit."+m] = true
	}
	for _, id := range []string{"name", "description", "environment", "external_xref", "tags", "variables", "tags.hint", "variables.hint", "connector"} {
		used["form."+id] = true
	}
	for _, s := range []int{401, 403, 404, 405, 500} {
		used[fmt.Sprintf("error.title.%d", s)] = true
	}
	if len(used) < 150 {
		t.Fatalf("found only %d used keys: the scan is broken", len(used))
	}
	for k := range used {
		if !known(k) {
			t.Errorf("key %q is used but not in the catalog", k)
		}
	}
}

type fakeAuth struct{ p *switchboard.Principal }

func (f fakeAuth) Authenticate(context.Context, string) (*switchboard.Principal, error) {
	if f.p == nil {
		return nil, errors.New("no")
	}
	return f.p, nil
}

// TestSessionSealing: replicas with one secret read each other's sessions; another secret,
// another cookie name, a tampered value or an expired session is no session.
func TestSessionSealing(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	a := New(Config{Secret: secret, Auth: fakeAuth{}})
	b := New(Config{Secret: slices.Clone(secret), Auth: fakeAuth{}})
	other := New(Config{Secret: []byte("fedcba9876543210fedcba9876543210"), Auth: fakeAuth{}})

	now := time.Now()
	s := newSession("sbk_token", now, time.Hour)
	rec := httptest.NewRecorder()
	if err := a.writeSession(rec, s); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if strings.Contains(cookie.Value, "sbk_token") {
		t.Fatal("the cookie carries the token in clear")
	}
	read := func(c *Console, ck *http.Cookie) *session {
		r := httptest.NewRequest("GET", "/console/", nil)
		r.AddCookie(ck)
		return c.readSession(r)
	}
	if got := read(b, cookie); got == nil || got.Token != "sbk_token" || got.ID != s.ID {
		t.Errorf("a replica with the same secret reads %+v", got)
	}
	if got := read(other, cookie); got != nil {
		t.Error("a console with another secret read the session")
	}
	if got := read(a, &http.Cookie{Name: flashCookie, Value: cookie.Value}); got != nil {
		t.Error("a session value opened under another cookie's name") // readSession reads sb_session only
	}
	var f flashMsg
	if err := a.keys.open(flashCookie, cookie.Value, &f); err == nil {
		t.Error("a sealed session opened as a flash")
	}
	b.now = func() time.Time { return now.Add(time.Hour + time.Second) }
	if got := read(b, cookie); got != nil {
		t.Error("an expired session was accepted")
	}
	// CSRF tokens are bound to the session id and the form kind.
	tok := a.keys.csrfToken("s", s.ID)
	if !b.keys.checkCSRF("s", s.ID, tok) || b.keys.checkCSRF("s", "other-id", tok) || b.keys.checkCSRF("l", s.ID, tok) || other.keys.checkCSRF("s", s.ID, tok) {
		t.Error("CSRF tokens are not bound to secret, session and kind")
	}
	if a.keys.checkCSRF("s", "", a.keys.csrfToken("s", "")) {
		t.Error("a CSRF token without a session was accepted")
	}
}

// TestFormConfig turns submitted forms into configs the way the API takes them.
func TestFormConfig(t *testing.T) {
	fields, err := schemaFields([]byte(`{"type":"object","required":["a"],"properties":{
		"a":{"type":"string"},"n":{"type":"integer"},"x":{"type":"number"},"b":{"type":"boolean"},
		"e":{"enum":["one","two"]},"m":{"type":"array","items":{"enum":["r","w"]}},"l":{"type":"array","items":{"type":"integer"}},
		"s":{"type":"string","writeOnly":true},"o":{"type":"object","properties":{"p":{"type":"string"},"q":{"type":"integer"}}},
		"j":{"type":"object"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	walk(fields, func(f *field) { names = append(names, f.ID()) })
	want := []string{"field-a", "field-n", "field-x", "field-b", "field-e", "field-m", "field-l", "field-s", "field-o", "field-o.p", "field-o.q", "field-j"}
	if !slices.Equal(names, want) {
		t.Errorf("fields = %v, want %v (schema order, nested as a.b)", names, want)
	}
	form := map[string][]string{
		"config.a": {"text"}, "config.n": {"42"}, "config.x": {"1.5"}, "config.b": {"true"}, "config.e": {"two"},
		"config.m": {"r", "w"}, "config.l": {"1\n 2 \n\n3"}, "config.s": {""}, "config.o.p": {"deep"}, "config.o.q": {"x7"},
		"config.j": {`{"k":[1]}`},
	}
	got, _ := json.Marshal(formConfig(fields, form, false))
	const wantJSON = `{"a":"text","b":true,"e":"two","j":{"k":[1]},"l":[1,2,3],"m":["r","w"],"n":42,"o":{"p":"deep","q":"x7"},"x":1.5}`
	if string(got) != wantJSON {
		t.Errorf("create config = %s\nwant %s", got, wantJSON)
	}
	// An edit removes cleared plain fields (null) and keeps blank secrets (absent).
	got, _ = json.Marshal(formConfig(fields, map[string][]string{"config.a": {"t"}}, true))
	const wantPatch = `{"a":"t","b":false,"e":null,"j":null,"l":null,"m":null,"n":null,"o":null,"x":null}`
	if string(got) != wantPatch {
		t.Errorf("edit config = %s\nwant %s", got, wantPatch)
	}
	// A nested secret left blank in an edit keeps its stored value.
	nested, _ := schemaFields([]byte(`{"properties":{"tls":{"type":"object","properties":{"ca":{"type":"string"},"key":{"type":"string","writeOnly":true}}}}}`))
	form = map[string][]string{"config.tls.ca": {"pem"}, "config.tls.key": {""}}
	patch := formConfig(nested, form, true)
	keepNestedSecrets(patch, nested, form, map[string]any{"tls": map[string]any{"ca": "old", "key": "kept"}})
	if got, _ := json.Marshal(patch); string(got) != `{"tls":{"ca":"pem","key":"kept"}}` {
		t.Errorf("edit with a blank nested secret = %s", got)
	}
	for detail, want := range map[string]string{
		"config.port": "config:port", "config.scopes[2]": "config:scopes", "config.o.p": "config:o.p", "connection_name": "name",
		"variables[0].name": "variables", "tags[3]": "tags", "config": "", "credentials.action[0]": "",
	} {
		if got := formFieldOf(detail); got != want {
			t.Errorf("formFieldOf(%q) = %q, want %q", detail, got, want)
		}
	}
}

// TestLastN: the detail pages show the newest items of lists the service pages oldest first.
func TestLastN(t *testing.T) {
	pages := map[string][]int{"": {1, 2, 3}, "3": {4, 5, 6}, "6": {7}}
	calls := 0
	got, err := lastN(4, func(after string) ([]int, string, error) {
		calls++
		p := pages[after]
		next := ""
		if after != "6" {
			next = fmt.Sprint(p[len(p)-1])
		}
		return p, next, nil
	})
	if err != nil || !slices.Equal(got, []int{4, 5, 6, 7}) || calls != 3 {
		t.Fatalf("lastN = %v, %v after %d calls; want [4 5 6 7] after 3", got, err, calls)
	}
	if _, err := lastN(4, func(string) ([]int, string, error) { return nil, "", errors.New("down") }); err == nil {
		t.Fatal("lastN hid the service's error")
	}
}
