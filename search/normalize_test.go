package search

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"München": "muenchen", "MUENCHEN": "muenchen", "munchen": "munchen", "Straße": "strasse",
		"  Frankfurt   (Oder) ": "frankfurt oder", "Neustadt a.d. Weinstraße": "neustadt a d weinstrasse",
		"Neue-Apotheke": "neue apotheke", "<script>": "script", "Neuenkirchen": "neuenkirchen",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpellings(t *testing.T) {
	if got := Spellings("Köln"); len(got) != 2 || got[0] != "koeln" || got[1] != "koln" {
		t.Errorf("Spellings(Köln) = %v", got)
	}
	if got := Spellings("Neuenkirchen"); len(got) != 1 {
		t.Errorf("Spellings(Neuenkirchen) = %v", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		max  int
		want int
	}{{"buxtehdue", "buxtehude", 2, 2}, {"koln", "koln", 1, 0}, {"berlin", "bremen", 2, 3}} {
		if got := editDistance(tt.a, tt.b, tt.max); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzResolve(f *testing.F) {
	g := NewGazetteer(nil)
	s := NewSearcher(nil, nil, g, nil)
	for _, q := range []string{"21614", "Frankfurt (Oder)", "Neustadt, Hessen", "a b c", "((", ", ,"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s.resolve(q)
		Fold(q)
	})
}
