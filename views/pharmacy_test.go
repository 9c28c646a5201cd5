package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/views/i18n"
)

func testCard(t *testing.T, hours, state string, now time.Time) Card {
	t.Helper()
	h, _ := openinghours.Parse(hours)
	return NewCard(data.Pharmacy{ID: "1", Name: "Stadt-Apotheke", City: "Dresden", State: state, OpeningHours: hours}, h, now, 0)
}

// The week view is the coming seven days by date: the PH rule on the Land's holidays, named
// in their row, date rules on their dates, and the night after a day in its row.
func TestPharmacyPage_WeekByDates(t *testing.T) {
	week := func(hours, state string, now time.Time) []string {
		t.Helper()
		var b strings.Builder
		if err := PharmacyPage(Detail{Card: testCard(t, hours, state, now)}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		d.Find("[data-testid=hours] tr").Each(func(_ int, s *goquery.Selection) {
			rows = append(rows, strings.Join(strings.Fields(s.Find("th").Text()+" | "+s.Find("td").Text()), " "))
		})
		return rows
	}
	friday := time.Date(2027, 5, 14, 10, 0, 0, 0, data.Berlin()) // Pfingstmontag is on the 17th
	for _, c := range []struct {
		hours, state string
		now          time.Time
		want         []string
	}{
		{"Mo-Fr 08:00-18:00; Sa 09:00-13:00; PH off", "Sachsen", friday, []string{
			"Heute, Fr 14.05. | 08:00–18:00", "Morgen, Sa 15.05. | 09:00–13:00", "So 16.05. | geschlossen",
			"Mo 17.05. Pfingstmontag | geschlossen", "Di 18.05. | 08:00–18:00", "Mi 19.05. | 08:00–18:00", "Do 20.05. | 08:00–18:00"}},
		{"Mo-Fr 08:00-18:00", "Sachsen", friday, []string{ // no PH rule: the Monday's hours
			"Heute, Fr 14.05. | 08:00–18:00", "Morgen, Sa 15.05. | geschlossen", "So 16.05. | geschlossen",
			"Mo 17.05. Pfingstmontag | 08:00–18:00", "Di 18.05. | 08:00–18:00", "Mi 19.05. | 08:00–18:00", "Do 20.05. | 08:00–18:00"}},
		{`Mo-Fr 08:00-18:30; Sa 08:30-13:00; Dec 24,31 08:00-12:00; Dec 25,26 off; Su 22:00-02:00; Sa 13:00-18:00 "Botendienst"`, "Sachsen",
			time.Date(2026, 12, 23, 9, 0, 0, 0, data.Berlin()), []string{
				"Heute, Mi 23.12. | 08:00–18:30", "Morgen, Do 24.12. | 08:00–12:00", "Fr 25.12. Weihnachtstag | geschlossen",
				"Sa 26.12. Zweiter Weihnachtsfeiertag | 13:00–18:00 (ohne Gewähr) „Botendienst“", "So 27.12. | 22:00–02:00", "Mo 28.12. | 08:00–18:30", "Di 29.12. | 08:00–18:30"}},
		{`Sa 08:30-13:00, Sa 13:00-18:00 "Botendienst"; Su 18:00+`, "Sachsen", time.Date(2026, 12, 5, 9, 0, 0, 0, data.Berlin()), []string{
			"Heute, Sa 05.12. | 08:30–13:00, 13:00–18:00 (ohne Gewähr) „Botendienst“", "Morgen, So 06.12. | 18:00–04:00 (ohne Gewähr)",
			"Mo 07.12. | geschlossen", "Di 08.12. | geschlossen", "Mi 09.12. | geschlossen", "Do 10.12. | geschlossen", "Fr 11.12. | geschlossen"}},
	} {
		if got := week(c.hours, c.state, c.now); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%q from %s:\n%s\nwant\n%s", c.hours, c.now.Format(time.DateOnly), strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// A card says until when a pharmacy is open, or when it opens, in the reader's language.
func TestCard_SaysWhenTheStateChanges(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, data.Berlin())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	en := i18n.With(context.Background(), i18n.English)
	for _, c := range []struct {
		hours, at string
		ctx       context.Context
		want      string
	}{
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2026-12-07 10:00", nil, "Jetzt geöffnet bis 18:30 Uhr"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2026-12-07 10:00", en, "Open now until 18:30"},
		{"Mo-Fr 08:00-13:00,14:30-18:30", "2026-12-07 13:30", nil, "Jetzt geschlossen, öffnet um 14:30 Uhr"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2026-12-07 19:00", nil, "Jetzt geschlossen, öffnet morgen um 08:00 Uhr"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "2026-12-07 19:00", en, "Closed now, opens tomorrow at 08:00"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00; Dec 24-26 off", "2026-12-23 19:00", nil, "Jetzt geschlossen, öffnet am 28.12. um 08:00 Uhr"},
		{"Mo-Fr 08:00-18:30; Sa 08:30-13:00; Dec 24-26 off", "2026-12-23 19:00", en, "Closed now, opens on 28 Dec at 08:00"},
		{"Mo-Sa 08:00-24:00", "2026-12-07 20:00", nil, "Jetzt geöffnet bis 24:00 Uhr"},
		{"Fr 18:00-02:00", "2026-12-04 20:00", nil, "Jetzt geöffnet bis morgen 02:00 Uhr"},
		{"Mo-Su 00:00-24:00; Dec 24 off", "2026-12-20 20:00", nil, "Jetzt geöffnet bis Do 24.12., 00:00 Uhr"},
		{"24/7", "2026-12-07 03:00", nil, "Rund um die Uhr geöffnet"},
		{"Mo-Fr 08:00-18:00+", "2026-12-07 10:00", nil, "Jetzt geöffnet bis mindestens 18:00 Uhr"},
		{`Mo-Fr 08:00-18:00 || "nach Vereinbarung"`, "2026-12-05 10:00", nil, "Öffnungszeiten unbekannt „nach Vereinbarung“"},
		{"Mo-Fr 08:00-18:00; PH off", "2026-12-25 10:00", nil, "Jetzt geschlossen, öffnet am 28.12. um 08:00 Uhr (Weihnachtstag)"},
		{"Mo-Fr 08:00-18:00; PH off", "2026-12-25 10:00", en, "Closed now, opens on 28 Dec at 08:00 (Christmas Day)"},
		{"off", "2026-12-07 10:00", nil, "Jetzt geschlossen"},
		{"nach Vereinbarung", "2026-12-07 10:00", nil, "Öffnungszeiten unbekannt"},
	} {
		ctx := c.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		var b strings.Builder
		if err := card(testCard(t, c.hours, "Sachsen", at(c.at)), true).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(strings.Fields(d.Find("[data-testid=open]").Text()), " "); got != c.want {
			t.Errorf("%q at %s: %q, want %q", c.hours, c.at, got, c.want)
		}
	}
}
