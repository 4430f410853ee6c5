package console

import (
	"embed"
	"fmt"
	"net/http"

	"golang.org/x/text/language"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/i18n"
)

// The console's own message catalogs: one JSON file per language of internal/i18n, in the
// same flat go-i18n format. Messages of service errors come from internal/i18n, so the
// console says what the API says.
//
//go:embed locales/*.json
var localeFiles embed.FS

// langNames are the languages' names in themselves, for the switcher.
var langNames = map[string]string{
	"en": "English", "zh": "简体中文", "zh-Hant": "繁體中文", "ja": "日本語", "vi": "Tiếng Việt",
}

func mustLoadCatalog() *i18n.Catalog {
	c, err := i18n.LoadCatalog(localeFiles)
	if err != nil {
		// The files are embedded: a broken one is a build defect the tests catch.
		panic("console: " + err.Error())
	}
	return c
}

// supportedTag returns the language of internal/i18n whose tag is s.
func supportedTag(s string) (language.Tag, bool) {
	for _, t := range i18n.Languages() {
		if t.String() == s {
			return t, true
		}
	}
	return language.Und, false
}

// localizer renders messages in one language; templates call it as {{.L.T "key"}}.
type localizer struct {
	cat *i18n.Catalog
	tag language.Tag
}

// T returns the message key in the localizer's language, rendered with args given as
// name/value pairs; English when the language lacks it; the key itself when even English
// does (a test keeps every key in every catalog, so that never shows).
func (l *localizer) T(key string, kv ...any) string {
	args := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		args[fmt.Sprint(kv[i])] = kv[i+1]
	}
	if msg, ok := l.cat.Localize(l.tag, key, args); ok {
		return msg
	}
	return key
}

// Err returns the message of a service error in the localizer's language, as the API words
// it (internal/i18n's catalog).
func (l *localizer) Err(e *switchboard.Error) string {
	return i18n.LocalizeCode(l.tag, string(e.Code), e.Message, e.Args)
}

// Field returns the message of one field error (reason "required", "type", ...) about the
// field labelled label.
func (l *localizer) Field(reason, label string) string {
	if msg, ok := i18n.Localize(l.tag, "field."+reason, map[string]any{"Field": label}); ok {
		return msg
	}
	return i18n.LocalizeCode(l.tag, string(switchboard.CodeInvalid), "", nil)
}

// Lang is the BCP 47 tag of the localizer's language ("en", "zh-Hant", ...).
func (l *localizer) Lang() string { return l.tag.String() }

// pickLanguage chooses the page language: a valid ?lang= (which the caller then remembers in
// a cookie), else the language cookie, else Accept-Language as internal/i18n matches it.
func pickLanguage(r *http.Request) (tag language.Tag, fromQuery bool) {
	if t, ok := supportedTag(r.URL.Query().Get("lang")); ok {
		return t, true
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if t, ok := supportedTag(ck.Value); ok {
			return t, false
		}
	}
	return i18n.Match(r.Header.Get("Accept-Language")), false
}
