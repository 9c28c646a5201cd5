package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apoportal/apoportal/data"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
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
	pharmacyID, tokenID, err := a.tokenPharmacy(c)
	if err != nil {
		return err
	}
	pa, err := a.readParticipation(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	actor := data.Actor{Name: fmt.Sprintf("api token %d", tokenID), Source: c.RealIP()}
	if err := a.store.ChangeParticipation(ctx, pharmacyID, pa, actor); err != nil {
		return err
	}
	// Visible in search now rather than at the next sync tick.
	if err := a.engine.Sync(ctx); err != nil {
		a.log.Warn("search index sync after a switch", "err", err)
	}
	p, err := a.store.Pharmacy(ctx, pharmacyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPharmacyJSON(p, nil, a.now(), a.cfg.ConfirmationMaxAge))
}

// tokenPharmacy authenticates the bearer token and returns its pharmacy.
func (a *App) tokenPharmacy(c echo.Context) (pharmacyID string, tokenID int64, err error) {
	scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", 0, data.Errorf(data.EUNAUTHORIZED, "send the pharmacy's API token as Authorization: Bearer <token>")
	}
	return a.store.PharmacyOfToken(c.Request().Context(), strings.TrimSpace(token))
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
		return data.Participation{}, invalid("participating", "is required: true or false")
	}
	pa := data.Participation{Participating: *req.Participating, Note: strings.TrimSpace(req.Note)}
	if utf8.RuneCountInString(pa.Note) > maxNoteLength {
		return data.Participation{}, invalid("note", "must be at most %d characters", maxNoteLength)
	}
	if strings.IndexFunc(pa.Note, unicode.IsControl) >= 0 {
		return data.Participation{}, invalid("note", "must be one line of text")
	}
	if req.PausedUntil != nil {
		now := a.now()
		switch {
		case !pa.Participating:
			return data.Participation{}, invalid("paused_until", "a pause needs participating: true")
		case !req.PausedUntil.After(now):
			return data.Participation{}, invalid("paused_until", "must be in the future")
		case req.PausedUntil.After(now.Add(maxPause)):
			return data.Participation{}, invalid("paused_until", "must be within %d days; switch participation off for longer", int(maxPause.Hours()/24))
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
		return invalid(te.Field, "has the wrong type (%s)", te.Value)
	case errors.As(err, &pe):
		return invalid("paused_until", "must be an RFC 3339 time like 2021-06-15T14:00:00Z")
	// encoding/json has no error type for unknown fields; its text is stable since Go 1.10.
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a field of this request")
	}
	return &data.Error{Code: data.EINVALID, Message: "the body is not valid JSON"}
}

// tokenRateLimit limits writes per API token (per Authorization header, so guessing
// tokens is limited too): 2 per second, bursts of 20.
func tokenRateLimit() echo.MiddlewareFunc {
	return rateLimit(2, 20, func(c echo.Context) (string, error) {
		sum := sha256.Sum256([]byte(c.Request().Header.Get(echo.HeaderAuthorization)))
		return hex.EncodeToString(sum[:8]), nil
	}, "too many requests for this token; retry in a second")
}

// ipRateLimit limits requests per client address (echo's IPExtractor decides which).
func ipRateLimit(perSecond float64, burst int) echo.MiddlewareFunc {
	return rateLimit(perSecond, burst, func(c echo.Context) (string, error) { return c.RealIP(), nil },
		"too many requests from this address; retry in a second")
}

// rateLimit answers 429 with Retry-After beyond perSecond (bursts of burst) per identity.
func rateLimit(perSecond float64, burst int, identify func(echo.Context) (string, error), message string) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: 3 * time.Minute}),
		IdentifierExtractor: identify,
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", "1")
			if !strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return echo.NewHTTPError(http.StatusTooManyRequests) // a page, through the error handler
			}
			return c.JSON(http.StatusTooManyRequests, apiError{apiErrorBody{"rate_limited", "", message}})
		},
	})
}
