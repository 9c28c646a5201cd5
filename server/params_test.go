package main

import (
	"net/url"
	"testing"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/search"
)

func TestParseSearch_Defaults(t *testing.T) {
	r, err := parseSearch(url.Values{"q": {" 21614 "}, "service": {"impfung", "impfung", "schnelltest"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Q != "21614" || r.RadiusKm != 10 || r.Limit != 20 || r.Offset != 0 || len(r.Services) != 2 {
		t.Errorf("got %+v", r)
	}
}

func FuzzParseSearch(f *testing.F) {
	f.Add("21614", "53.4", "9.7", "10", "20", "0", "true", "impfung")
	f.Add("", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, q, lat, lon, radius, limit, offset, cert, service string) {
		v := url.Values{"q": {q}, "lat": {lat}, "lon": {lon}, "radius_km": {radius}, "limit": {limit},
			"offset": {offset}, "certificates": {cert}, "service": {service}}
		r, err := parseSearch(v)
		if err != nil {
			if data.ErrorCode(err) != data.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if r.RadiusKm < search.MinRadiusKm || r.RadiusKm > search.MaxRadiusKm || r.Limit < 1 || r.Limit > search.MaxLimit || r.Offset < 0 {
			t.Fatalf("accepted %+v", r)
		}
		if r.Origin != nil && (r.Origin.Lat < -90 || r.Origin.Lat > 90) {
			t.Fatalf("accepted origin %+v", r.Origin)
		}
	})
}
