package data

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/de"
)

// Public holidays by Bundesland, from github.com/rickar/cal/v2 (its German lists, kept up to
// date there: Frauentag in Berlin, Weltkindertag in Thüringen, Buß- und Bettag in Sachsen).
// Holidays of single towns or communes (Augsburger Friedensfest, Mariä Himmelfahrt in
// Catholic Bavaria, Fronleichnam in parts of Sachsen and Thüringen) are not known: there
// such a pharmacy's PH rule is not applied, and the day shows its weekday's hours.
var holidaysByState = map[string][]*cal.Holiday{
	"Baden-Württemberg":      de.HolidaysBW,
	"Bayern":                 de.HolidaysBY,
	"Berlin":                 de.HolidaysBE,
	"Brandenburg":            de.HolidaysBB,
	"Bremen":                 de.HolidaysHB,
	"Hamburg":                de.HolidaysHH,
	"Hessen":                 de.HolidaysHE,
	"Mecklenburg-Vorpommern": append(de.HolidaysMV[:len(de.HolidaysMV):len(de.HolidaysMV)], frauentagMV),
	"Niedersachsen":          de.HolidaysNI,
	"Nordrhein-Westfalen":    de.HolidaysNW,
	"Rheinland-Pfalz":        de.HolidaysRP,
	"Saarland":               de.HolidaysSL,
	"Sachsen":                de.HolidaysSN,
	"Sachsen-Anhalt":         de.HolidaysST,
	"Schleswig-Holstein":     de.HolidaysSH,
	"Thüringen":              de.HolidaysTH,
}

// frauentagMV: Mecklenburg-Vorpommern has kept 8 March since 2023; the library's list
// (v2.1.32) does not have it yet.
var frauentagMV = de.Frauentag.Clone(&cal.Holiday{StartYear: 2023})

// PublicHoliday returns the name of the public holiday on t's calendar day in Berlin in the
// Bundesland state. For a state we do not know (empty, misspelt) only the nine holidays of
// every Land count.
func PublicHoliday(state string, t time.Time) (string, bool) {
	t = t.In(berlin)
	list, ok := holidaysByState[state]
	if !ok {
		list = de.Holidays
	}
	for _, h := range list {
		if h.Type != cal.ObservancePublic {
			continue
		}
		if actual, _ := h.Calc(t.Year()); !actual.IsZero() && actual.Month() == t.Month() && actual.Day() == t.Day() {
			return h.Name, true
		}
	}
	return "", false
}

// HolidaysIn is PublicHoliday for one Bundesland, as OpenAt asks it.
func HolidaysIn(state string) func(time.Time) bool {
	return func(t time.Time) bool {
		_, ok := PublicHoliday(state, t)
		return ok
	}
}
