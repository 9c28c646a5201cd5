package data

import (
	"sync"
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
	return HolidaysIn(state)(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}

// HolidaysIn is the public holidays of the Bundesland state as opening hours ask for them:
// the name of the holiday on a calendar day (a date at midnight UTC), if it is one.
func HolidaysIn(state string) func(day time.Time) (string, bool) {
	tables := holidayTable()
	if _, ok := holidaysByState[state]; !ok {
		state = ""
	}
	return tables[state].on
}

// holidays are one Land's: a table of the years most asked, else computed.
type holidays struct {
	list  []*cal.Holiday
	table map[int32]string
}

func (h *holidays) on(day time.Time) (string, bool) {
	if y := day.Year(); y >= tableFrom && y < tableTo {
		name, ok := h.table[dayKey(day)]
		return name, ok
	}
	return holidayOn(h.list, day)
}

// The holidays of the years most asked, computed once: opening hours ask for every day
// they evaluate, and the library computes Easter and each rule anew on every call.
const tableFrom, tableTo = 2015, 2045

var holidayTable = sync.OnceValue(func() map[string]*holidays {
	out := map[string]*holidays{"": {list: de.Holidays, table: holidaysOf(de.Holidays)}}
	for state, list := range holidaysByState {
		out[state] = &holidays{list: list, table: holidaysOf(list)}
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
				out[dayKey(actual)] = h.Name
			}
		}
	}
	return out
}

func dayKey(t time.Time) int32 { return int32(t.Year()*10000 + int(t.Month())*100 + t.Day()) }

func holidayOn(list []*cal.Holiday, day time.Time) (string, bool) {
	for _, h := range list {
		if h.Type != cal.ObservancePublic {
			continue
		}
		if actual, _ := h.Calc(day.Year()); !actual.IsZero() && actual.Month() == day.Month() && actual.Day() == day.Day() {
			return h.Name, true
		}
	}
	return "", false
}
