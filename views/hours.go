package views

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
)

// dayName is a weekday's short name: "Mo".
func dayName(ctx context.Context, d time.Weekday) string {
	switch d {
	case time.Monday:
		return tr(ctx, "Mo")
	case time.Tuesday:
		return tr(ctx, "Di")
	case time.Wednesday:
		return tr(ctx, "Mi")
	case time.Thursday:
		return tr(ctx, "Do")
	case time.Friday:
		return tr(ctx, "Fr")
	case time.Saturday:
		return tr(ctx, "Sa")
	}
	return tr(ctx, "So")
}

// openText says whether the pharmacy is open now and when that changes: "Jetzt geöffnet
// bis 18:30 Uhr", "Jetzt geschlossen, öffnet morgen um 08:00 Uhr". What follows an unknown
// state is not promised: "bis mindestens 18:00 Uhr".
func (c Card) openText(ctx context.Context) string {
	st := c.Opening
	switch {
	case st.State == openinghours.Unknown:
		return tr(ctx, "Öffnungszeiten unbekannt")
	case st.State == openinghours.Open && st.Until.IsZero():
		return tr(ctx, "Rund um die Uhr geöffnet")
	case st.State == openinghours.Open && st.Next == openinghours.Unknown:
		return tr(ctx, "Jetzt geöffnet bis mindestens %s", c.until(ctx, st.Until))
	case st.State == openinghours.Open:
		return tr(ctx, "Jetzt geöffnet bis %s", c.until(ctx, st.Until))
	case st.Until.IsZero() || st.Next != openinghours.Open:
		return tr(ctx, "Jetzt geschlossen")
	}
	now, opens := c.Now.In(data.Berlin()), st.Until.In(data.Berlin())
	switch days := daysBetween(now, opens); {
	case days == 0:
		return tr(ctx, "Jetzt geschlossen, öffnet um %s Uhr", clock(opens))
	case days == 1:
		return tr(ctx, "Jetzt geschlossen, öffnet morgen um %s Uhr", clock(opens))
	default:
		return tr(ctx, "Jetzt geschlossen, öffnet am %s um %s Uhr", opens.Format(tr(ctx, "02.01.")), clock(opens))
	}
}

// until is when an opening ends: "18:30 Uhr", "24:00 Uhr", "morgen 02:00 Uhr", or a date
// with its weekday further ahead ("Do 24.12., 00:00 Uhr").
func (c Card) until(ctx context.Context, t time.Time) string {
	now, end := c.Now.In(data.Berlin()), t.In(data.Berlin())
	switch days := daysBetween(now, end); {
	case days == 0:
		return tr(ctx, "%s Uhr", clock(end))
	case days == 1 && clock(end) == "00:00":
		return tr(ctx, "24:00 Uhr")
	case days == 1:
		return tr(ctx, "morgen %s Uhr", clock(end))
	}
	return dayName(ctx, end.Weekday()) + " " + end.Format(tr(ctx, "02.01., 15:04 Uhr"))
}

// daysBetween is how many calendar days in Berlin b is after a.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// holidayNote is the public holiday the opening hours' comment names, if it does: its
// name is translated, a mapper's comment is not.
func (c Card) holidayNote() string {
	if name, ok := data.PublicHoliday(c.Pharmacy.State, c.Now); ok && name == c.Opening.Comment {
		return name
	}
	return ""
}

func (c Card) isOpen() bool { return c.Opening.State == openinghours.Open }

// HoursDay is one row of the week view: a date, its holiday and its openings.
type HoursDay struct {
	Label   string // "Heute, Mo 21.12."
	Holiday string
	Text    string // "08:00–13:00, 14:30–18:30", "geschlossen"
	Notes   []string
}

// week is the coming seven days by date, with the date rules and holidays that apply to
// them, or nil when the opening hours cannot be read.
func (c Card) week(ctx context.Context) []HoursDay {
	if c.Hours == nil {
		return nil
	}
	days := c.Hours.Days(c.Now, 7, data.HolidaysIn(c.Pharmacy.State))
	out := make([]HoursDay, len(days))
	for i, d := range days {
		label := dayName(ctx, d.Date.Weekday()) + " " + d.Date.Format(tr(ctx, "02.01."))
		switch i {
		case 0:
			label = tr(ctx, "Heute, %s", label)
		case 1:
			label = tr(ctx, "Morgen, %s", label)
		}
		out[i] = HoursDay{Label: label, Holiday: d.Holiday, Text: intervalsText(ctx, d.Intervals)}
		for _, iv := range d.Intervals {
			if iv.Comment != "" && iv.Comment != d.Holiday && !contains(out[i].Notes, iv.Comment) {
				out[i].Notes = append(out[i].Notes, iv.Comment)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// intervalsText writes a day's openings: "08:00–18:30", "22:00–02:00", and "18:00–04:00
// (ohne Gewähr)" where the hours say unknown (an open end "18:00+", a comment alone).
func intervalsText(ctx context.Context, ivs []openinghours.Interval) string {
	if len(ivs) == 0 {
		return tr(ctx, "geschlossen")
	}
	texts := make([]string, len(ivs))
	for i, iv := range ivs {
		span := fmt.Sprintf("%s–%s", minuteText(iv.Start), minuteText(iv.End))
		if iv.State == openinghours.Unknown {
			span = tr(ctx, "%s (ohne Gewähr)", span)
		}
		texts[i] = span
	}
	return strings.Join(texts, ", ")
}

// minuteText writes minutes after midnight as a clock time; 24:00 is midnight at the end of
// the day, later times are the next day's.
func minuteText(m int) string {
	if m != 1440 {
		m %= 1440
	}
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}
