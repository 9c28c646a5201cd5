package main

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/openinghours"
	"github.com/apoportal/apoportal/search"
	"github.com/apoportal/apoportal/server/pagecache"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
)

// The JSON shapes of the public API v1 (see PRODUCT.md); they are a contract.

type searchJSON struct {
	Origin      originJSON     `json:"origin"`
	Total       int            `json:"total"`
	Limit       int            `json:"limit"`
	Offset      int            `json:"offset"`
	Results     []pharmacyJSON `json:"results"`
	Notice      string         `json:"notice,omitempty"`  // what message says, as a code
	Message     string         `json:"message,omitempty"` // in the language Accept-Language prefers
	Suggestions []string       `json:"suggestions,omitempty"`
	GeneratedAt time.Time      `json:"generated_at"`
	Stale       bool           `json:"stale"`
	Engine      string         `json:"engine"`
}

type originJSON struct {
	Lat         *float64 `json:"lat"`
	Lon         *float64 `json:"lon"`
	Label       string   `json:"label"`
	Kind        string   `json:"kind"`
	Approximate bool     `json:"approximate,omitempty"`
}

type pharmacyJSON struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Street       string           `json:"street"`
	HouseNumber  string           `json:"housenumber"`
	Postcode     string           `json:"postcode"`
	City         string           `json:"city"`
	State        string           `json:"state"`
	Lat          float64          `json:"lat"`
	Lon          float64          `json:"lon"`
	DistanceKm   *float64         `json:"distance_km,omitempty"`
	Phone        string           `json:"phone"`
	Website      string           `json:"website"`
	OpeningHours string           `json:"opening_hours"`
	OpenNow      *bool            `json:"open_now"`
	NextChangeAt *time.Time       `json:"next_change_at"`
	HoursComment string           `json:"opening_hours_comment"`
	Services     []data.Service   `json:"services"`
	Certificates certificatesJSON `json:"certificates"`
}

type certificatesJSON struct {
	Status      data.CertificateStatus `json:"status"`
	Note        string                 `json:"note"`
	PausedUntil *time.Time             `json:"paused_until"`
	ConfirmedAt *time.Time             `json:"confirmed_at"`
}

// newPharmacyJSON is p as the API shows it at now: open_now null where its hours are
// unknown then, next_change_at null where no change is known (within a year).
func newPharmacyJSON(p data.Pharmacy, hours *openinghours.Hours, distanceKm *float64, now time.Time, maxAge time.Duration) pharmacyJSON {
	out := pharmacyJSON{
		ID: p.ID, Name: p.Name, Street: p.Street, HouseNumber: p.HouseNumber, Postcode: p.Postcode, City: p.City,
		State: p.State, Lat: p.Lat, Lon: p.Lon, Phone: p.Phone, Website: p.Website, OpeningHours: p.OpeningHours,
		Services: p.Services,
		Certificates: certificatesJSON{Status: p.Participation.Status(now, maxAge), Note: p.Participation.Note,
			PausedUntil: utc(p.Participation.PausedUntil), ConfirmedAt: utc(p.Participation.ConfirmedAt)},
	}
	if out.Services == nil {
		out.Services = []data.Service{}
	}
	if out.Certificates.Status != data.CertificatesPaused {
		out.Certificates.PausedUntil = nil
	}
	if distanceKm != nil {
		d := math.Round(*distanceKm*100) / 100
		out.DistanceKm = &d
	}
	st := hours.At(now, data.HolidaysIn(p.State))
	if st.State != openinghours.Unknown {
		open := st.State == openinghours.Open
		out.OpenNow = &open
	}
	if !st.Until.IsZero() {
		out.NextChangeAt = utc(&st.Until)
	}
	out.HoursComment = st.Comment
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// searchAPI is GET /api/v1/pharmacies.
func (a *App) searchAPI(c echo.Context) error {
	r, err := parseSearch(c.QueryParams())
	if err != nil {
		return err
	}
	resp, err := a.search(c.Request().Context(), r)
	if err != nil {
		return err
	}
	dependsOn(c, searchDeps(r, resp)...)
	out := searchJSON{
		Origin: originJSON{Label: resp.Origin.Label, Kind: resp.Origin.Kind, Approximate: resp.Origin.Approximate},
		Total:  resp.Total, Limit: resp.Limit, Offset: resp.Offset, Results: make([]pharmacyJSON, 0, len(resp.Hits)),
		Notice: resp.Notice.Code, Message: views.NoticeText(acceptedLanguage(c), resp.Notice), Suggestions: resp.Suggestions, GeneratedAt: resp.GeneratedAt.Truncate(time.Second),
		Engine: resp.Engine,
	}
	if resp.Origin.Kind != search.OriginNone {
		out.Origin.Lat, out.Origin.Lon = &resp.Origin.Lat, &resp.Origin.Lon
	}
	for _, h := range resp.Hits {
		out.Results = append(out.Results, newPharmacyJSON(h.Pharmacy, h.Hours, h.DistanceKm, resp.GeneratedAt, a.cfg.ConfirmationMaxAge))
	}
	return c.JSON(http.StatusOK, out)
}

// search runs one search under the configured deadline.
func (a *App) search(ctx context.Context, r search.Request) (search.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.SearchTimeout)
	defer cancel()
	return a.searcher.Search(ctx, r)
}

// pharmacyAPI is GET /api/v1/pharmacies/{id}.
func (a *App) pharmacyAPI(c echo.Context) error {
	p, err := a.publicPharmacy(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	dependsOn(c, pagecache.Pharmacy(p.ID))
	return c.JSON(http.StatusOK, newPharmacyJSON(p, a.hours.Parse(p.OpeningHours), nil, a.now(), a.cfg.ConfirmationMaxAge))
}
