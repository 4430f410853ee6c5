// Package i18n holds Switchboard's message catalogs and picks a language from Accept-Language.
//
// Errors carry a catalog key and template data (see switchboard.Error); the HTTP layer turns
// them into text here, in the caller's language. The catalogs are embedded JSON files, one per
// language, in locales/. English is the reference: every key exists in every language (a test
// keeps it so), and a key or template a translation gets wrong falls back to English rather
// than showing a broken message.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// The supported languages. English is the default and the fallback.
var (
	English            = language.English
	Chinese            = language.Chinese // Simplified
	TraditionalChinese = language.MustParse("zh-Hant")
	Japanese           = language.Japanese
	Vietnamese         = language.Vietnamese
)

// supported lists the catalog languages; the first is what Match returns when nothing fits.
var supported = []language.Tag{English, Chinese, TraditionalChinese, Japanese, Vietnamese}

// Languages returns the supported languages, English first.
func Languages() []language.Tag { return slices.Clone(supported) }

//go:embed locales/*.json
var locales embed.FS

// parser executes templates with missingkey=error: a message whose data lacks a field must not
// render as "<no value>"; Localize treats the error as "cannot render" and falls back.
var parser = &template.TextParser{Option: "missingkey=error"}

// catalog is a set of loaded message files. The package uses one, built from the embedded
// files; tests build others to exercise the fallbacks with deliberately broken translations.
type catalog struct {
	localizers map[language.Tag]*goi18n.Localizer
	keys       map[language.Tag][]string // sorted
}

var (
	matcher = language.NewMatcher(supported)
	std     = mustLoad(locales)
)

func mustLoad(fsys fs.FS) *catalog {
	c, err := load(fsys)
	if err != nil {
		// The catalogs are embedded: a broken one is a build defect, caught by the tests.
		panic("i18n: " + err.Error())
	}
	return c
}

// load parses every locales/*.json in fsys and checks each supported language has one.
func load(fsys fs.FS) (*catalog, error) {
	b := goi18n.NewBundle(English)
	c := &catalog{
		localizers: make(map[language.Tag]*goi18n.Localizer, len(supported)),
		keys:       make(map[language.Tag][]string, len(supported)),
	}
	files, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(buf, path.Base(name))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		tag := exact(mf.Tag)
		if tag == language.Und {
			return nil, fmt.Errorf("%s: %s is not a supported language", name, mf.Tag)
		}
		for _, m := range mf.Messages {
			c.keys[tag] = append(c.keys[tag], m.ID)
		}
		slices.Sort(c.keys[tag])
	}
	for _, tag := range supported {
		if len(c.keys[tag]) == 0 {
			return nil, fmt.Errorf("no catalog for %s", tag)
		}
		c.localizers[tag] = goi18n.NewLocalizer(b, tag.String())
	}
	return c, nil
}

// exact returns the supported tag equal to t, or language.Und.
func exact(t language.Tag) language.Tag {
	for _, s := range supported {
		if s == t {
			return s
		}
	}
	return language.Und
}

// Match returns the supported language that best fits an Accept-Language header, honouring
// q-values: zh-TW, zh-HK, zh-MO and zh-Hant-* give zh-Hant; zh, zh-CN, zh-SG and zh-Hans give
// zh. An empty, unparsable or unmatched header gives English.
func Match(acceptLanguage string) language.Tag {
	// A header is client input of any size; real ones are short, so don't parse a huge one.
	if acceptLanguage == "" || len(acceptLanguage) > 1024 {
		return English
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return English
	}
	// The matcher's own result carries extensions (-u-rg-...); the index names the catalog.
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return English
	}
	return supported[i]
}

// Localize returns the message for key in the language tag (one of the supported ones; any
// other tag is matched to the closest), rendered with args. A key missing in that language, or
// a translation that fails to render, gives the English message. It reports false, with "",
// when even English can't give one: the key is unknown or args lack a field the template
// needs. Callers then show the generic message of the error's code (see LocalizeCode).
func Localize(tag language.Tag, key string, args map[string]any) (string, bool) {
	return std.localize(tag, key, args)
}

func (c *catalog) localize(tag language.Tag, key string, args map[string]any) (string, bool) {
	tag = closest(tag)
	if args == nil {
		// Templates index the data by field; a nil map would fail even for text without fields.
		args = map[string]any{}
	}
	if msg, ok := c.render(tag, key, args); ok {
		return msg, true
	}
	if tag != English {
		return c.render(English, key, args)
	}
	return "", false
}

// LocalizeCode is Localize with the fallbacks an error needs: when key can't be rendered, the
// generic message of code ("code.4090" for "4090"), and when code is unknown too, the message
// of code 5000. It always returns text.
func LocalizeCode(tag language.Tag, code, key string, args map[string]any) string {
	if key != "" {
		if msg, ok := Localize(tag, key, args); ok {
			return msg
		}
	}
	if msg, ok := Localize(tag, "code."+code, nil); ok {
		return msg
	}
	msg, _ := Localize(tag, "code.5000", nil)
	return msg
}

// render renders key in exactly tag's catalog, without falling back to another language.
func (c *catalog) render(tag language.Tag, key string, args map[string]any) (string, bool) {
	if _, found := slices.BinarySearch(c.keys[tag], key); !found {
		// go-i18n would silently answer from the default language; the caller decides.
		return "", false
	}
	msg, err := c.localizers[tag].Localize(&goi18n.LocalizeConfig{
		MessageID:      key,
		TemplateData:   args,
		TemplateParser: parser,
	})
	if err != nil || strings.Contains(msg, "<no value>") {
		return "", false
	}
	return msg, true
}

// closest returns tag if it is supported, else the supported language nearest to it.
func closest(tag language.Tag) language.Tag {
	if s := exact(tag); s != language.Und {
		return s
	}
	_, i, conf := matcher.Match(tag)
	if conf == language.No {
		return English
	}
	return supported[i]
}

// Keys returns every message key of the English catalog, sorted.
func Keys() []string { return slices.Clone(std.keys[English]) }

// Catalog is a set of messages kept as this package keeps its own: one flat go-i18n JSON file
// per supported language, locales/<tag>.json, with the same English fallback. The console
// holds its page texts in one.
type Catalog struct{ c *catalog }

// LoadCatalog parses every locales/*.json in fsys; each supported language needs a file.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	c, err := load(fsys)
	if err != nil {
		return nil, err
	}
	return &Catalog{c: c}, nil
}

// Localize is Localize over c's messages.
func (c *Catalog) Localize(tag language.Tag, key string, args map[string]any) (string, bool) {
	return c.c.localize(tag, key, args)
}

// Keys returns every message key of tag's file, sorted.
func (c *Catalog) Keys(tag language.Tag) []string { return slices.Clone(c.c.keys[tag]) }
