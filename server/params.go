package main

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/views/i18n"
)

const maxQueryLength = 200

// errNoQuery is a search without anything to search for.
var errNoQuery = &data.Error{Code: data.EINVALID, Field: "q", Args: []any{},
	Message: i18n.Key("Geben Sie in q eine PLZ, einen Ort oder einen Namen an, oder lat und lon.")}

// invalid is a bad search parameter: format is a key of the catalogue (the API and the page
// word it in their language).
func invalid(field, format string, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return &data.Error{Code: data.EINVALID, Field: field, Message: format, Args: args}
}

// parseSearch reads the search parameters of the API and the search page.
func parseSearch(v url.Values) (search.Request, error) {
	r := search.Request{Q: strings.TrimSpace(v.Get("q")), RadiusKm: search.DefaultRadiusKm, Limit: search.DefaultLimit}
	if !utf8.ValidString(r.Q) || len(r.Q) > maxQueryLength || strings.ContainsAny(r.Q, "\x00") {
		return r, invalid("q", "muss gültiger Text mit höchstens %d Zeichen sein", maxQueryLength)
	}
	lat, lon := v.Get("lat"), v.Get("lon")
	if lat != "" || lon != "" {
		la, err := parseFloat("lat", lat, -90, 90)
		if err != nil {
			return r, err
		}
		lo, err := parseFloat("lon", lon, -180, 180)
		if err != nil {
			return r, err
		}
		r.Origin = &search.Point{Lat: la, Lon: lo}
	}
	if r.Q == "" && r.Origin == nil {
		return r, errNoQuery
	}
	var err error
	if s := v.Get("radius_km"); s != "" {
		if r.RadiusKm, err = parseFloat("radius_km", s, search.MinRadiusKm, search.MaxRadiusKm); err != nil {
			return r, err
		}
	}
	if r.Certificates, err = parseBool("certificates", v.Get("certificates")); err != nil {
		return r, err
	}
	if r.OpenNow, err = parseBool("open_now", v.Get("open_now")); err != nil {
		return r, err
	}
	seen := map[data.Service]bool{}
	for _, s := range v["service"] {
		svc, err := data.ParseService(s)
		if err != nil {
			return r, invalid("service", "%q ist kein bekanntes Angebot", s)
		}
		if !seen[svc] {
			seen[svc] = true
			r.Services = append(r.Services, svc)
		}
	}
	if r.Limit, err = parseInt("limit", v.Get("limit"), search.DefaultLimit, 1, search.MaxLimit); err != nil {
		return r, err
	}
	if r.Offset, err = parseInt("offset", v.Get("offset"), 0, 0, 10000); err != nil {
		return r, err
	}
	return r, nil
}

func parseFloat(field, s string, lo, hi float64) (float64, error) {
	if s == "" {
		return 0, invalid(field, "ist erforderlich")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, invalid(field, "%q ist keine Zahl", s)
	}
	if f < lo || f > hi {
		return 0, invalid(field, "muss zwischen %g und %g liegen", lo, hi)
	}
	return f, nil
}

func parseInt(field, s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalid(field, "%q ist keine ganze Zahl", s)
	}
	if n < lo || n > hi {
		return 0, invalid(field, "muss zwischen %d und %d liegen", lo, hi)
	}
	return n, nil
}

func parseBool(field, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false", "0":
		return false, nil
	case "true", "1", "on":
		return true, nil
	}
	return false, invalid(field, "%q ist weder true noch false", s)
}
