package search

import (
	"strings"
	"unicode"
)

// Fold turns what people type into the form we compare: lower case, umlauts and their
// two-letter spellings alike (München, MÜNCHEN, Muenchen and Munchen all become
// "munchen"), ß as ss, other accents dropped, punctuation as spaces, single spaces.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'ä', 'à', 'á', 'â', 'å':
			r = 'a'
		case 'ö', 'ò', 'ó', 'ô', 'ø':
			r = 'o'
		case 'ü', 'ù', 'ú', 'û':
			r = 'u'
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'ç':
			r = 'c'
		case 'ß':
			b.WriteString("ss")
			space = false
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		b.WriteRune(r)
		space = false
	}
	out := strings.TrimSuffix(b.String(), " ")
	return strings.NewReplacer("ae", "a", "oe", "o", "ue", "u").Replace(out)
}

// Words folds s and splits it into words.
func Words(s string) []string { return strings.Fields(Fold(s)) }

// Connecting words of place names ("Frankfurt am Main", "Neustadt a. d. Weinstraße") that
// people leave out or abbreviate.
var placeStopwords = map[string]bool{
	"am": true, "an": true, "der": true, "den": true, "dem": true, "die": true, "das": true, "im": true,
	"in": true, "a": true, "d": true, "i": true, "b": true, "bei": true, "ob": true, "v": true, "vor": true, "und": true,
}

// placeKey is the comparable form of a place name.
func placeKey(s string) []string {
	var out []string
	for _, w := range Words(s) {
		if !placeStopwords[w] {
			out = append(out, w)
		}
	}
	return out
}
