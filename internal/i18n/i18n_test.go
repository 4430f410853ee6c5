package i18n

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"
	"text/template/parse"

	"golang.org/x/text/language"
)

// TestCatalogsHaveSameKeys keeps every catalog complete: a key added to English must be
// translated, and a translation must not carry a key English lacks (a typo'd key would never
// be shown).
func TestCatalogsHaveSameKeys(t *testing.T) {
	t.Parallel()
	en := std.keys[English]
	if len(en) == 0 {
		t.Fatal("English catalog is empty")
	}
	for _, tag := range supported[1:] {
		got := std.keys[tag]
		for _, k := range en {
			if _, ok := slices.BinarySearch(got, k); !ok {
				t.Errorf("%s: missing key %q", tag, k)
			}
		}
		for _, k := range got {
			if _, ok := slices.BinarySearch(en, k); !ok {
				t.Errorf("%s: key %q is not in the English catalog", tag, k)
			}
		}
	}
}

// TestCatalogsHaveNoDuplicateKeys reads the raw files: a JSON object with a repeated key
// decodes silently to the last value, hiding a copy-paste slip.
func TestCatalogsHaveNoDuplicateKeys(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(locales, "locales/*.json")
	if err != nil || len(files) != len(supported) {
		t.Fatalf("catalog files = %v, %v; want %d", files, err, len(supported))
	}
	for _, name := range files {
		buf, err := fs.ReadFile(locales, name)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(buf)))
		seen := map[string]bool{}
		if _, err := dec.Token(); err != nil { // {
			t.Fatalf("%s: %v", name, err)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			k := tok.(string)
			if seen[k] {
				t.Errorf("%s: duplicate key %q", name, k)
			}
			seen[k] = true
			var v string
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is blank", name, k)
			}
		}
	}
}

// TestTranslationsUseEnglishFields renders every translation with exactly the fields its
// English template uses, under missingkey=error, and checks the translation uses all of them
// too: a translation that drops {{.Name}} loses information, one that invents {{.Nmae}} fails.
func TestTranslationsUseEnglishFields(t *testing.T) {
	t.Parallel()
	raw := rawCatalogs(t)
	for _, key := range Keys() {
		fields := templateFields(t, raw[English][key])
		args := map[string]any{}
		for _, f := range fields {
			args[f] = "«" + f + "»"
		}
		for _, tag := range supported {
			src := raw[tag][key]
			if got := templateFields(t, src); !slices.Equal(got, fields) {
				t.Errorf("%s %s: fields %v, English uses %v", tag, key, got, fields)
				continue
			}
			msg, ok := std.render(tag, key, args)
			if !ok {
				t.Errorf("%s %s: does not render with %v", tag, key, args)
				continue
			}
			for _, f := range fields {
				if !strings.Contains(msg, "«"+f+"»") {
					t.Errorf("%s %s = %q: %s not shown", tag, key, msg, f)
				}
			}
		}
	}
}

// rawCatalogs returns the template source of every message, by language.
func rawCatalogs(t *testing.T) map[language.Tag]map[string]string {
	t.Helper()
	out := map[language.Tag]map[string]string{}
	for _, tag := range supported {
		buf, err := fs.ReadFile(locales, "locales/"+tag.String()+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(buf, &m); err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		out[tag] = m
	}
	return out
}

// templateFields returns the sorted field names ({{.Field}}) a template refers to.
func templateFields(t *testing.T, src string) []string {
	t.Helper()
	tmpl, err := template.New("").Parse(src)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	var fields []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			fields = append(fields, strings.Join(n.Ident, "."))
		case *parse.TextNode:
		default:
			t.Fatalf("%q: unexpected template construct %T; keep catalog templates to {{.Field}}", src, n)
		}
	}
	if tmpl.Tree != nil {
		walk(tmpl.Tree.Root)
	}
	slices.Sort(fields)
	return slices.Compact(fields)
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   language.Tag
	}{
		{"", English},
		{"en", English},
		{"en-US,en;q=0.9", English},
		{"fr", English},
		{"fr-CA, de;q=0.8", English},
		{"*", English},
		{"garbage;;;==,", English},
		{"\x00\xff", English},
		{strings.Repeat("a", 5000), English},
		{"ja", Japanese},
		{"ja-JP", Japanese},
		{"vi", Vietnamese},
		{"vi-VN", Vietnamese},
		{"ja;q=0.5, vi;q=0.9", Vietnamese},
		{"vi;q=0.1, ja", Japanese},
		{"fr, ja;q=0.5", Japanese},
		{"en;q=0.1, zh-CN", Chinese},
		{"zh", Chinese},
		{"zh-CN", Chinese},
		{"zh-SG", Chinese},
		{"zh-Hans", Chinese},
		{"zh-Hans-CN", Chinese},
		{"zh-TW", TraditionalChinese},
		{"zh-HK", TraditionalChinese},
		{"zh-MO", TraditionalChinese},
		{"zh-Hant", TraditionalChinese},
		{"zh-Hant-TW", TraditionalChinese},
		{"zh-Hant-HK", TraditionalChinese},
		{"zh-tw;q=0.8, en;q=0.5", TraditionalChinese},
	}
	for _, tt := range tests {
		if got := Match(tt.header); got != tt.want {
			t.Errorf("Match(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestLocalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tag  language.Tag
		key  string
		args map[string]any
		want string
		ok   bool
	}{
		{"english", English, "field.required", map[string]any{"Field": "name"}, "name must not be blank", true},
		{"japanese", Japanese, "field.required", map[string]any{"Field": "name"}, "name は空にできません", true},
		{"traditional", TraditionalChinese, "code.4040", nil, "找不到", true},
		{"simplified", Chinese, "code.4040", nil, "未找到", true},
		{"vietnamese", Vietnamese, "body.too_large", map[string]any{"Limit": 1024}, "nội dung yêu cầu vượt quá 1024 byte", true},
		{"regional tag", language.MustParse("zh-TW"), "code.4040", nil, "找不到", true},
		{"unsupported tag", language.French, "code.4040", nil, "not found", true},
		{"unknown key", Japanese, "no.such.key", nil, "", false},
		{"missing field", Japanese, "connection.name_taken", nil, "", false},
		{"nil field value", English, "connection.name_taken", map[string]any{"Name": nil}, "", false},
		{"extra args are fine", English, "code.4090", map[string]any{"X": 1}, "conflict", true},
	}
	for _, tt := range tests {
		got, ok := Localize(tt.tag, tt.key, tt.args)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Localize(%s, %q, %v) = %q, %v; want %q, %v", tt.name, tt.tag, tt.key, tt.args, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLocalizeCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		tag       language.Tag
		code, key string
		args      map[string]any
		want      string
	}{
		{"key renders", English, "4090", "connection.name_taken", map[string]any{"Name": "prod"}, "a connection named prod already exists for this connector"},
		{"missing arg falls back to code", English, "4090", "connection.name_taken", nil, "conflict"},
		{"missing arg, in language", Japanese, "4090", "connection.name_taken", nil, "競合が発生しました"},
		{"not_found without Kind", TraditionalChinese, "4040", "not_found", nil, "找不到"},
		{"unknown key", Vietnamese, "4000", "nope", nil, "yêu cầu không hợp lệ"},
		{"empty key", English, "4290", "", nil, "too many requests"},
		{"unknown code", English, "9999", "nope", nil, "internal error"},
	}
	for _, tt := range tests {
		if got := LocalizeCode(tt.tag, tt.code, tt.key, tt.args); got != tt.want {
			t.Errorf("%s: LocalizeCode = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTranslationFallsBackToEnglish loads catalogs with a Japanese translation that lacks a
// key and one whose template names a field the data doesn't have: both must give English.
func TestTranslationFallsBackToEnglish(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{}
	for _, tag := range supported {
		fsys["locales/"+tag.String()+".json"] = &fstest.MapFile{Data: []byte(`{"a": "A {{.Name}}", "b": "B"}`)}
	}
	fsys["locales/ja.json"] = &fstest.MapFile{Data: []byte(`{"a": "あ {{.Nmae}}"}`)}
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"Name": "x"}
	for _, tt := range []struct{ key, want string }{{"a", "A x"}, {"b", "B"}} {
		if got, ok := c.localize(Japanese, tt.key, args); !ok || got != tt.want {
			t.Errorf("localize(ja, %q) = %q, %v; want %q", tt.key, got, ok, tt.want)
		}
	}
}

func TestLoadRejectsBadCatalogs(t *testing.T) {
	t.Parallel()
	complete := func() fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, tag := range supported {
			fsys["locales/"+tag.String()+".json"] = &fstest.MapFile{Data: []byte(`{"a": "A"}`)}
		}
		return fsys
	}
	missing := complete()
	delete(missing, "locales/vi.json")
	unsupported := complete()
	unsupported["locales/fr.json"] = &fstest.MapFile{Data: []byte(`{"a": "A"}`)}
	broken := complete()
	broken["locales/ja.json"] = &fstest.MapFile{Data: []byte(`{"a": `)}
	for name, fsys := range map[string]fstest.MapFS{"missing": missing, "unsupported": unsupported, "broken": broken} {
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: load succeeded", name)
		}
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	keys := Keys()
	if !slices.IsSorted(keys) {
		t.Error("Keys not sorted")
	}
	for _, want := range []string{"code.4000", "code.5030", "internal", "field.required", "connector.builtin", "body.malformed"} {
		if !slices.Contains(keys, want) {
			t.Errorf("Keys lacks %q", want)
		}
	}
	keys[0] = "mutated"
	if Keys()[0] == "mutated" {
		t.Error("Keys returns the package's own slice")
	}
}

func TestCodeKeys(t *testing.T) {
	t.Parallel()
	// Every code of switchboard.Code has a generic message; the list is repeated here because
	// the catalog is the thing under test.
	for _, code := range []string{"4000", "4010", "4030", "4040", "4090", "4120", "4130", "4150", "4290", "5000", "5030"} {
		if _, ok := Localize(English, "code."+code, nil); !ok {
			t.Errorf("no generic message for code %s", code)
		}
	}
}
