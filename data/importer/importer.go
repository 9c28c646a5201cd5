// Package importer reads the files operators feed the portal: the pharmacy registry CSV,
// OpenStreetMap Overpass GeoJSON exports, and postcode gazetteers (our CSV and GeoNames'
// tab-separated format). Readers only parse and validate; they return the first error with
// the line (or feature) and field at fault, so a bad file is rejected before anything is
// stored.
package importer

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/apoportal/apoportal/data"
)

// Germany's bounding box with a margin: coordinates outside it are typos (swapped lat/lon,
// a lost decimal point), not pharmacies.
const (
	minLat, maxLat = 47.0, 55.2
	minLon, maxLon = 5.5, 15.5
)

var postcodeRE = regexp.MustCompile(`^[0-9]{5}$`)

func fieldError(line int, field, format string, args ...any) *data.Error {
	return &data.Error{Code: data.EINVALID, Line: line, Field: field, Message: fmt.Sprintf(format, args...)}
}

func parseCoordinate(line int, field, s string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fieldError(line, field, "%q is not a number", s)
	}
	if v < lo || v > hi {
		return 0, fieldError(line, field, "%v is outside Germany (%v to %v)", v, lo, hi)
	}
	return v, nil
}

// checkWebsite accepts only http(s) addresses: the portal links to them.
func checkWebsite(line int, field, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldError(line, field, "%q is not an http(s) address", s)
	}
	return nil
}
