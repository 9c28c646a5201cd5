package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apoportal/apoportal/data"
)

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
	Geometry   *geometry      `json:"geometry"`
}

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// ReadOverpass reads an OpenStreetMap Overpass export as GeoJSON: points, and ways or
// relations as lines or polygons (placed at the mean of their vertices). A missing
// addr:postcode is tolerated, as real OSM data often lacks it. Errors name the feature
// (1-based, with its OSM id) and the property at fault.
func ReadOverpass(r io.Reader) ([]data.Pharmacy, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read geojson: %w", err)
	}
	var fc featureCollection
	if err := json.Unmarshal(body, &fc); err != nil {
		return nil, jsonError(body, err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, &data.Error{Code: data.EINVALID, Field: "type", Message: fmt.Sprintf("%q is not a FeatureCollection", fc.Type)}
	}
	var ps []data.Pharmacy
	seen := map[string]int{}
	for i, f := range fc.Features {
		n := i + 1
		p, err := osmPharmacy(f)
		if err != nil {
			var de *data.Error
			if errors.As(err, &de) {
				de.Message = fmt.Sprintf("feature %d (%s): %s", n, f.ID, de.Message)
			}
			return nil, err
		}
		if first, dup := seen[p.ID]; dup {
			return nil, &data.Error{Code: data.EINVALID, Field: "@id", Message: fmt.Sprintf("feature %d: %s already appears as feature %d", n, f.ID, first)}
		}
		seen[p.ID] = n
		ps = append(ps, p)
	}
	return ps, nil
}

func osmPharmacy(f feature) (data.Pharmacy, error) {
	tag := func(k string) string {
		v, _ := f.Properties[k].(string)
		return strings.TrimSpace(v)
	}
	osmID := tag("@id")
	if osmID == "" {
		osmID = f.ID
	}
	kind, num, ok := strings.Cut(osmID, "/")
	if !ok || (kind != "node" && kind != "way" && kind != "relation") || num == "" || strings.Trim(num, "0123456789") != "" {
		return data.Pharmacy{}, &data.Error{Code: data.EINVALID, Field: "@id", Message: fmt.Sprintf("%q is not an OSM id like node/123", osmID)}
	}
	p := data.Pharmacy{
		ID: "osm-" + kind + "-" + num, Name: tag("name"), Street: tag("addr:street"), HouseNumber: tag("addr:housenumber"),
		Postcode: tag("addr:postcode"), City: tag("addr:city"), Phone: tag("phone"), Email: tag("email"),
		Website: tag("website"), OpeningHours: tag("opening_hours"), Source: data.SourceOSM,
	}
	if p.Name == "" {
		return p, &data.Error{Code: data.EINVALID, Field: "name", Message: "is missing"}
	}
	if p.Postcode != "" && !postcodeRE.MatchString(p.Postcode) {
		return p, &data.Error{Code: data.EINVALID, Field: "addr:postcode", Message: fmt.Sprintf("%q is not a 5-digit postcode", p.Postcode)}
	}
	if err := checkWebsite(0, "website", p.Website); err != nil {
		return p, err
	}
	if f.Geometry == nil {
		return p, &data.Error{Code: data.EINVALID, Field: "geometry", Message: "is missing"}
	}
	lon, lat, err := f.Geometry.center()
	if err != nil {
		return p, &data.Error{Code: data.EINVALID, Field: "geometry", Message: err.Error()}
	}
	if lat < minLat || lat > maxLat || lon < minLon || lon > maxLon {
		return p, &data.Error{Code: data.EINVALID, Field: "geometry", Message: fmt.Sprintf("point %v,%v (lon,lat) is outside Germany", lon, lat)}
	}
	p.Lat, p.Lon = lat, lon
	return p, nil
}

// center returns a point geometry's coordinates or the mean of a line's or polygon's
// vertices (outer ring only).
func (g *geometry) center() (lon, lat float64, err error) {
	var pts [][]float64
	switch g.Type {
	case "Point":
		var pt []float64
		err = json.Unmarshal(g.Coordinates, &pt)
		pts = [][]float64{pt}
	case "LineString", "MultiPoint":
		err = json.Unmarshal(g.Coordinates, &pts)
	case "Polygon":
		var rings [][][]float64
		if err = json.Unmarshal(g.Coordinates, &rings); err == nil && len(rings) > 0 {
			pts = rings[0]
		}
	default:
		return 0, 0, fmt.Errorf("type %q is not supported (Point, LineString, Polygon)", g.Type)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("coordinates of %s: %v", g.Type, err)
	}
	if len(pts) == 0 {
		return 0, 0, fmt.Errorf("%s has no coordinates", g.Type)
	}
	for _, pt := range pts {
		if len(pt) < 2 {
			return 0, 0, fmt.Errorf("a position of %s has fewer than 2 numbers", g.Type)
		}
		lon += pt[0]
		lat += pt[1]
	}
	n := float64(len(pts))
	return lon / n, lat / n, nil
}

// jsonError turns a decoding error into one naming the line of the file.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(body))
	default:
		return &data.Error{Code: data.EINVALID, Message: "not valid GeoJSON: " + err.Error()}
	}
	line := bytes.Count(body[:min(int(off), len(body))], []byte("\n")) + 1
	return &data.Error{Code: data.EINVALID, Line: line, Message: "not valid GeoJSON: " + err.Error()}
}
