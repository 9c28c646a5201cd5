package importer

import (
	"strconv"
	"strings"

	"github.com/apoportal/apoportal/data"
)

// FieldChange is one registry field an import would change.
type FieldChange struct {
	Field, Old, New string
}

// Change is a known pharmacy an import would change.
type Change struct {
	ID, Name string
	Fields   []FieldChange
}

// Preview is what an import would do, before it does it. Participation is not compared:
// an import never changes a known pharmacy's switch.
type Preview struct {
	New       []data.Pharmacy
	Changed   []Change
	Unchanged int
}

// Diff compares incoming pharmacies with the stored ones (by id).
func Diff(stored []data.Pharmacy, incoming []data.Pharmacy) Preview {
	byID := make(map[string]*data.Pharmacy, len(stored))
	for i := range stored {
		byID[stored[i].ID] = &stored[i]
	}
	var p Preview
	for _, in := range incoming {
		old, ok := byID[in.ID]
		if !ok {
			p.New = append(p.New, in)
			continue
		}
		if fields := changedFields(*old, in); len(fields) > 0 {
			p.Changed = append(p.Changed, Change{ID: in.ID, Name: in.Name, Fields: fields})
		} else {
			p.Unchanged++
		}
	}
	return p
}

func changedFields(a, b data.Pharmacy) []FieldChange {
	coord := func(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
	services := func(s []data.Service) string {
		parts := make([]string, len(s))
		for i, v := range s {
			parts[i] = string(v)
		}
		return strings.Join(parts, ";")
	}
	pairs := []FieldChange{
		{"name", a.Name, b.Name}, {"street", a.Street, b.Street}, {"housenumber", a.HouseNumber, b.HouseNumber},
		{"postcode", a.Postcode, b.Postcode}, {"city", a.City, b.City}, {"state", a.State, b.State},
		{"lat", coord(a.Lat), coord(b.Lat)}, {"lon", coord(a.Lon), coord(b.Lon)}, {"phone", a.Phone, b.Phone},
		{"email", a.Email, b.Email}, {"website", a.Website, b.Website}, {"opening_hours", a.OpeningHours, b.OpeningHours},
		{"services", services(a.Services), services(b.Services)},
	}
	var out []FieldChange
	for _, p := range pairs {
		if p.Old != p.New {
			out = append(out, p)
		}
	}
	return out
}
