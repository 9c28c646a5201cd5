// Package demo generates the demo registry: invented pharmacies around real German towns,
// and a small gazetteer of those towns, so a fresh install shows a working portal. Every
// entry is marked as demo data; nothing here describes a real pharmacy.
package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/apoportal/apoportal/data"
)

type town struct {
	postcode, name, state string
	lat, lon              float64
	pharmacies            int
}

// Towns of the demo, with their centre and a postcode of it.
var towns = []town{
	{"10115", "Berlin", "Berlin", 52.5320, 13.3840, 40},
	{"20095", "Hamburg", "Hamburg", 53.5510, 10.0000, 30},
	{"80331", "München", "Bayern", 48.1345, 11.5710, 30},
	{"50667", "Köln", "Nordrhein-Westfalen", 50.9384, 6.9599, 25},
	{"60311", "Frankfurt am Main", "Hessen", 50.1112, 8.6831, 20},
	{"70173", "Stuttgart", "Baden-Württemberg", 48.7784, 9.1800, 15},
	{"40213", "Düsseldorf", "Nordrhein-Westfalen", 51.2254, 6.7763, 15},
	{"04109", "Leipzig", "Sachsen", 51.3397, 12.3731, 15},
	{"44135", "Dortmund", "Nordrhein-Westfalen", 51.5136, 7.4653, 12},
	{"45127", "Essen", "Nordrhein-Westfalen", 51.4556, 7.0116, 12},
	{"28195", "Bremen", "Bremen", 53.0793, 8.8017, 12},
	{"01067", "Dresden", "Sachsen", 51.0504, 13.7373, 12},
	{"30159", "Hannover", "Niedersachsen", 52.3759, 9.7320, 12},
	{"90402", "Nürnberg", "Bayern", 49.4521, 11.0767, 12},
	{"21614", "Buxtehude", "Niedersachsen", 53.4672, 9.6864, 8},
	{"24103", "Kiel", "Schleswig-Holstein", 54.3233, 10.1228, 8},
	{"18055", "Rostock", "Mecklenburg-Vorpommern", 54.0887, 12.1405, 8},
	{"79098", "Freiburg im Breisgau", "Baden-Württemberg", 47.9990, 7.8421, 8},
	{"48143", "Münster", "Nordrhein-Westfalen", 51.9607, 7.6261, 8},
	{"99084", "Erfurt", "Thüringen", 50.9787, 11.0328, 8},
	{"39104", "Magdeburg", "Sachsen-Anhalt", 52.1205, 11.6276, 8},
	{"55116", "Mainz", "Rheinland-Pfalz", 49.9929, 8.2473, 8},
	{"66111", "Saarbrücken", "Saarland", 49.2354, 6.9965, 8},
	{"14467", "Potsdam", "Brandenburg", 52.3989, 13.0657, 8},
	{"19053", "Schwerin", "Mecklenburg-Vorpommern", 53.6288, 11.4148, 6},
	{"93047", "Regensburg", "Bayern", 49.0134, 12.1016, 6},
	{"15230", "Frankfurt (Oder)", "Brandenburg", 52.3475, 14.5539, 5},
}

var (
	namePrefixes = []string{"Adler", "Löwen", "Stern", "Rats", "Markt", "Bahnhof", "Linden", "Rosen", "Sonnen",
		"Einhorn", "Hirsch", "Park", "Brunnen", "Kloster", "Schloss", "Mohren", "Engel", "Kronen"}
	streets = []string{"Hauptstraße", "Bahnhofstraße", "Marktplatz", "Lindenallee", "Schulstraße", "Gartenstraße",
		"Kirchstraße", "Poststraße", "Goethestraße", "Schillerstraße", "Ringstraße", "Am Rathaus"}
	hours = []string{"Mo-Fr 08:00-18:30; Sa 08:30-13:00", "Mo-Fr 08:00-19:00; Sa 09:00-14:00",
		"Mo-Fr 08:00-13:00,14:30-18:30; Sa 08:30-12:30", "Mo-Sa 08:00-20:00", "24/7"}
)

// Registry returns the demo pharmacies and gazetteer; the same every time.
func Registry() ([]data.Pharmacy, []data.Postcode) {
	rng := rand.New(rand.NewPCG(2021, 614))
	var ps []data.Pharmacy
	var pcs []data.Postcode
	n := 0
	for _, t := range towns {
		pcs = append(pcs, data.Postcode{Code: t.postcode, Place: t.name, State: t.state, Lat: t.lat, Lon: t.lon})
		for i := 0; i < t.pharmacies; i++ {
			n++
			name := namePrefixes[rng.IntN(len(namePrefixes))] + "-Apotheke"
			p := data.Pharmacy{
				ID: fmt.Sprintf("9%08d", n), Name: name, Street: streets[rng.IntN(len(streets))],
				HouseNumber: fmt.Sprint(1 + rng.IntN(120)), Postcode: t.postcode, City: t.name, State: t.state,
				Lat: t.lat + (rng.Float64()-0.5)*0.08, Lon: t.lon + (rng.Float64()-0.5)*0.12,
				Phone: fmt.Sprintf("0%d %d", 30+rng.IntN(900), 100000+rng.IntN(900000)), OpeningHours: hours[rng.IntN(len(hours))],
				Source:        data.SourceDemo,
				Participation: data.Participation{Participating: rng.Float64() < 0.7},
			}
			for _, s := range data.Services {
				if rng.Float64() < 0.35 {
					p.Services = append(p.Services, s)
				}
			}
			ps = append(ps, p)
		}
	}
	return ps, pcs
}
