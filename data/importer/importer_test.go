package importer

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/internal/testenv"
)

const registryHeader = "id,name,street,housenumber,postcode,city,state,lat,lon,phone,email,website,opening_hours,issues_certificates,services\n"

const goodRow = `305308613,Neue-Apotheke,Lindenstraße,98a,21614,Buxtehude,Niedersachsen,53.478903,9.685589,05140 8841144,,,"Mo-Fr 08:30-18:30; Sa 09:00-13:00",true,schnelltest;botendienst` + "\n"

func TestReadRegistry_SharedRegistry(t *testing.T) {
	f, err := os.Open(testenv.SharedData(t, "pharmacies_de.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := ReadRegistry(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 18666 {
		t.Fatalf("read %d pharmacies, want 18666", len(ps))
	}
	issuing := 0
	for _, p := range ps {
		if p.Participation.Participating {
			issuing++
		}
	}
	if issuing < 12000 || issuing > 14000 {
		t.Errorf("%d pharmacies issue certificates, want about 70 %%", issuing)
	}
}

func TestReadRegistry_ParsesARow(t *testing.T) {
	ps, err := ReadRegistry(strings.NewReader(registryHeader + goodRow))
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	if p.ID != "305308613" || p.HouseNumber != "98a" || p.Lat != 53.478903 || !p.Participation.Participating ||
		len(p.Services) != 2 || p.Services[1] != data.ServiceDelivery || p.OpeningHours != "Mo-Fr 08:30-18:30; Sa 09:00-13:00" {
		t.Errorf("parsed %+v", p)
	}
}

func TestReadRegistry_BadFilesNameLineAndField(t *testing.T) {
	row := func(replace, with string) string { return strings.Replace(goodRow, replace, with, 1) }
	tests := []struct {
		name  string
		file  string
		line  int
		field string
	}{
		{"empty", "", 1, ""},
		{"wrong header", "id;name;street\n" + goodRow, 1, "id"},
		{"missing column", strings.Replace(registryHeader, ",services", "", 1) + goodRow, 1, "services"},
		{"bad latitude", registryHeader + goodRow + row("53.478903", "5x.4"), 3, "lat"},
		{"swapped coordinates", registryHeader + row("53.478903,9.685589", "9.685589,53.478903"), 2, "lat"},
		{"longitude outside Germany", registryHeader + row("9.685589", "19.685589"), 2, "lon"},
		{"duplicate id", registryHeader + goodRow + goodRow, 3, "id"},
		{"short id", registryHeader + row("305308613", "3053"), 2, "id"},
		{"bad postcode", registryHeader + row("21614", "2161"), 2, "postcode"},
		{"empty name", registryHeader + row("Neue-Apotheke", ""), 2, "name"},
		{"bad flag", registryHeader + row(",true,", ",yes,"), 2, "issues_certificates"},
		{"unknown service", registryHeader + row("schnelltest;", "massage;"), 2, "services"},
		{"script website", registryHeader + row(",,,\"Mo", ",,javascript:alert(1),\"Mo"), 2, "website"},
		{"unterminated quote", registryHeader + goodRow + `305308614,"Alte Apotheke,x` + "\n", 3, ""},
		{"missing fields", registryHeader + "305308614,Alte Apotheke\n", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRegistry(strings.NewReader(tt.file))
			var de *data.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *data.Error", err)
			}
			if de.Code != data.EINVALID || de.Line != tt.line || de.Field != tt.field {
				t.Errorf("err = %q (line %d, field %q), want line %d, field %q", err, de.Line, de.Field, tt.line, tt.field)
			}
		})
	}
}

func TestReadOverpass_SharedSample(t *testing.T) {
	f, err := os.Open(testenv.SharedData(t, "pharmacies_overpass_sample.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := ReadOverpass(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 40 {
		t.Fatalf("read %d, want 40", len(ps))
	}
	noPostcode := 0
	for _, p := range ps {
		if p.Postcode == "" {
			noPostcode++
		}
		if !strings.HasPrefix(p.ID, "osm-") || p.Lat < 47 || p.Lon < 5 {
			t.Errorf("odd pharmacy %+v", p)
		}
	}
	if noPostcode != 6 {
		t.Errorf("%d without postcode, want 6", noPostcode)
	}
}

func TestReadOverpass_Geometries(t *testing.T) {
	const way = `{"type":"FeatureCollection","features":[{"type":"Feature","id":"way/1","properties":{"@id":"way/1","name":"Rats-Apotheke"},
	 "geometry":{"type":"Polygon","coordinates":[[[10,50],[10.002,50],[10.002,50.002],[10,50.002]]]}}]}`
	ps, err := ReadOverpass(strings.NewReader(way))
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].ID != "osm-way-1" || math.Abs(ps[0].Lat-50.001) > 1e-9 || math.Abs(ps[0].Lon-10.001) > 1e-9 {
		t.Errorf("got %+v", ps[0])
	}
}

func TestReadOverpass_BadFiles(t *testing.T) {
	const head = `{"type":"FeatureCollection","features":[`
	feature := func(id, props, geom string) string {
		return `{"type":"Feature","id":"` + id + `","properties":{"@id":"` + id + `"` + props + `},"geometry":` + geom + `}`
	}
	point := `{"type":"Point","coordinates":[9.68,53.47]}`
	tests := []struct {
		name, file, field string
		line              int
	}{
		{"truncated", head + "\n" + feature("node/1", `,"name":"A"`, point) + ",\n{\"type\":", "", 3},
		{"not json", "hello", "", 1},
		{"not a collection", `{"type":"Feature"}`, "type", 0},
		{"no name", head + feature("node/1", "", point) + "]}", "name", 0},
		{"bad id", head + feature("foo", `,"name":"A"`, point) + "]}", "@id", 0},
		{"duplicate", head + feature("node/1", `,"name":"A"`, point) + "," + feature("node/1", `,"name":"B"`, point) + "]}", "@id", 0},
		{"outside Germany", head + feature("node/1", `,"name":"A"`, `{"type":"Point","coordinates":[53.47,9.68]}`) + "]}", "geometry", 0},
		{"no geometry", head + feature("node/1", `,"name":"A"`, "null") + "]}", "geometry", 0},
		{"bad postcode", head + feature("node/1", `,"name":"A","addr:postcode":"D-1234"`, point) + "]}", "addr:postcode", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadOverpass(strings.NewReader(tt.file))
			var de *data.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *data.Error", err)
			}
			if de.Field != tt.field || de.Line != tt.line {
				t.Errorf("err = %q (line %d, field %q), want line %d, field %q", err, de.Line, de.Field, tt.line, tt.field)
			}
		})
	}
}

func TestReadGazetteer_SharedCSV(t *testing.T) {
	f, err := os.Open(testenv.SharedData(t, "geonames_de_postcodes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pcs, err := ReadGazetteer(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcs) != 23297 {
		t.Fatalf("read %d, want 23297", len(pcs))
	}
	states := map[string]bool{}
	for _, pc := range pcs {
		states[pc.State] = true
		if pc.Code == "21614" && (pc.Place != "Buxtehude" || pc.Organisation) {
			t.Errorf("21614 read as %+v", pc)
		}
	}
	for _, english := range []string{"Bavaria", "Land Berlin", "Lower Saxony"} {
		if states[english] {
			t.Errorf("state %q not normalised", english)
		}
	}
}

func TestReadGazetteer_GeoNamesTSV(t *testing.T) {
	const tsv = "DE\t21614\tBuxtehude\tNiedersachsen\tNI\t\t00\tLandkreis Stade\t03359\t53.4672\t9.6864\t4\n" +
		"DE\t80331\tMünchen\tBayern\tBY\tUpper Bavaria\t091\tKreisfreie Stadt München\t09162\t48.1345\t11.571\t4\n"
	pcs, err := ReadGazetteer(strings.NewReader(tsv))
	if err != nil {
		t.Fatal(err)
	}
	if len(pcs) != 2 || pcs[1].Place != "München" || pcs[1].Lat != 48.1345 || pcs[0].District != "Landkreis Stade" {
		t.Errorf("got %+v", pcs)
	}
}

func TestReadGazetteer_BadFiles(t *testing.T) {
	const header = "country_code,zipcode,place,state,state_code,province,province_code,community,community_code,latitude,longitude\n"
	tests := []struct {
		name, file, field string
		line              int
	}{
		{"empty", "", "", 1},
		{"wrong header", "plz,ort\n", "country_code", 1},
		{"bad postcode", header + "DE,2161,Buxtehude,Niedersachsen,NI,,,,,53.4,9.6\n", "zipcode", 2},
		{"bad latitude", header + "DE,21614,Buxtehude,Niedersachsen,NI,,,,,north,9.6\n", "latitude", 2},
		{"other country", "AT\t1010\tWien\tWien\t09\t\t\t\t\t48.2\t16.37\t4\n", "country_code", 1},
		{"short tsv line", "DE\t21614\tBuxtehude\n", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadGazetteer(strings.NewReader(tt.file))
			var de *data.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *data.Error", err)
			}
			if de.Field != tt.field || de.Line != tt.line {
				t.Errorf("err = %q (line %d, field %q), want line %d, field %q", err, de.Line, de.Field, tt.line, tt.field)
			}
		})
	}
}

func TestIsOrganisation(t *testing.T) {
	for place, want := range map[string]bool{
		"Buxtehude": false, "Frankfurt am Main": false, "Halle (Saale)": false, "Bad Neustadt an der Saale": false,
		"Daimler Insurance Services GmbH": true, "Amtsgericht": true, "Finanzamt Neustadt": true, "Deutsche Telekom AG": true,
	} {
		if got := IsOrganisation(place); got != want {
			t.Errorf("IsOrganisation(%q) = %v", place, got)
		}
	}
}

func FuzzReadRegistry(f *testing.F) {
	f.Add(registryHeader + goodRow)
	f.Add(registryHeader + `1,"x` + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadRegistry(strings.NewReader(s))
		if err != nil {
			var de *data.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *data.Error", err)
			}
			return
		}
		for _, p := range ps {
			if p.ID == "" || p.Lat < minLat || p.Lat > maxLat {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}

func FuzzReadOverpass(f *testing.F) {
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"node/1","properties":{"@id":"node/1","name":"A"},"geometry":{"type":"Point","coordinates":[9.68,53.47]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadOverpass(strings.NewReader(s))
		if err == nil {
			for _, p := range ps {
				if p.Name == "" || p.Lat < minLat || p.Lat > maxLat {
					t.Fatalf("accepted %+v", p)
				}
			}
		}
	})
}

func FuzzReadGazetteer(f *testing.F) {
	f.Add("DE\t21614\tBuxtehude\tNiedersachsen\tNI\t\t00\tLandkreis Stade\t03359\t53.4672\t9.6864\t4\n")
	f.Add("country_code,zipcode,place,state,state_code,province,province_code,community,community_code,latitude,longitude\nDE,21614,B,N,,,,,,53.4,9.6\n")
	f.Fuzz(func(t *testing.T, s string) {
		pcs, err := ReadGazetteer(strings.NewReader(s))
		if err == nil {
			for _, pc := range pcs {
				if len(pc.Code) != 5 || pc.Place == "" {
					t.Fatalf("accepted %+v", pc)
				}
			}
		}
	})
}

func TestDiff(t *testing.T) {
	stored := []data.Pharmacy{{ID: "1", Name: "A", City: "X", Lat: 53, Lon: 9}, {ID: "2", Name: "B", Lat: 53, Lon: 9}}
	incoming := []data.Pharmacy{
		{ID: "1", Name: "A", City: "Y", Lat: 53, Lon: 9, Participation: data.Participation{Participating: true}},
		{ID: "2", Name: "B", Lat: 53, Lon: 9},
		{ID: "3", Name: "C"},
	}
	p := Diff(stored, incoming)
	if len(p.New) != 1 || p.New[0].ID != "3" || p.Unchanged != 1 || len(p.Changed) != 1 ||
		len(p.Changed[0].Fields) != 1 || p.Changed[0].Fields[0] != (FieldChange{"city", "X", "Y"}) {
		t.Fatalf("preview %+v", p)
	}
}
