package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/i18n"
	"github.com/switchboardhq/switchboard/internal/server"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// consoleCatalog reads one of the console's message files.
func consoleCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("locales/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var htmlLang = regexp.MustCompile(`<html lang="([^"]+)">`)

// TestEveryPageInEveryLanguage renders every page in each of the five languages (chosen by
// Accept-Language): the page says its language, uses that catalog's words, and shows no
// catalog key raw.
func TestEveryPageInEveryLanguage(t *testing.T) {
	f := newFixture(t)
	en := consoleCatalog(t, "en")
	for _, tag := range i18n.Languages() {
		lang := tag.String()
		t.Run(lang, func(t *testing.T) {
			cat := consoleCatalog(t, lang)
			b := newBrowser(t, f.e)
			b.lang = map[string]string{"en": "en-GB,en;q=0.9", "zh": "zh-CN", "zh-Hant": "zh-TW", "ja": "ja-JP", "vi": "vi"}[lang]
			login := b.get("/console/login")
			pages := []*page{login, b.signIn(f.e.OwnerKey)}
			for _, path := range f.pages {
				pages = append(pages, b.get(path))
			}
			for _, p := range pages {
				mustStatus(t, p, http.StatusOK)
				if m := htmlLang.FindStringSubmatch(p.Body); m == nil || m[1] != lang {
					t.Errorf("%s: <html lang> = %v, want %s", p.URL, m, lang)
				}
				if got := p.Header.Get("Content-Language"); got != lang {
					t.Errorf("%s: Content-Language = %q, want %s", p.URL, got, lang)
				}
				if !strings.Contains(p.Body, ">"+cat["nav.language"]+"<") {
					t.Errorf("%s: the language switcher is not labelled %q", p.URL, cat["nav.language"])
				}
				for key, text := range en {
					if text == key {
						continue // "never", "none": the English word is the key
					}
					if strings.Contains(p.Body, ">"+key+"<") || strings.Contains(p.Body, `"`+key+`"`) {
						t.Errorf("%s: catalog key %q shown raw", p.URL, key)
					}
				}
			}
			if !strings.Contains(pages[1].Body, cat["connections.title"]) || !strings.Contains(pages[1].Body, cat["flash.signed_in"]) {
				t.Errorf("the list is not in %s (%q, %q):\n%s", lang, cat["connections.title"], cat["flash.signed_in"], excerpt(pages[1].Body))
			}
		})
	}
}

// TestLanguageSwitch: ?lang= and the switcher's /console/lang set a cookie that later pages
// follow over Accept-Language; next never leaves the console.
func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.lang = "en"
	b.signIn(e.OwnerKey)
	p := b.get("/console/lang?lang=ja&next=" + url.QueryEscape("/console/w/default/connectors"))
	if p.URL != "/console/w/default/connectors" || !strings.Contains(p.Body, `<html lang="ja">`) {
		t.Fatalf("after switching to ja: %s\n%s", p.URL, excerpt(p.Body))
	}
	if p := b.get("/console/w/default/connections"); !strings.Contains(p.Body, `<html lang="ja">`) {
		t.Error("the next page forgot the language")
	}
	if p := b.get("/console/w/default/connections?lang=vi"); !strings.Contains(p.Body, `<html lang="vi">`) {
		t.Error("?lang=vi is not followed")
	}
	b.follow = false
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/v1/workspaces", "/console/\\evil", ""} {
		p := b.get("/console/lang?lang=en&next=" + url.QueryEscape(next))
		if loc := p.Header.Get("Location"); p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/") || strings.Contains(loc, "evil") {
			t.Errorf("next=%q: %d Location %q, want a redirect within the console", next, p.Status, loc)
		}
	}
	if p := b.get("/console/lang?lang=xx"); b.cookie("sb_lang") == nil || b.cookie("sb_lang").Value != "en" || p.Status != http.StatusSeeOther {
		t.Errorf("an unknown language changed the cookie to %v", b.cookie("sb_lang"))
	}
}

var (
	inputTag  = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idAttr    = regexp.MustCompile(`\bid="([^"]*)"`)
	forAttr   = regexp.MustCompile(`<label\b[^>]*\bfor="([^"]*)"`)
	typeAttr  = regexp.MustCompile(`\btype="([^"]*)"`)
	valueAttr = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// TestGeneratedFormsForBuiltins renders the create form of every built-in connector: one
// input per schema property, of the property's type, named config.<name> and labelled.
func TestGeneratedFormsForBuiltins(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	defs, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		t.Run(d.Connector.Key, func(t *testing.T) {
			p := b.get("/console/w/default/connections/new?connector=" + d.Connector.Key)
			mustStatus(t, p, http.StatusOK)
			checkLabels(t, p.Body)
			v := d.Versions[len(d.Versions)-1]
			var schema struct {
				Properties map[string]struct {
					Type      string `json:"type"`
					WriteOnly bool   `json:"writeOnly"`
					Enum      []any  `json:"enum"`
					Items     struct {
						Enum []any `json:"enum"`
					} `json:"items"`
				} `json:"properties"`
				Required []string `json:"required"`
			}
			if err := json.Unmarshal(v.Schema, &schema); err != nil {
				t.Fatal(err)
			}
			if len(schema.Properties) == 0 {
				t.Fatal("schema has no properties")
			}
			for name, prop := range schema.Properties {
				tag := tagWithID(p.Body, "field-"+name)
				if tag == "" {
					t.Errorf("no input #field-%s", name)
					continue
				}
				if !strings.Contains(tag, `name="config.`+name+`"`) {
					t.Errorf("#field-%s is not named config.%s: %s", name, name, tag)
				}
				var want string
				switch {
				case prop.WriteOnly:
					want = `<input type="password"`
				case len(prop.Enum) > 0:
					want = `<select`
				case prop.Type == "array" && len(prop.Items.Enum) > 0:
					want = `<select`
				case prop.Type == "array":
					want = `<textarea`
				case prop.Type == "integer":
					want = `<input type="number"`
				case prop.Type == "number":
					want = `<input type="number"`
				case prop.Type == "boolean":
					want = `<input type="checkbox"`
				default:
					want = `<input type="`
				}
				if !strings.HasPrefix(tag, want) {
					t.Errorf("#field-%s (%s) = %s, want %s...", name, prop.Type, tag, want)
				}
				if prop.Type == "array" && len(prop.Items.Enum) > 0 && !strings.Contains(tag, " multiple") {
					t.Errorf("#field-%s (array of enums) is not a multiple select", name)
				}
				if prop.Type == "integer" && !strings.Contains(tag, `step="1"`) {
					t.Errorf("#field-%s (integer) has no step 1: %s", name, tag)
				}
				if prop.WriteOnly {
					if m := valueAttr.FindStringSubmatch(tag); m != nil && m[1] != "" {
						t.Errorf("secret #field-%s is pre-filled", name)
					}
				}
				required := slices.Contains(schema.Required, name)
				if required != strings.Contains(tag, `aria-required="true"`) {
					t.Errorf("#field-%s: aria-required = %v, schema required = %v", name, !required, required)
				}
			}
			for _, id := range []string{"connector", "choose-connector", "name", "submit"} {
				if !has(p.Body, id) {
					t.Errorf("the form has no #%s", id)
				}
			}
		})
	}
}

// checkLabels fails when a visible form control has no <label for> (hidden inputs need none).
func checkLabels(t *testing.T, body string) {
	t.Helper()
	labelled := map[string]bool{}
	for _, m := range forAttr.FindAllStringSubmatch(body, -1) {
		labelled[m[1]] = true
	}
	for _, tag := range inputTag.FindAllString(body, -1) {
		if ty := typeAttr.FindStringSubmatch(tag); ty != nil && (ty[1] == "hidden" || ty[1] == "submit") {
			continue
		}
		id := idAttr.FindStringSubmatch(tag)
		if id == nil || !labelled[id[1]] {
			t.Errorf("control without a label: %s", tag)
		}
	}
}

// TestLabelsOnEveryPage: every visible form control of every page has a label.
func TestLabelsOnEveryPage(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.e)
	checkLabels(t, b.get("/console/login").Body)
	b.signIn(f.e.OwnerKey)
	for _, path := range f.pages {
		p := b.get(path)
		checkLabels(t, p.Body)
		for _, landmark := range []string{"<header", "<main", "<nav", "<footer", `role="status"`, `aria-live="polite"`, `class="skip"`} {
			if !strings.Contains(p.Body, landmark) {
				t.Errorf("%s has no %s", path, landmark)
			}
		}
	}
}

// TestCreateThroughFormThenList creates a connection with the generated form and finds it in
// the list, linked to its detail page, its secret stored and masked.
func TestCreateThroughFormThenList(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	form := b.get("/console/w/default/connections/new?connector=postgres")
	mustStatus(t, form, http.StatusOK)
	if !strings.Contains(tagWithID(form.Body, "field-sslmode"), "<select") || !strings.Contains(form.Body, `<option value="require" selected>`) {
		t.Error("the sslmode choice does not default to the schema's default")
	}
	p := b.post("/console/w/default/connections", url.Values{
		"connector": {"postgres"}, "idempotency_key": {"k0123456789k0123456789k0123456789k012345678"},
		"name": {"billing-db"}, "description": {"billing"}, "environment": {"staging"}, "tags": {"db, billing"},
		"variables":   {"REGION=eu\nTIER=gold"},
		"config.host": {"db.example.com"}, "config.port": {"6543"}, "config.database": {"billing"}, "config.user": {"app"},
		"config.password": {"pw-created-through-form"}, "config.sslmode": {"verify-full"},
	})
	mustStatus(t, p, http.StatusOK)
	if !strings.HasPrefix(p.URL, "/console/w/default/connections/conn_") || !strings.Contains(p.Body, "Connection billing-db created.") {
		t.Fatalf("after create: %s\n%s", p.URL, excerpt(p.Body))
	}
	id := strings.TrimPrefix(p.URL, "/console/w/default/connections/")
	if !strings.Contains(tagWithID(p.Body, "status"), `data-status="PENDING"`) || !has(p.Body, "health") {
		t.Errorf("detail page: no PENDING #status or no #health")
	}
	list := b.get("/console/w/default/connections")
	row := regexp.MustCompile(`<tr data-connection-id="` + id + `">\s*<td><a href="([^"]+)">billing-db</a>`).FindStringSubmatch(list.Body)
	if row == nil || row[1] != "/console/w/default/connections/"+id {
		t.Fatalf("the list has no row for %s whose first link is its detail:\n%s", id, excerpt(list.Body))
	}
	// Stored as the API sees it: typed config, variables, tags, secret sealed and masked.
	r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil)
	var c struct {
		Config      map[string]any         `json:"config"`
		Variables   []switchboard.Variable `json:"variables"`
		Tags        []string               `json:"tags"`
		Environment string                 `json:"environment"`
	}
	r.JSON(t, &c)
	if c.Config["port"] != 6543.0 || c.Config["sslmode"] != "verify-full" || !strings.HasPrefix(fmt.Sprint(c.Config["password"]), "****") || c.Environment != "staging" ||
		len(c.Variables) != 2 || c.Variables[1] != (switchboard.Variable{Name: "TIER", Value: "gold"}) || !slices.Equal(c.Tags, []string{"db", "billing"}) {
		t.Errorf("stored connection = %s", r.Body)
	}
	// The same form submitted again (a double click) does not create a second connection.
	b.get("/console/w/default/connections/new?connector=postgres")
	again := b.post("/console/w/default/connections", url.Values{
		"connector": {"postgres"}, "idempotency_key": {"k0123456789k0123456789k0123456789k012345678"},
		"name": {"billing-db"}, "description": {"billing"}, "environment": {"staging"}, "tags": {"db, billing"},
		"variables":   {"REGION=eu\nTIER=gold"},
		"config.host": {"db.example.com"}, "config.port": {"6543"}, "config.database": {"billing"}, "config.user": {"app"},
		"config.password": {"pw-created-through-form"}, "config.sslmode": {"verify-full"},
	})
	if again.URL != p.URL {
		t.Errorf("a resubmitted create went to %s, want the first connection %s", again.URL, p.URL)
	}
}

// TestValidationErrorsAtTheirFields: the service's field errors come back on the inputs they
// are about, with aria-describedby and aria-invalid, and in a summary linking to them.
func TestValidationErrorsAtTheirFields(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	b.get("/console/w/default/connections/new?connector=postgres")
	p := b.post("/console/w/default/connections", url.Values{
		"connector": {"postgres"}, "name": {"pg"}, "config.host": {"db.example.com"}, "config.port": {"99999"},
		"config.user": {"app"}, "config.password": {"secret-typed-in"}, "config.sslmode": {"require"},
	})
	mustStatus(t, p, http.StatusBadRequest)
	for _, name := range []string{"port", "database"} {
		if !has(p.Body, "error-"+name) {
			t.Errorf("no #error-%s:\n%s", name, excerpt(p.Body))
			continue
		}
		tag := tagWithID(p.Body, "field-"+name)
		if !strings.Contains(tag, `aria-invalid="true"`) || !regexp.MustCompile(`aria-describedby="[^"]*\berror-`+name+`\b`).MatchString(tag) {
			t.Errorf("#field-%s does not point at its error: %s", name, tag)
		}
		if !strings.Contains(p.Body, `href="#field-`+name+`"`) {
			t.Errorf("the summary does not link to #field-%s", name)
		}
	}
	if has(p.Body, "error-host") {
		t.Error("a valid field shows an error")
	}
	if !has(p.Body, "error-summary") || !strings.Contains(p.Body, "Port is too large") || !strings.Contains(p.Body, "Database must not be blank") {
		t.Errorf("messages are not the API's, worded with the field's title:\n%s", excerpt(p.Body))
	}
	// What was typed comes back, except the secret.
	if !strings.Contains(tagWithID(p.Body, "field-host"), `value="db.example.com"`) || !strings.Contains(tagWithID(p.Body, "field-port"), `value="99999"`) {
		t.Error("the refused form lost what was typed")
	}
	if strings.Contains(p.Body, "secret-typed-in") {
		t.Error("the refused form shows the secret back")
	}
	// No connector chosen is an error on the chooser, not a connection of the first connector.
	p = b.post("/console/w/default/connections", url.Values{"name": {"nochoice"}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `href="#connector"`) {
		t.Errorf("no connector: %d\n%s", p.Status, excerpt(p.Body))
	}
	// A blank name is an error on #name.
	b.get("/console/w/default/connections/new?connector=http-bearer")
	p = b.post("/console/w/default/connections", url.Values{"connector": {"http-bearer"}, "name": {" "},
		"config.base_url": {"https://api.example.com"}, "config.token": {"t"}})
	if p.Status != http.StatusBadRequest || !has(p.Body, "error-name") || !strings.Contains(tagWithID(p.Body, "name"), "error-name") {
		t.Errorf("blank name: %d, no #error-name on #name\n%s", p.Status, excerpt(p.Body))
	}
	// A name taken for the connector is shown at the name too.
	createConnection(t, e, "default", bearer("taken", "tok_taken_0123456789"))
	b.get("/console/w/default/connections/new?connector=http-bearer")
	p = b.post("/console/w/default/connections", url.Values{"connector": {"http-bearer"}, "name": {"taken"},
		"config.base_url": {"https://api.example.com"}, "config.token": {"t"}})
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "a connection named taken already exists") || !has(p.Body, "error-name") {
		t.Errorf("taken name: %d\n%s", p.Status, excerpt(p.Body))
	}
}

// TestEditAndRotate: editing keeps a secret left blank and changes what was changed; rotating
// replaces only the secrets typed in.
func TestEditAndRotate(t *testing.T) {
	e := newEnv(t)
	id := createConnection(t, e, "default", map[string]any{
		"connector_id": "http-api-key", "connection_name": "crm",
		"config": map[string]any{"base_url": "https://crm.example.com", "header_name": "X-Key", "api_key": "key-before-0123456789"},
	})
	secret := func() string {
		t.Helper()
		r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id+"/credentials", e.OwnerKey, nil)
		var out struct {
			Config map[string]string `json:"config"`
		}
		r.JSON(t, &out)
		return out.Config["api_key"]
	}
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	c := "/console/w/default/connections/" + id
	form := b.get(c + "/edit")
	mustStatus(t, form, http.StatusOK)
	if !strings.Contains(tagWithID(form.Body, "field-header_name"), `value="X-Key"`) || !has(form.Body, "keep-api_key") {
		t.Errorf("the edit form is not filled in, or the secret has no keep hint:\n%s", excerpt(form.Body))
	}
	p := b.post(c+"/edit", url.Values{"revision": {"1"}, "name": {"crm-eu"}, "environment": {"production"},
		"config.base_url": {"https://eu.crm.example.com"}, "config.header_name": {""}, "config.api_key": {""}})
	if p.URL != c || !strings.Contains(p.Body, "Connection updated.") {
		t.Fatalf("after edit: %d %s\n%s", p.Status, p.URL, excerpt(p.Body))
	}
	r := e.Do(t, "GET", "/v1/workspaces/default/connections/"+id, e.OwnerKey, nil).Map(t)
	cfg := r["config"].(map[string]any)
	if r["connection_name"] != "crm-eu" || cfg["base_url"] != "https://eu.crm.example.com" || cfg["header_name"] != nil {
		t.Errorf("after edit: %v", r)
	}
	if got := secret(); got != "key-before-0123456789" {
		t.Error("a blank secret in the edit form changed the secret")
	}
	// A stale revision is refused, not silently overwritten.
	b.get(c + "/edit")
	p = b.post(c+"/edit", url.Values{"revision": {"1"}, "name": {"stale"}, "config.base_url": {"https://eu.crm.example.com"}})
	if p.Status != http.StatusPreconditionFailed || !strings.Contains(p.Body, "changed since you read it") {
		t.Errorf("stale edit: %d\n%s", p.Status, excerpt(p.Body))
	}

	rot := b.get(c + "/rotate")
	if tag := tagWithID(rot.Body, "field-api_key"); !strings.Contains(tag, `type="password"`) || has(rot.Body, "field-base_url") {
		t.Errorf("the rotate form is not the secret fields only: %s", tag)
	}
	if p := b.post(c+"/rotate", url.Values{"config.api_key": {""}}); p.Status != http.StatusBadRequest {
		t.Errorf("rotate with nothing typed: %d, want 400", p.Status)
	}
	b.get(c + "/rotate")
	p = b.post(c+"/rotate", url.Values{"config.api_key": {"key-after-9876543210"}})
	if p.URL != c || !strings.Contains(p.Body, "Credentials rotated.") {
		t.Fatalf("after rotate: %s\n%s", p.URL, excerpt(p.Body))
	}
	if got := secret(); got != "key-after-9876543210" {
		t.Error("rotate did not replace the secret")
	}
	detail := b.get(c)
	if !has(detail.Body, "audit") || !strings.Contains(detail.Body, "connection.update") {
		t.Error("the audit trail does not show the updates")
	}
}

// TestEnableDisableAndTest: the buttons change the status and the test reports its outcome.
func TestEnableDisableAndTest(t *testing.T) {
	e := newEnv(t)
	id := createConnection(t, e, "default", bearer("api", "tok_api_0123456789"))
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	c := "/console/w/default/connections/" + id
	b.get(c)
	p := b.post(c+"/disable", nil)
	if !strings.Contains(tagWithID(p.Body, "status"), `data-status="DISABLED"`) || !has(p.Body, "enable") || has(p.Body, "disable") {
		t.Errorf("after disable:\n%s", excerpt(p.Body))
	}
	p = b.post(c+"/enable", nil)
	if !strings.Contains(tagWithID(p.Body, "status"), `data-status="PENDING"`) || !has(p.Body, "disable") {
		t.Errorf("after enable:\n%s", excerpt(p.Body))
	}
	if !has(p.Body, "status-history") || !strings.Contains(p.Body, "<td>DISABLED</td>") {
		t.Errorf("the status history does not show the changes:\n%s", excerpt(p.Body))
	}
	// The test server runs no health checker: the test reports the service's answer.
	p = b.post(c+"/test", nil)
	if p.URL != c || !strings.Contains(p.Body, "no health check to run") || !strings.Contains(p.Body, "flash-error") {
		t.Errorf("after test now: %s\n%s", p.URL, excerpt(p.Body))
	}
}

// TestDeleteInUse: the confirmation page warns about usages; without force the delete is
// refused, with force it goes through.
func TestDeleteInUse(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.e)
	b.signIn(f.e.OwnerKey)
	c := "/console/w/default/connections/" + f.conn
	confirm := b.get(c + "/delete")
	if !has(confirm.Body, "in-use") || !strings.Contains(confirm.Body, "workflow:wf_1") || !has(confirm.Body, "force") || !has(confirm.Body, "confirm-delete") {
		t.Fatalf("the confirmation page has no in-use warning or force:\n%s", excerpt(confirm.Body))
	}
	p := b.post(c+"/delete", nil)
	if p.Status != http.StatusConflict || !has(p.Body, "error-summary") {
		t.Errorf("delete in use without force: %d\n%s", p.Status, excerpt(p.Body))
	}
	p = b.post(c+"/delete", url.Values{"force": {"true"}})
	if p.URL != "/console/w/default/connections" || !strings.Contains(p.Body, "Connection orders-db deleted.") {
		t.Errorf("forced delete: %s\n%s", p.URL, excerpt(p.Body))
	}
	if r := f.e.Do(t, "GET", "/v1/workspaces/default/connections/"+f.conn, f.e.OwnerKey, nil); r.Status != http.StatusNotFound {
		t.Errorf("the deleted connection answers %d", r.Status)
	}
	// Not in use: no force needed.
	id := createConnection(t, f.e, "default", bearer("free", "tok_free_0123456789"))
	if p := b.get("/console/w/default/connections/" + id + "/delete"); has(p.Body, "force") {
		t.Error("the confirmation of an unused connection offers force")
	}
	if p := b.post("/console/w/default/connections/"+id+"/delete", nil); p.URL != "/console/w/default/connections" {
		t.Errorf("delete: %s", p.URL)
	}
}

var rowID = regexp.MustCompile(`<tr data-connection-id="([^"]+)">`)

// TestPagingAndFilters walks the list forward and back and narrows it with each filter.
func TestPagingAndFilters(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 30 {
		body := bearer(fmt.Sprintf("svc-%02d", i), "tok_page_0123456789")
		if i%3 == 0 {
			body["environment"] = "dev"
			body["external_xref"] = "cust-7"
		}
		ids = append(ids, createConnection(t, e, "default", body))
	}
	createConnection(t, e, "default", map[string]any{"connector_id": "kafka", "connection_name": "stream", "config": map[string]any{"kafkaAddr": "k:9092"}})
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	rows := func(p *page) []string {
		var out []string
		for _, m := range rowID.FindAllStringSubmatch(p.Body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	link := func(p *page, id string) string {
		m := regexp.MustCompile(`id="` + id + `"[^>]*href="([^"]+)"`).FindStringSubmatch(p.Body)
		if m == nil {
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	first := b.get("/console/w/default/connections")
	if got := rows(first); len(got) != 25 || got[0] != ids[0] || link(first, "prev-page") != "" {
		t.Fatalf("first page: %d rows, prev %q", len(got), link(first, "prev-page"))
	}
	second := b.get(link(first, "next-page"))
	if got := rows(second); len(got) != 6 || got[0] != ids[25] || link(second, "next-page") != "" {
		t.Fatalf("second page: %v, next %q", got, link(second, "next-page"))
	}
	back := b.get(link(second, "prev-page"))
	if got := rows(back); !slices.Equal(got, rows(first)) || link(back, "prev-page") != "" || link(back, "next-page") == "" {
		t.Errorf("back to the first page: %d rows, prev %q next %q", len(got), link(back, "prev-page"), link(back, "next-page"))
	}
	for q, want := range map[string]int{
		"connector=kafka": 1, "environment=dev": 10, "external_xref=cust-7": 10, "q=SVC-0": 10, "status=PENDING": 25,
		"status=ACTIVE": 0, "connector=http-bearer&environment=dev&q=svc-2": 3, // svc-21, 24, 27
	} {
		p := b.get("/console/w/default/connections?" + q)
		if got := len(rows(p)); got != want {
			t.Errorf("%s: %d rows, want %d", q, got, want)
		}
		if want == 0 && !has(p.Body, "no-connections") {
			t.Errorf("%s: an empty result does not say so", q)
		}
	}
	if p := b.get("/console/w/default/connections?status=BOGUS"); p.Status != http.StatusBadRequest {
		t.Errorf("an unknown status: %d, want 400", p.Status)
	}
}

// TestWorkspaceSwitcher: a principal of several workspaces gets a switcher; one bound to a
// workspace does not, and another workspace is not found for it.
func TestWorkspaceSwitcher(t *testing.T) {
	e := newEnv(t)
	e.Workspace(t, "team-b")
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	p := b.get("/console/w/default/connections")
	if !has(p.Body, "workspace") || !strings.Contains(p.Body, `<option value="team-b"`) {
		t.Fatalf("no workspace switcher:\n%s", excerpt(p.Body))
	}
	if p := b.get("/console/w?ws=team-b"); p.URL != "/console/w/team-b/connections" {
		t.Errorf("switching went to %s", p.URL)
	}
	if p := b.get("/console/w?ws=nope"); p.Status != http.StatusNotFound {
		t.Errorf("switching to an unknown workspace: %d", p.Status)
	}
	bound := e.Key(t, "team-b", switchboard.RoleEditor)
	b2 := newBrowser(t, e)
	if p := b2.signIn(bound); p.URL != "/console/w/team-b/connections" || has(p.Body, "workspace") {
		t.Errorf("a key of team-b landed on %s (switcher shown: %v)", p.URL, has(p.Body, "workspace"))
	}
	if p := b2.get("/console/w/default/connections"); p.Status != http.StatusNotFound {
		t.Errorf("a key of team-b reads default's list: %d", p.Status)
	}
}

// TestWebhooksPage adds an endpoint (its secret shown once), sends a test event and sees the
// delivery.
func TestWebhooksPage(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.signIn(e.OwnerKey)
	b.get("/console/w/default/webhooks")
	p := b.post("/console/w/default/webhooks", url.Values{"url": {"ftp://nope"}, "events": {"connection.created"}})
	if p.Status != http.StatusBadRequest || !has(p.Body, "error-url") {
		t.Errorf("a bad URL: %d\n%s", p.Status, excerpt(p.Body))
	}
	p = b.post("/console/w/default/webhooks", url.Values{"url": {"https://hooks.example.com/x"}, "events": {"connection.created", "connection.deleted"}})
	mustStatus(t, p, http.StatusCreated)
	secret := regexp.MustCompile(`<code id="webhook-secret">(whsec_[^<]+)</code>`).FindStringSubmatch(p.Body)
	if secret == nil {
		t.Fatalf("the signing secret is not shown:\n%s", excerpt(p.Body))
	}
	id := regexp.MustCompile(`data-endpoint-id="([^"]+)"`).FindStringSubmatch(p.Body)
	if id == nil {
		t.Fatal("the new endpoint is not listed")
	}
	if list := b.get("/console/w/default/webhooks"); strings.Contains(list.Body, secret[1]) {
		t.Error("the signing secret is shown again")
	}
	detail := b.get("/console/w/default/webhooks/" + id[1])
	p = b.post("/console/w/default/webhooks/"+id[1]+"/test", url.Values{"csrf": {csrfOf(detail.Body)}})
	if !strings.Contains(p.Body, "Test event queued") || !strings.Contains(p.Body, "webhook.test") || !has(p.Body, "deliveries") {
		t.Errorf("after sending a test:\n%s", excerpt(p.Body))
	}
}

// TestAPIKeysPage creates a key (shown once, usable to sign in) and revokes it (its sessions
// end).
func TestAPIKeysPage(t *testing.T) {
	e := newEnv(t)
	admin := e.Key(t, "default", switchboard.RoleAdmin)
	b := newBrowser(t, e)
	b.signIn(admin)
	page := b.get("/console/w/default/api-keys")
	if strings.Contains(page.Body, `<option value="owner"`) || has(page.Body, "scope-credentials-read") {
		t.Error("an admin without credentials:read is offered the owner role or the scope")
	}
	p := b.post("/console/w/default/api-keys", url.Values{"name": {"ci <b>"}, "role": {"editor"}})
	mustStatus(t, p, http.StatusCreated)
	key := regexp.MustCompile(`<code id="new-api-key">(sbk_[a-z2-7]+)</code>`).FindStringSubmatch(p.Body)
	if key == nil {
		t.Fatalf("the new key is not shown:\n%s", excerpt(p.Body))
	}
	if again := b.get("/console/w/default/api-keys"); strings.Contains(again.Body, key[1]) {
		t.Error("the key is shown again")
	}
	other := newBrowser(t, e)
	if p := other.signIn(key[1]); p.URL != "/console/w/default/connections" || !strings.Contains(p.Body, "Editor") {
		t.Fatalf("signing in with the new key: %s", p.URL)
	}
	kid := regexp.MustCompile(`id="revoke-(key_[a-z0-9]+)"[^>]*aria-label="Revoke key ci &lt;b&gt;`).FindStringSubmatch(b.get("/console/w/default/api-keys").Body)
	if kid == nil {
		t.Fatal("no revoke button for the new key")
	}
	if p := b.post("/console/w/default/api-keys/"+kid[1]+"/revoke", nil); !strings.Contains(p.Body, "revoked") {
		t.Errorf("revoke:\n%s", excerpt(p.Body))
	}
	if p := other.get("/console/w/default/connections"); p.URL != "/console/login" || !strings.Contains(p.Body, "session has ended") {
		t.Errorf("the revoked key's session still reaches %s", p.URL)
	}
}

// TestKeyringPage shows the active key and the data keys per key id to a tenant-wide admin,
// and is refused to a workspace admin.
func TestKeyringPage(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.e)
	b.signIn(f.e.OwnerKey)
	p := b.get("/console/w/default/keyring")
	mustStatus(t, p, http.StatusOK)
	active := regexp.MustCompile(`<code id="active-key-id">(k[0-9TZ]+)</code>`).FindStringSubmatch(p.Body)
	if active == nil || !strings.Contains(p.Body, `<tr data-key-id="`+active[1]+`">`) || !strings.Contains(p.Body, "Complete: the active key wraps all 1 data keys.") {
		t.Errorf("keyring page:\n%s", excerpt(p.Body))
	}
	wsAdmin := newBrowser(t, f.e)
	wsAdmin.signIn(f.e.Key(t, "default", switchboard.RoleAdmin))
	if p := wsAdmin.get("/console/w/default/connections"); has(p.Body, "nav-keyring") || !has(p.Body, "nav-webhooks") {
		t.Error("a workspace admin's navigation: keyring shown or webhooks missing")
	}
	if p := wsAdmin.get("/console/w/default/keyring"); p.Status != http.StatusForbidden {
		t.Errorf("a workspace admin reads the keyring: %d", p.Status)
	}
}

// TestJWTSignIn: a JWT bearer works as well as an API key; an expired one does not sign in.
func TestJWTSignIn(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, auth.Claims{Subject: "alice", TenantID: "default", Workspaces: []string{"*"}, Role: switchboard.RoleEditor})
	b := newBrowser(t, e)
	p := b.signIn("Bearer " + tok)
	if p.URL != "/console/w/default/connections" || !strings.Contains(p.Body, "alice") {
		t.Fatalf("JWT sign-in: %s\n%s", p.URL, excerpt(p.Body))
	}
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "bob", "tenant_id": "default", "workspaces": []string{"*"}, "role": "viewer",
		"exp": time.Now().Add(-time.Hour).Unix(),
	}).SignedString([]byte(testenv.JWTSecret))
	if err != nil {
		t.Fatal(err)
	}
	if p := newBrowser(t, e).signIn(expired); p.Status != http.StatusUnauthorized {
		t.Errorf("an expired JWT signed in: %d", p.Status)
	}
}

// TestConsoleRoutes: the console's routes are listed in Server.Routes under the "console"
// family; without a session every non-public GET leads to the sign-in page and every POST is
// refused.
func TestConsoleRoutes(t *testing.T) {
	f := newFixture(t)
	routes := f.e.Server.FamilyRoutes(server.ConsoleFamily)
	if len(routes) < 25 {
		t.Fatalf("%d console routes listed", len(routes))
	}
	params := map[string]string{"ws": "default", "id": f.conn, "key": "postgres", "file": "console.css"}
	anon := newBrowser(t, f.e)
	anon.follow = false
	var public []string
	for _, rt := range routes {
		path := regexp.MustCompile(`\{(\w+)\}`).ReplaceAllStringFunc(rt.Path, func(s string) string { return params[strings.Trim(s, "{}")] })
		path = strings.ReplaceAll(path, "{$}", "")
		if strings.Contains(rt.Path, "webhooks/{id}") {
			path = strings.Replace(path, f.conn, f.endpoint, 1)
		}
		if rt.Public {
			public = append(public, rt.Method+" "+rt.Path)
			continue
		}
		var p *page
		if rt.Method == "GET" {
			p = anon.get(path)
			if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console/login" {
				t.Errorf("GET %s without a session: %d Location %q", path, p.Status, p.Header.Get("Location"))
			}
		} else {
			p = anon.post(path, url.Values{"csrf": {"x"}})
			if p.Status != http.StatusForbidden {
				t.Errorf("%s %s without a session: %d, want 403", rt.Method, path, p.Status)
			}
		}
		checkHeaders(t, rt.Method+" "+path, p)
	}
	slices.Sort(public)
	want := []string{"GET /console/lang", "GET /console/login", "GET /console/static/{file}", "GET /console/{$}", "POST /console/login"}
	if !slices.Equal(public, want) {
		t.Errorf("public console routes = %v, want %v", public, want)
	}
}
