package meili

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// An answer as Meilisearch 1.3 sends it for a geo search: every field of our documents,
// a pause and a confirmation, nulls, and the distance.
const sampleAnswer = `{"hits":[{"id":"304320596","name":"Medicus-Apotheke","street":"Karlstraße","housenumber":"13",` +
	`"postcode":"60529","city":"Frankfurt am Main","state":"Hessen","_geo":{"lat":50.092041,"lng":8.595287},` +
	`"phone":"06135 6890994","email":"info@medicus-apotheke.de","website":"https://www.medicus-apotheke.de",` +
	`"opening_hours":"Mo-Fr 08:00-18:30; Sa 08:30-13:00","services":[],"source":"registry","participating":true,` +
	`"paused_until_ts":0,"confirmed_at_ts":0,"paused_until":null,"note":"","confirmed_at":null,"_geoDistance":947},` +
	`{"id":"307994261","name":"Gesundheits-Apotheke \"Am Markt\" \u00e4","street":"","housenumber":"","postcode":"60311",` +
	`"city":"Frankfurt","state":"","_geo":{"lat":50.11,"lng":8.68},"phone":"","email":"","website":"","opening_hours":"24/7",` +
	`"services":["delivery","vaccination"],"source":"osm","participating":false,"paused_until_ts":1796323111,` +
	`"confirmed_at_ts":1796300000,"paused_until":"2026-12-03T18:38:31Z","note":"Server gestört",` +
	`"confirmed_at":"2026-12-03T12:13:20.5+01:00","_geoDistance":6210.5}],` +
	`"query":"","processingTimeMs":1,"limit":20,"offset":0,"estimatedTotalHits":114}`

func TestDecodeAnswer_ReadsWhatEncodingJSONReads(t *testing.T) {
	got, err := decodeAnswer([]byte(sampleAnswer))
	if err != nil {
		t.Fatal(err)
	}
	var want searchAnswer
	if err := json.Unmarshal([]byte(sampleAnswer), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || len(got.Hits) != 2 || got.EstimatedTotalHits != 114 ||
		got.Hits[1].PausedUntil == nil || *got.Hits[0].GeoDistance != 947 {
		t.Fatalf("decoded\n%+v\nencoding/json\n%+v", got, want)
	}
	for _, bad := range []string{"", "{", `{"hits":[{"id":1}]}`, `{"hits":{}}`, `{"hits":[{"paused_until":"yesterday"}]}`} {
		if _, err := decodeAnswer([]byte(bad)); err == nil {
			t.Errorf("%q decoded without an error", bad)
		}
	}
}

// FuzzDecodeAnswer: for answers as Meilisearch writes them (our documents, each key once,
// valid UTF-8) with any values, decodeAnswer reads what encoding/json reads; and on any
// bytes at all it never panics (a panic would be turned into an error, but is a bug). Raw
// bytes are not held to encoding/json's reading: of invalid UTF-8 in a string it makes
// U+FFFD where go-json keeps the bytes, and of keys repeated in other cases it keeps the
// last where go-json keeps the exact one, neither of which Meilisearch sends.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add("Medicus-Apotheke", "Karlstraße \"13\" <b>", "Mo-Fr 08:00-18:30", 50.092041, 8.595287, 947.0, int64(1796323111), true, sampleAnswer)
	f.Add("", "\u2028\x00", "24/7", 0.0, 1e-7, 1.5e3, int64(0), false, `{"hits":[],"estimatedTotalHits":0}`)
	f.Fuzz(func(t *testing.T, name, street, hours string, lat, lng, distance float64, ts int64, on bool, raw string) {
		decodeAnswer([]byte(raw)) // must not panic
		at := time.Unix(ts, 0).UTC()
		d := document{ID: "304320596", Name: name, Street: street, OpeningHours: hours, Geo: geo{lat, lng},
			GeoDistance: &distance, Participating: on, PausedUntilTS: ts, PausedUntil: &at, Services: []string{name}}
		answer, err := json.Marshal(searchAnswer{Hits: []document{d, {ID: street, Note: hours}}, EstimatedTotalHits: ts})
		if err != nil { // NaN, infinities, years beyond 9999: not JSON, nothing to compare
			return
		}
		var want searchAnswer
		if err := json.Unmarshal(answer, &want); err != nil {
			t.Fatal(err)
		}
		got, err := decodeAnswer(answer)
		if err != nil {
			t.Fatalf("%s: %v", answer, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\ndecoded       %+v\nencoding/json %+v", answer, got, want)
		}
	})
}
