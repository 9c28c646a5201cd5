package i18n

import "testing"

func TestNegotiate(t *testing.T) {
	for header, want := range map[string]Lang{
		"": German, "de": German, "en": English, "en-US,en;q=0.9,de;q=0.8": English, "de-DE,de;q=0.9,en;q=0.8": German,
		"fr-FR,fr;q=0.9": German, "fr, en;q=0.3": English, "de;q=0.5, en-GB": English, "EN-gb": English,
		"en;q=0": German, "en;q=0, de;q=0": German, "en;q=1.5": German, "en;q=abc, de;q=0.1": German,
		"de;q=0.8, en;q=0.8": German, "en;q=0.800, de;q=0.8": English, "*": German, "en ; q = 0.5": English,
		"english": German, "ende": German, ",,;;": German,
	} {
		if got := Negotiate(header); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", header, got, want)
		}
	}
}

func TestOf(t *testing.T) {
	for path, want := range map[string][2]string{
		"/": {"de", "/"}, "/en": {"en", "/"}, "/en/": {"en", "/"}, "/en/suche": {"en", "/suche"}, "/ende": {"de", "/ende"},
		"/suche": {"de", "/suche"},
	} {
		l, rest := Of(path)
		if string(l) != want[0] || rest != want[1] {
			t.Errorf("Of(%q) = %s %q, want %v", path, l, rest, want)
		}
	}
}

// Negotiate reads any header without panicking, and answers one of the portal's languages.
func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "de", "en-US,en;q=0.9,de;q=0.8", "fr, en;q=0.3", "en;q=1.000", "en;q=0.", ";q=", "de;;q=0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if l := Negotiate(header); l != German && l != English {
			t.Fatalf("Negotiate(%q) = %q", header, l)
		}
	})
}

// A text without values is the same through the lookup as through the printer.
func TestT_LookupIsThePrinters(t *testing.T) {
	for key := range english {
		if verbs(key) != "" {
			continue
		}
		for _, l := range Langs {
			if got, want := l.T(key), printers[l].Sprintf(key); got != want {
				t.Errorf("%s %q: %q, the printer says %q", l, key, got, want)
			}
		}
	}
}

func BenchmarkT(b *testing.B) {
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			English.T("Öffnungszeiten unbekannt")
		}
	})
	b.Run("format", func(b *testing.B) {
		for b.Loop() {
			English.T("%d Apotheken gefunden, Stand %s.", 1234, "4 Dec 2026, 10:00")
		}
	})
}
