package data

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckLine is the one validation of a line of text people write for others to read (a
// participation note, a report): valid UTF-8, at most max characters, no control characters
// (C0, C1: line breaks, tabs, escapes) and no bidirectional controls, which can make a note
// read differently from what it says (U+202E turns "gnikrow" into "working").
func CheckLine(field, s string, max int) error {
	return checkText(field, s, max, false)
}

// CheckText is CheckLine for text of several lines (a correction): line breaks are allowed.
func CheckText(field, s string, max int) error {
	return checkText(field, s, max, true)
}

func checkText(field, s string, max int, lines bool) error {
	if !utf8.ValidString(s) {
		return &Error{Code: EINVALID, Field: field, Message: "is not valid UTF-8 text"}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("must be at most %d characters (has %d)", max, n)}
	}
	for _, r := range s {
		switch {
		case lines && (r == '\n' || r == '\r'):
		case unicode.IsControl(r):
			what := "control characters"
			if !lines {
				what = "control characters (it must be one line)"
			}
			return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("must not contain %s: %U", what, r)}
		case isBidiControl(r):
			return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("must not contain bidirectional controls: %U", r)}
		}
	}
	return nil
}

// isBidiControl reports the characters of Unicode's Bidi_Control property: marks,
// embeddings, overrides and isolates.
func isBidiControl(r rune) bool {
	return unicode.Is(unicode.Bidi_Control, r)
}
