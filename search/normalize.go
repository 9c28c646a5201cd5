package search

import (
	"strings"
	"unicode"
)

// Fold turns what people type into the form we compare: lower case, umlauts written out
// (München and MUENCHEN both become "muenchen"), ß as ss, other accents dropped,
// punctuation as spaces, single spaces.
func Fold(s string) string { return fold(s, false) }

// Spellings returns the folded forms a name can be typed in: with umlauts written out and,
// where it has umlauts, with them as plain vowels ("munchen"). Names are indexed under all
// of them; what people type is folded once. Replacing "ue" by "u" everywhere instead would
// make Neuenkirchen and Neunkirchen one town.
func Spellings(s string) []string {
	out := []string{fold(s, false)}
	if plain := fold(s, true); plain != out[0] {
		out = append(out, plain)
	}
	return out
}

func fold(s string, plainUmlauts bool) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	space := true
	write := func(str string) {
		b.WriteString(str)
		space = false
	}
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'ä', 'ö', 'ü':
			base := map[rune]string{'ä': "a", 'ö': "o", 'ü': "u"}[r]
			if !plainUmlauts {
				base += "e"
			}
			write(base)
			continue
		case 'ß':
			write("ss")
			continue
		case 'à', 'á', 'â', 'å':
			r = 'a'
		case 'ò', 'ó', 'ô', 'ø':
			r = 'o'
		case 'ù', 'ú', 'û':
			r = 'u'
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'ç':
			r = 'c'
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
	return strings.TrimSuffix(b.String(), " ")
}

// Words folds s and splits it into words.
func Words(s string) []string { return strings.Fields(Fold(s)) }

// AllWords returns the words of every spelling of s, each once.
func AllWords(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sp := range Spellings(s) {
		for _, w := range strings.Fields(sp) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// Connecting words of place names ("Frankfurt am Main", "Neustadt a. d. Weinstraße") that
// people leave out or abbreviate.
var placeStopwords = map[string]bool{
	"am": true, "an": true, "der": true, "den": true, "dem": true, "die": true, "das": true, "im": true,
	"in": true, "a": true, "d": true, "i": true, "b": true, "bei": true, "ob": true, "v": true, "vor": true, "und": true,
}

// placeKeys are the comparable forms of a place name, one per spelling.
func placeKeys(s string) [][]string {
	var out [][]string
	for _, sp := range Spellings(s) {
		if k := withoutStopwords(strings.Fields(sp)); len(k) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// placeKey is the comparable form of what was typed.
func placeKey(s string) []string { return withoutStopwords(Words(s)) }

func withoutStopwords(words []string) []string {
	var out []string
	for _, w := range words {
		if !placeStopwords[w] {
			out = append(out, w)
		}
	}
	return out
}
