package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/labstack/echo/v4"
)

// Limits of what a pharmacy may say about its participation.
const (
	maxNoteLength = 280
	maxPause      = 14 * 24 * time.Hour
	maxBodyKiB    = 16 // request bodies of the write API
)

// participationRequest is the body of POST /api/v1/participation.
type participationRequest struct {
	Participating *bool      `json:"participating"`
	PausedUntil   *time.Time `json:"paused_until"`
	Note          string     `json:"note"`
}

// participationAPI is POST /api/v1/participation: pharmacy software switches its own
// pharmacy's participation with an API token. The token decides the pharmacy; the body
// cannot name another one.
func (a *App) participationAPI(c echo.Context) error {
	caller, err := tokenCallerOf(c)
	if err != nil {
		return err
	}
	pa, err := a.readParticipation(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	pharmacyID := caller.pharmacyID
	// The entry is read before the switch, and the answer made from it: a read after a made
	// switch that failed (the database going away at that instant) would answer 503 for a
	// change that is there.
	p, err := a.store.Pharmacy(ctx, pharmacyID)
	if err != nil {
		return err
	}
	if err := a.store.ChangeParticipation(ctx, pharmacyID, pa, caller.actor(c)); err != nil {
		return err
	}
	// Visible in search now rather than at the next sync tick.
	if err := a.engine.Sync(ctx); err != nil {
		a.log.Warn("search index sync after a switch", "err", err)
	}
	now := a.now()
	pa.ConfirmedAt = &now
	p.Participation = pa
	return c.JSON(http.StatusOK, newPharmacyJSON(p, a.hours.Parse(p.OpeningHours), nil, now, a.cfg.ConfirmationMaxAge))
}

// tokenCaller is pharmacy software authenticated by its API token.
type tokenCaller struct {
	pharmacyID string
	tokenID    int64
}

const tokenCallerKey = "token_caller"

func (t tokenCaller) actor(c echo.Context) data.Actor {
	return data.Actor{Name: fmt.Sprintf("api token %d", t.tokenID), Source: c.RealIP(), TokenID: t.tokenID}
}

// requireToken authenticates the bearer token before anything reads the body, and hands
// its pharmacy on: the token decides the pharmacy, the body cannot name another.
func (a *App) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
		if !ok {
			return data.Errorf(data.EUNAUTHORIZED, "send the pharmacy's API token as Authorization: Bearer <token>")
		}
		pharmacyID, tokenID, err := a.store.PharmacyOfToken(c.Request().Context(), token)
		if err != nil {
			return err
		}
		c.Set(tokenCallerKey, tokenCaller{pharmacyID: pharmacyID, tokenID: tokenID})
		return next(c)
	}
}

// tokenCallerOf returns the caller requireToken found.
func tokenCallerOf(c echo.Context) (tokenCaller, error) {
	t, ok := c.Get(tokenCallerKey).(tokenCaller)
	if !ok {
		return t, errors.New("no token caller in request context: route lacks requireToken")
	}
	return t, nil
}

// bearerToken reads "Bearer <token>" as RFC 9110 allows it: the scheme in any case, any
// spaces or tabs around and between.
func bearerToken(header string) (string, bool) {
	fields := strings.FieldsFunc(header, func(r rune) bool { return r == ' ' || r == '\t' })
	if len(fields) != 2 || !strings.EqualFold(fields[0], "Bearer") {
		return "", false
	}
	return fields[1], true
}

// decodeBody reads one JSON object of at most maxBodyKiB into v, rejecting unknown fields.
func decodeBody(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBodyKiB<<10+1))
	if err != nil {
		return &data.Error{Code: data.EINVALID, Message: "could not read the body"}
	}
	if len(body) > maxBodyKiB<<10 {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonBodyError(err)
	}
	if dec.More() {
		return &data.Error{Code: data.EINVALID, Message: "the body must be one JSON object"}
	}
	return nil
}

func (a *App) readParticipation(c echo.Context) (data.Participation, error) {
	var req participationRequest
	if err := decodeBody(c, &req); err != nil {
		return data.Participation{}, err
	}
	if req.Participating == nil {
		return data.Participation{}, invalid("participating", "ist erforderlich: true oder false")
	}
	pa := data.Participation{Participating: *req.Participating, Note: strings.TrimSpace(req.Note)}
	if err := data.CheckLine("note", pa.Note, maxNoteLength); err != nil {
		return data.Participation{}, err
	}
	if req.PausedUntil != nil {
		now := a.now()
		switch {
		case !pa.Participating:
			return data.Participation{}, invalid("paused_until", "eine Pause braucht participating: true")
		case !req.PausedUntil.After(now):
			return data.Participation{}, invalid("paused_until", "muss in der Zukunft liegen")
		case req.PausedUntil.After(now.Add(maxPause)):
			return data.Participation{}, invalid("paused_until", "darf höchstens %d Tage entfernt sein; für länger schalten Sie die Teilnahme aus", int(maxPause.Hours()/24))
		}
		until := req.PausedUntil.UTC()
		pa.PausedUntil = &until
	}
	return pa, nil
}

// jsonBodyError says which field of a JSON body is wrong, where the decoder knows.
func jsonBodyError(err error) error {
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		return invalid(te.Field, "hat den falschen Typ (%s)", te.Value)
	case errors.As(err, &pe):
		return invalid("paused_until", "muss eine Zeit nach RFC 3339 sein, etwa 2021-06-15T14:00:00Z")
	// encoding/json has no error type for unknown fields; its text is stable since Go 1.10.
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "ist kein Feld dieser Anfrage")
	}
	return &data.Error{Code: data.EINVALID, Message: "the body is not valid JSON"}
}
