package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// usedKeys are the message keys the code names: the literal of every tr(ctx, "…"), x.T("…")
// and Key("…") in the views (their templ output included) and the server, and the texts
// that come from data: services, weekdays, holidays.
func usedKeys(t *testing.T) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	var files []string
	for _, dir := range []string{"..", "../../server", "../../server/status"} {
		matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range matches {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			arg := -1
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if fn.Name == "tr" || fn.Name == "invalid" {
					arg = 1
				}
			case *ast.SelectorExpr:
				if fn.Sel.Name == "T" || fn.Sel.Name == "Key" && isIdent(fn.X, "i18n") {
					arg = 0
				}
			}
			if arg < 0 || len(call.Args) <= arg {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				key, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				keys[key] = append(keys[key], fset.Position(lit.Pos()).String())
			}
			return true
		})
	}
	for _, s := range data.Services {
		keys[s.Label()] = append(keys[s.Label()], "data.Services")
	}
	for _, state := range []string{"Baden-Württemberg", "Bayern", "Berlin", "Brandenburg", "Bremen", "Hamburg", "Hessen",
		"Mecklenburg-Vorpommern", "Niedersachsen", "Nordrhein-Westfalen", "Rheinland-Pfalz", "Saarland", "Sachsen",
		"Sachsen-Anhalt", "Schleswig-Holstein", "Thüringen"} {
		for day := time.Date(2026, 1, 1, 12, 0, 0, 0, data.Berlin()); day.Year() < 2028; day = day.AddDate(0, 0, 1) {
			if name, ok := data.PublicHoliday(state, day); ok {
				keys[name] = append(keys[name], "data.PublicHoliday")
			}
		}
	}
	return keys
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// Every message the portal says exists in every language: German is the key itself, English
// is in the catalogue; the catalogue keeps no message nobody uses; a message's English has
// the same formatting verbs as its German.
func TestCatalogue_EveryMessageInEveryLanguage(t *testing.T) {
	used := usedKeys(t)
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan misses the code", len(used))
	}
	var missing []string
	for key, where := range used {
		if _, ok := english[key]; !ok {
			missing = append(missing, strconv.Quote(key)+" ("+where[0]+")")
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("no English for %s", m)
	}
	for key, text := range english {
		if _, ok := used[key]; !ok {
			t.Errorf("the catalogue's %q is used nowhere", key)
		}
		if verbs(key) != verbs(text) {
			t.Errorf("%q and its English %q have different verbs", key, text)
		}
		if strings.TrimSpace(text) == "" {
			t.Errorf("%q has an empty English", key)
		}
	}
	t.Logf("%d messages, each in %d languages", len(used), len(Langs))
}

// verbs are a format's verbs in order (%s, %d, %%).
func verbs(format string) string {
	var out []string
	for i := 0; i < len(format)-1; i++ {
		if format[i] == '%' {
			out = append(out, format[i:i+2])
			i++
		}
	}
	return strings.Join(out, " ")
}

// Numbers and dates are written as each language writes them.
func TestT_FormatsNumbersPerLanguage(t *testing.T) {
	if got := German.T("%d ms", 1500); got != "1.500 ms" {
		t.Errorf("German: %q", got)
	}
	if got := English.T("%d ms", 1500); got != "1,500 ms" {
		t.Errorf("English: %q", got)
	}
	at := time.Date(2026, 5, 25, 14, 5, 0, 0, data.Berlin())
	if got := at.Format(English.T("02.01.2006, 15:04 Uhr")); got != "25 May 2026, 14:05" {
		t.Errorf("an English date: %q", got)
	}
}
