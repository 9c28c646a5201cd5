package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/apoportal/apoportal/data"
)

// RegistryColumns are the columns of the registry CSV, in the order we write them.
var RegistryColumns = []string{"id", "name", "street", "housenumber", "postcode", "city", "state", "lat", "lon",
	"phone", "email", "website", "opening_hours", "issues_certificates", "services"}

var registryIDRE = regexp.MustCompile(`^[0-9]{9}$`)

// ReadRegistry reads a registry CSV with a header naming at least RegistryColumns (in any
// order). It rejects the whole file at the first bad line.
func ReadRegistry(r io.Reader) ([]data.Pharmacy, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &data.Error{Code: data.EINVALID, Line: 1, Message: "empty file: expected a header with " + strings.Join(RegistryColumns, ",")}
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range RegistryColumns {
		if _, ok := col[c]; !ok {
			return nil, &data.Error{Code: data.EINVALID, Line: 1, Field: c,
				Message: fmt.Sprintf("header has no column %q (expected %s)", c, strings.Join(RegistryColumns, ","))}
		}
	}
	var ps []data.Pharmacy
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		p, err := registryPharmacy(line, get)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[p.ID]; dup {
			return nil, fieldError(line, "id", "%s already appears on line %d", p.ID, first)
		}
		seen[p.ID] = line
		ps = append(ps, p)
	}
	return ps, nil
}

func registryPharmacy(line int, get func(string) string) (data.Pharmacy, error) {
	p := data.Pharmacy{
		ID: get("id"), Name: get("name"), Street: get("street"), HouseNumber: get("housenumber"),
		Postcode: get("postcode"), City: get("city"), State: get("state"), Phone: get("phone"),
		Email: get("email"), Website: get("website"), OpeningHours: get("opening_hours"), Source: data.SourceRegistry,
	}
	if !registryIDRE.MatchString(p.ID) {
		return p, fieldError(line, "id", "%q is not a 9-digit registry id", p.ID)
	}
	if p.Name == "" {
		return p, fieldError(line, "name", "is empty")
	}
	if !postcodeRE.MatchString(p.Postcode) {
		return p, fieldError(line, "postcode", "%q is not a 5-digit postcode", p.Postcode)
	}
	if p.City == "" {
		return p, fieldError(line, "city", "is empty")
	}
	var err error
	if p.Lat, err = parseCoordinate(line, "lat", get("lat"), minLat, maxLat); err != nil {
		return p, err
	}
	if p.Lon, err = parseCoordinate(line, "lon", get("lon"), minLon, maxLon); err != nil {
		return p, err
	}
	if err := checkWebsite(line, "website", p.Website); err != nil {
		return p, err
	}
	switch v := get("issues_certificates"); v {
	case "true":
		p.Participation.Participating = true
	case "false":
	default:
		return p, fieldError(line, "issues_certificates", "%q is neither true nor false", v)
	}
	if s := get("services"); s != "" {
		for _, name := range strings.Split(s, ";") {
			svc, err := data.ParseService(strings.TrimSpace(name))
			if err != nil {
				return p, fieldError(line, "services", "%v", err)
			}
			p.Services = append(p.Services, svc)
		}
	}
	return p, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &data.Error{Code: data.EINVALID, Line: pe.Line, Message: pe.Err.Error()}
	}
	return fmt.Errorf("read csv: %w", err)
}
