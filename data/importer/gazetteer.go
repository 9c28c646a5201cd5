package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/apoportal/apoportal/data"
)

// gazetteerCSVHeader is the header of our gazetteer CSV (GeoNames data as converted by
// zauberware/postal-codes-json-xml-csv).
var gazetteerCSVHeader = []string{"country_code", "zipcode", "place", "state", "state_code", "province",
	"province_code", "community", "community_code", "latitude", "longitude"}

// GeoNames' postal code dump (DE.txt) is tab-separated without a header: country code,
// postal code, place name, admin name 1..3 with codes, latitude, longitude, accuracy.
const geonamesColumns = 12

// GeoNames mixes German and English state names, and "Land Berlin" with "Berlin".
var stateNames = map[string]string{
	"Bavaria": "Bayern", "Lower Saxony": "Niedersachsen", "Land Berlin": "Berlin", "Saxony": "Sachsen",
	"Saxony-Anhalt": "Sachsen-Anhalt", "Thuringia": "Thüringen", "Mecklenburg-Western Pomerania": "Mecklenburg-Vorpommern",
	"North Rhine-Westphalia": "Nordrhein-Westfalen", "Hesse": "Hessen", "Rhineland-Palatinate": "Rheinland-Pfalz",
	"Baden-Wuerttemberg": "Baden-Württemberg", "Baden-Württemberg": "Baden-Württemberg",
}

// NormalizeState returns the German name of a federal state.
func NormalizeState(s string) string {
	if v, ok := stateNames[s]; ok {
		return v
	}
	return s
}

// Companies and authorities with a postcode of their own ("Großkundenpostleitzahl") are no
// place a citizen types; they are kept for their postcode but not offered as towns.
var organisationRE = regexp.MustCompile(`(?i)(gmbh|\bag\b|\beg\b|e\.\s?v\.|mbh|\bkg\b|\bohg\b|\bgbr\b|\bse\b|\bllp\b|a\.g\.|` +
	`gericht|finanzamt|verwaltung|agentur|bank|sparkasse|versicherung|verlag|deutsche[rns]?\b|bundes|ministerium|` +
	`universität|hochschule|kasse|\baok\b|\bdak\b|\bbkk\b|\bikk\b|landratsamt|polizei|rundfunk|telekom|gesellschaft|versand|zentrale|` +
	`klinik|bezirksamt|landesamt|amt\b|kammer|\bihk\b|stiftung|service|werke|postfach|senat|behörde|regierung|` +
	`krankenhaus|verband|bistum|landtag|versorgung|direktion|gruppe|holding|vertrieb|lotterie|zeitung|renten|` +
	`group|company|rechtsanwälte|jobcenter|job-center|staatsanwaltschaft|institut|fachbereich|anstalt|niederlassung|` +
	`filiale|\bbmw\b|&|\bu\.\s)`)

// IsOrganisation reports whether a gazetteer place name names a company or authority.
func IsOrganisation(place string) bool { return organisationRE.MatchString(place) }

// ReadGazetteer reads a postcode gazetteer, either our CSV (with header) or GeoNames'
// tab-separated postal code format, told apart by the first line.
func ReadGazetteer(r io.Reader) ([]data.Postcode, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(64)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, csvError(err)
	}
	if len(bytes.TrimSpace(first)) == 0 {
		return nil, &data.Error{Code: data.EINVALID, Line: 1, Message: "empty file: expected a gazetteer CSV or GeoNames postal codes"}
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	firstLine, _, _ := bytes.Cut(first, []byte("\n"))
	tsv := bytes.Contains(firstLine, []byte("\t"))
	if tsv {
		cr.Comma = '\t'
		cr.LazyQuotes = true
		cr.FieldsPerRecord = -1
	} else {
		header, err := cr.Read()
		if err != nil {
			return nil, csvError(err)
		}
		for i, h := range gazetteerCSVHeader {
			if i >= len(header) || strings.TrimPrefix(header[i], "\ufeff") != h {
				return nil, &data.Error{Code: data.EINVALID, Line: 1, Field: h,
					Message: "header must be " + strings.Join(gazetteerCSVHeader, ",")}
			}
		}
	}
	var pcs []data.Postcode
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		pc, err := gazetteerRow(line, rec, tsv)
		if err != nil {
			return nil, err
		}
		pcs = append(pcs, pc)
	}
	if len(pcs) == 0 {
		return nil, &data.Error{Code: data.EINVALID, Line: 1, Message: "no postcodes in file"}
	}
	return pcs, nil
}

func gazetteerRow(line int, rec []string, tsv bool) (data.Postcode, error) {
	// Column positions: ours has community where GeoNames has admin name 3; both keep
	// latitude and longitude in columns 10 and 11 (1-based).
	if tsv && len(rec) < geonamesColumns-1 {
		return data.Postcode{}, fieldError(line, "", "has %d tab-separated columns, GeoNames postal codes have %d", len(rec), geonamesColumns)
	}
	country := strings.TrimSpace(rec[0])
	if country != "DE" {
		return data.Postcode{}, fieldError(line, "country_code", "%q is not DE", country)
	}
	pc := data.Postcode{
		Code: strings.TrimSpace(rec[1]), Place: strings.TrimSpace(rec[2]), State: NormalizeState(strings.TrimSpace(rec[3])),
		District: strings.TrimSpace(rec[7]),
	}
	if !postcodeRE.MatchString(pc.Code) {
		return pc, fieldError(line, "zipcode", "%q is not a 5-digit postcode", pc.Code)
	}
	if pc.Place == "" {
		return pc, fieldError(line, "place", "is empty")
	}
	var err error
	if pc.Lat, err = parseCoordinate(line, "latitude", rec[9], minLat, maxLat); err != nil {
		return pc, err
	}
	if pc.Lon, err = parseCoordinate(line, "longitude", rec[10], minLon, maxLon); err != nil {
		return pc, err
	}
	pc.Organisation = IsOrganisation(pc.Place)
	return pc, nil
}
