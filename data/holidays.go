package data

import (
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/de"
)

// Public holidays by Bundesland, from github.com/rickar/cal/v2 (its German lists, kept up to
// date there: Frauentag in Berlin, Weltkindertag in Thüringen, Buß- und Bettag in Sachsen),
// with what the library lacks: Frauentag in Mecklenburg-Vorpommern since 2023, Easter and
// Whit Sunday in Brandenburg. Holidays of only part of a Land (Mariä Himmelfahrt in Bavaria's
// Catholic communes, the Augsburger Friedensfest) are uncertainHolidays: on those days the
// opening hours are unknown where a PH rule would change them. Fronleichnam in parts of
// Sachsen and Thüringen is not known (the reference evaluator does not know it either).
var holidaysByState = map[string][]*cal.Holiday{
	"Baden-Württemberg":      de.HolidaysBW,
	"Bayern":                 de.HolidaysBY,
	"Berlin":                 de.HolidaysBE,
	"Brandenburg":            append(de.HolidaysBB[:len(de.HolidaysBB):len(de.HolidaysBB)], ostersonntag, pfingstsonntag),
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

// Easter and Whit Sunday are public holidays in Brandenburg (Feiertagsgesetz § 2); the
// library's list lacks them.
var (
	ostersonntag   = aa.Easter.Clone(&cal.Holiday{Name: "Ostersonntag", Type: cal.ObservancePublic})
	pfingstsonntag = aa.Pentecost.Clone(&cal.Holiday{Name: "Pfingstsonntag", Type: cal.ObservancePublic})
)

// uncertainHolidays are public holidays in only part of a Land.
var uncertainHolidays = map[string][]*cal.Holiday{
	"Bayern": {de.MariaHimmelfahrt, de.Friedensfest},
}

// PublicHoliday returns the name of the public holiday on t's calendar day in Berlin in the
// Bundesland state. For a state we do not know (empty, misspelt) only the nine holidays of
// every Land count.
func PublicHoliday(state string, t time.Time) (string, bool) {
	t = t.In(berlin)
	return HolidaysIn(state).Holiday(t.Year(), t.Month(), t.Day())
}

// HolidaysIn is the public holidays of the Bundesland state, as opening hours ask for them.
func HolidaysIn(state string) *Holidays {
	tables := holidayTable()
	if _, ok := holidaysByState[state]; !ok {
		state = ""
	}
	return tables[state]
}

// Holidays are one Land's: a table of the years most asked, else computed.
type Holidays struct {
	list, uncertain []*cal.Holiday
	table           map[int32]string
}

// Holiday is the name of the public holiday on a calendar day, if it is one.
func (h *Holidays) Holiday(year int, month time.Month, day int) (string, bool) {
	if year >= tableFrom && year < tableTo {
		name, ok := h.table[dayKey(year, month, day)]
		return name, ok
	}
	return holidayOn(h.list, year, month, day)
}

// Uncertain is the name of a public holiday of only part of the Land on a calendar day.
func (h *Holidays) Uncertain(year int, month time.Month, day int) (string, bool) {
	if len(h.uncertain) == 0 {
		return "", false
	}
	return holidayOn(h.uncertain, year, month, day)
}

// The holidays of the years most asked, computed once: opening hours ask for every day
// they evaluate, and the library computes Easter and each rule anew on every call.
const tableFrom, tableTo = 2015, 2045

var holidayTable = sync.OnceValue(func() map[string]*Holidays {
	out := map[string]*Holidays{"": {list: de.Holidays, table: holidaysOf(de.Holidays)}}
	for state, list := range holidaysByState {
		out[state] = &Holidays{list: list, uncertain: uncertainHolidays[state], table: holidaysOf(list)}
	}
	return out
})

func holidaysOf(list []*cal.Holiday) map[int32]string {
	out := map[int32]string{}
	for y := tableFrom; y < tableTo; y++ {
		for _, h := range list {
			if h.Type != cal.ObservancePublic {
				continue
			}
			if actual, _ := h.Calc(y); !actual.IsZero() && actual.Year() == y {
				out[dayKey(actual.Year(), actual.Month(), actual.Day())] = h.Name
			}
		}
	}
	return out
}

func dayKey(year int, month time.Month, day int) int32 {
	return int32(year*10000 + int(month)*100 + day)
}

func holidayOn(list []*cal.Holiday, year int, month time.Month, day int) (string, bool) {
	for _, h := range list {
		if h.Type != cal.ObservancePublic {
			continue
		}
		if actual, _ := h.Calc(year); !actual.IsZero() && actual.Month() == month && actual.Day() == day {
			return h.Name, true
		}
	}
	return "", false
}
