package openinghours_test

import (
	"math/rand/v2"
	"strings"
)

// generated are n opening_hours values built at random (with a fixed seed) from the pieces
// of the grammar: rules of days, dates, weeks and times with modifiers and comments, joined
// by ";", "," and "||". Most are what a mapper could write; some mean little; the reference
// judges them all the same.
func generated(n int) []string {
	rng := rand.New(rand.NewPCG(18, 2026))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	maybe := func(p float64, s string) string {
		if rng.Float64() < p {
			return s
		}
		return ""
	}
	clock := func() string {
		return pick("7", "07", "08", "09", "10", "12", "13", "14", "15", "17", "18", "19", "20", "22", "23") + ":" + pick("00", "30", "15", "45")
	}
	times := func() string {
		switch rng.IntN(10) {
		case 0:
			return clock() + "+"
		case 1:
			return pick("22:00-02:00", "18:00-26:00", "20:00-24:00", "00:00-24:00", "23:00-07:00", "08:00-18:00+")
		}
		out := []string{}
		for range 1 + rng.IntN(2) {
			a, b := clock(), clock()
			out = append(out, a+"-"+b)
		}
		return strings.Join(out, ",")
	}
	weekday := func() string { return pick("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su") }
	days := func() string {
		switch rng.IntN(9) {
		case 0:
			return weekday() + "-" + weekday()
		case 1:
			return weekday() + "," + weekday()
		case 2:
			return weekday() + "[" + pick("1", "2", "-1", "1,3", "2,4", "1-2") + "]"
		case 3:
			return pick("PH", "Su,PH", "PH,Sa", "Mo-Fr,PH", "PH Mo-Fr", "SH", "SH Mo-Fr")
		}
		return pick("Mo-Fr", "Mo-Sa", "Sa", "Su", "Mo-Th", "Tu-Fr", "Fr-Mo", "Sa-Su", "Mo-Su")
	}
	wide := func() string {
		switch rng.IntN(12) {
		case 0:
			return pick("Dec 24", "Dec 31", "Dec 24,31", "Dec 25,26", "Jan 01", "May 01", "Oct 03", "Nov 18", "Mar 29", "Oct 25", "Apr 05")
		case 1:
			return pick("Dec 21-Jan 03", "Dec 24-Dec 26", "Jul 13-31", "Mar 28-Apr 06", "Oct 24-Nov 01", "Jul 01-31/2")
		case 2:
			return pick("2026 Dec 21-2027 Jan 03", "2026 Jul 06-2026 Jul 24", "2026 Mar 29", "2026 Dec 24", "2025 Dec 22-2026 Jan 06")
		case 3:
			return pick("Dec", "Jan-Nov", "Oct-Mar", "Jun-Aug", "Apr-Sep", "Mar", "Nov-Feb")
		case 4:
			return pick("week 01-53/2", "week 02-52/2", "week 53", "week 10-20", "week 01", "week 13,44")
		case 5:
			return pick("2026", "2025-2027", "2026+", "2027", "2024-2030/2")
		case 6:
			return pick("easter", "easter -2 days", "easter +1 day", "easter +49 days", "easter -3 days")
		}
		return ""
	}
	modifier := func() string {
		return maybe(0.25, " "+pick("off", "closed", "open", "unknown", `"nach Vereinbarung"`, `open "Notdienst"`, `off "Betriebsferien"`, `unknown "wechselnd"`))
	}
	rule := func() string {
		parts := []string{}
		if w := wide(); w != "" {
			parts = append(parts, w)
		}
		if rng.IntN(6) > 0 {
			parts = append(parts, days())
		}
		m := modifier()
		if rng.IntN(5) > 0 || len(parts) == 0 && m == "" {
			parts = append(parts, times())
		}
		return strings.TrimSpace(strings.Join(parts, " ") + m)
	}
	out := make([]string, n)
	for i := range out {
		rules := []string{rule()}
		for range rng.IntN(4) {
			rules = append(rules, pick("; ", "; ", "; ", ", ", " || ")+rule())
		}
		out[i] = strings.Join(rules, "")
	}
	return out
}
