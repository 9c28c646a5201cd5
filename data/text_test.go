package data

import (
	"strings"
	"testing"
)

func TestCheckLine_RefusesControlsAndBidi(t *testing.T) {
	for s, ok := range map[string]bool{
		"Ausstellung ab 14 Uhr":  true,
		"Café – Änderung € ß":    true,
		"zwei\nZeilen":           false,
		"Tab\tim Text":           false,
		"Escape\x1b[31m":         false,
		"C1\u0085Steuerzeichen":  false,
		"Override \u202egnikrow": false,
		"Isolat \u2066x\u2069":   false,
		"Markierung \u200f":      false,
		"kaputt \xff":            false,
		strings.Repeat("a", 281): false,
	} {
		if err := CheckLine("note", s, 280); (err == nil) != ok {
			t.Errorf("CheckLine(%q) = %v", s, err)
		} else if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("CheckLine(%q) code %s", s, ErrorCode(err))
		}
	}
	if err := CheckText("message", "Zeile eins\r\nZeile zwei", 2000); err != nil {
		t.Errorf("CheckText with line breaks: %v", err)
	}
	if err := CheckText("message", "Zeile\u202e", 2000); err == nil {
		t.Error("CheckText accepted a bidi override")
	}
}

func FuzzCheckLine(f *testing.F) {
	f.Add("Ausstellung \u202e ab 14 Uhr")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckLine("note", s, 280) != nil {
			return
		}
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("CheckLine accepted %q (%U)", s, r)
			}
		}
	})
}
