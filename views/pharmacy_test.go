package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/apoportal/apoportal/data"
)

// The week view shows the PH rule's hours, and names the holidays of the pharmacy's Land in
// the coming seven days with that day's hours.
func TestPharmacyPage_MarksHolidays(t *testing.T) {
	render := func(hours, state string, now time.Time) *goquery.Document {
		t.Helper()
		var b strings.Builder
		card := Card{Pharmacy: data.Pharmacy{ID: "1", Name: "Stadt-Apotheke", City: "Dresden", State: state, OpeningHours: hours}, Now: now}
		if err := PharmacyPage(Detail{Card: card}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	friday := time.Date(2027, 5, 14, 10, 0, 0, 0, data.Berlin()) // Pfingstmontag is on the 17th
	d := render("Mo-Fr 08:00-18:00; Sa 09:00-13:00; PH off", "Sachsen", friday)
	if rows := d.Find("[data-testid=hours] tr"); rows.Length() != 8 || rows.Last().Text() != "Feiertagegeschlossen" {
		t.Errorf("%d rows, last %q", rows.Length(), rows.Last().Text())
	}
	if got := d.Find("[data-testid=holidays-ahead]").Text(); !strings.Contains(got, "Pfingstmontag, Mo 17.05.: geschlossen") {
		t.Errorf("holidays ahead: %q", got)
	}
	d = render("Mo-Fr 08:00-18:00", "Sachsen", friday) // no PH rule: the Monday's hours
	if got := d.Find("[data-testid=holidays-ahead]").Text(); d.Find("[data-testid=hours] tr").Length() != 7 ||
		!strings.Contains(got, "Pfingstmontag, Mo 17.05.: 08:00–18:00") {
		t.Errorf("without a PH rule: %q", got)
	}
	if d := render("Mo-Fr 08:00-18:00; PH off", "Sachsen", friday.AddDate(0, 0, 7)); d.Find("[data-testid=holidays-ahead]").Length() != 0 {
		t.Error("a holiday named where there is none for a week")
	}
	if got := render("Mo-Fr 08:00-18:00; PH off", "Sachsen", time.Date(2026, 11, 16, 9, 0, 0, 0, data.Berlin())).
		Find("[data-testid=holidays-ahead]").Text(); !strings.Contains(got, "Buß- und Bettag, Mi 18.11.: geschlossen") {
		t.Errorf("Sachsen in November: %q", got)
	}
}
