package openinghours

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is what a token is.
type kind uint8

const (
	tNumber  kind = iota + 1 // 0–1900: hours, minutes, days, weeks, counts
	tYear                    // a number above 1900
	tWeekday                 // num: 0 = Sunday … 6 = Saturday, as time.Weekday
	tMonth                   // num: 0 = January … 11 = December
	tHoliday                 // text: "PH" or "SH"
	tWeek                    // the word "week"
	tEvent                   // the word "easter"
	tDays                    // the word "day" or "days" (in "easter +1 day")
	tState                   // text: open, closed, off, unknown
	tComment                 // text: a comment's contents
	tAlways                  // "24/7"
	tTimeVar                 // text: sunrise, sunset, dawn, dusk
	tPunct                   // text: ; , - : [ ] + / ( ) ||
)

type token struct {
	kind kind
	num  int
	text string
	pos  int // byte offset in the value
}

func (t token) is(k kind, text string) bool {
	return t.kind == k && (text == "" || t.text == text)
}

var words = map[string]token{
	"mo": {kind: tWeekday, num: 1}, "tu": {kind: tWeekday, num: 2}, "we": {kind: tWeekday, num: 3},
	"th": {kind: tWeekday, num: 4}, "fr": {kind: tWeekday, num: 5}, "sa": {kind: tWeekday, num: 6},
	"su":  {kind: tWeekday, num: 0},
	"jan": {kind: tMonth, num: 0}, "feb": {kind: tMonth, num: 1}, "mar": {kind: tMonth, num: 2},
	"apr": {kind: tMonth, num: 3}, "may": {kind: tMonth, num: 4}, "jun": {kind: tMonth, num: 5},
	"jul": {kind: tMonth, num: 6}, "aug": {kind: tMonth, num: 7}, "sep": {kind: tMonth, num: 8},
	"oct": {kind: tMonth, num: 9}, "nov": {kind: tMonth, num: 10}, "dec": {kind: tMonth, num: 11},
	"ph": {kind: tHoliday, text: "PH"}, "sh": {kind: tHoliday, text: "SH"},
	"week": {kind: tWeek}, "easter": {kind: tEvent, text: "easter"},
	"day": {kind: tDays}, "days": {kind: tDays},
	"open": {kind: tState, text: "open"}, "closed": {kind: tState, text: "closed"},
	"off": {kind: tState, text: "off"}, "unknown": {kind: tState, text: "unknown"},
	"sunrise": {kind: tTimeVar, text: "sunrise"}, "sunset": {kind: tTimeVar, text: "sunset"},
	"dawn": {kind: tTimeVar, text: "dawn"}, "dusk": {kind: tTimeVar, text: "dusk"},
}

// lex splits a value into tokens. It reads the specification's syntax, case-insensitive,
// with the tolerance opening_hours.js has without changing a meaning: spaces anywhere,
// "." as the time separator and after a day's number, en dashes for "-". Any other word is
// an error: it is not guessed.
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end <= 0 {
				return nil, fmt.Errorf("comment at %d is not closed with \" or is empty", i+1)
			}
			out = append(out, token{kind: tComment, text: s[i+1 : i+1+end], pos: i})
			i += end + 2
		case strings.HasPrefix(s[i:], "24/7"):
			out = append(out, token{kind: tAlways, pos: i})
			i += 4
		case strings.HasPrefix(s[i:], "||"):
			out = append(out, token{kind: tPunct, text: "||", pos: i})
			i += 2
		case r >= '0' && r <= '9':
			j := i
			n := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				if n > 100000 {
					return nil, fmt.Errorf("number at %d is too long", i+1)
				}
				n = n*10 + int(s[j]-'0')
				j++
			}
			k := tNumber
			if n > 1900 {
				k = tYear
			}
			out = append(out, token{kind: k, num: n, text: s[i:j], pos: i})
			// "24." as a day of the month: the dot says nothing.
			if j+1 < len(s) && s[j] == '.' && !(s[j+1] >= '0' && s[j+1] <= '9') {
				j++
			}
			i = j
		case r == ':' || r == '.':
			out = append(out, token{kind: tPunct, text: ":", pos: i})
			i += size
		case r == '–' || r == '-':
			out = append(out, token{kind: tPunct, text: "-", pos: i})
			i += size
		case strings.ContainsRune(";,[]+/()", r):
			out = append(out, token{kind: tPunct, text: string(r), pos: i})
			i += size
		case unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsLetter(r2) {
					break
				}
				j += sz
			}
			w, ok := words[strings.ToLower(s[i:j])]
			if !ok {
				return nil, fmt.Errorf("unknown word %q at %d", s[i:j], i+1)
			}
			w.pos = i
			out = append(out, w)
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at %d", r, i+1)
		}
	}
	return out, nil
}
