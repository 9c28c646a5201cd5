// Package i18n is the portal's languages: German, the source language whose texts are the
// catalogue's keys, and English beside it. A page's language is in its URL (English pages
// under /en/), so every cache keys on it; Accept-Language only chooses where the bare home
// page leads and the language of the API's messages. The catalogue is golang.org/x/text's,
// which also writes numbers as each language does (1.234 and 1,234).
package i18n

import (
	"context"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Lang is a language of the portal.
type Lang string

// The portal's languages; German is the default.
const (
	German  Lang = "de"
	English Lang = "en"
)

// Langs are every language, the default first.
var Langs = []Lang{German, English}

// printers format the catalogue's messages in each language: made once, read only.
var printers = newPrinters()

func newPrinters() map[Lang]*message.Printer {
	b := catalog.NewBuilder(catalog.Fallback(language.German))
	for key, text := range english {
		if err := b.SetString(language.English, key, text); err != nil {
			panic("i18n: " + err.Error()) // a malformed entry of the catalogue below: caught by every test
		}
	}
	return map[Lang]*message.Printer{
		German:  message.NewPrinter(language.German, message.Catalog(b)),
		English: message.NewPrinter(language.English, message.Catalog(b)),
	}
}

// T is the message key (its German text, a fmt format when args are given) in l. A text
// without values is looked up as it is: a page says a hundred of them, and the printer's
// formatting costs a microsecond or more each.
func (l Lang) T(key string, args ...any) string {
	if len(args) == 0 && !strings.Contains(key, "%") {
		if l == English {
			if text, ok := english[key]; ok {
				return text
			}
		}
		return key
	}
	p, ok := printers[l]
	if !ok {
		p = printers[German]
	}
	return p.Sprintf(key, args...)
}

// Key marks a literal as a message key where it is stored to be translated later (a table
// of labels), so the catalogue's test finds it.
func Key(s string) string { return s }

// Name is the language's name in itself, as a language switch shows it.
func (l Lang) Name() string {
	if l == English {
		return "English"
	}
	return "Deutsch"
}

// Prefix is what l's URLs begin with: nothing for German, /en for English.
func (l Lang) Prefix() string {
	if l == German {
		return ""
	}
	return "/" + string(l)
}

// Path is the German path p in l ("/hilfe" → "/en/hilfe", "/" → "/en/").
func (l Lang) Path(p string) string {
	return l.Prefix() + p
}

// Of is the language of a URL path and the path in German: "/en/hilfe" → English, "/hilfe".
func Of(path string) (Lang, string) {
	if rest, ok := strings.CutPrefix(path, "/en"); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			rest = "/"
		}
		return English, rest
	}
	return German, path
}

type ctxKey struct{}

// With is ctx carrying l, for the views that render in it.
func With(ctx context.Context, l Lang) context.Context { return context.WithValue(ctx, ctxKey{}, l) }

// From is the language ctx carries, German when none.
func From(ctx context.Context) Lang {
	if l, ok := ctx.Value(ctxKey{}).(Lang); ok {
		return l
	}
	return German
}

// Negotiate is the portal's language an Accept-Language header prefers: the one of highest
// weight (the first of equal weights), German when it names neither. It allocates nothing:
// the hit path asks it for every search API answer.
func Negotiate(header string) Lang {
	best, bestQ := German, -1.0
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		primary, _, _ := strings.Cut(tag, "-")
		var l Lang
		switch {
		case strings.EqualFold(primary, "de"):
			l = German
		case strings.EqualFold(primary, "en"):
			l = English
		default:
			continue
		}
		if q := weight(params); q > bestQ {
			best, bestQ = l, q
		}
	}
	if bestQ <= 0 {
		return German
	}
	return best
}

// weight is the q parameter of a language range (1 when absent, 0 when malformed).
func weight(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		return parseWeight(strings.TrimSpace(value))
	}
	return 1
}

// parseWeight reads a qvalue as RFC 9110 writes it: 0, 1, 0.5, 0.125 (no more than three
// decimals); anything else is 0.
func parseWeight(v string) float64 {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0
	}
	whole := float64(v[0] - '0')
	if len(v) == 1 {
		return whole
	}
	if v[1] != '.' {
		return 0
	}
	frac, scale := 0.0, 1.0
	for _, c := range v[2:] {
		if c < '0' || c > '9' {
			return 0
		}
		scale /= 10
		frac += float64(c-'0') * scale
	}
	if whole+frac > 1 {
		return 0
	}
	return whole + frac
}
