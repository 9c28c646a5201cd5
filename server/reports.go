package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apoportal/apoportal/data"
	"github.com/labstack/echo/v4"
)

const maxReportMessage = 500

type reportRequest struct {
	Kind    data.ReportKind `json:"kind"`
	Message string          `json:"message"`
}

// reportsAPI is POST /api/v1/reports: a pharmacy's software reports that issuing fails.
// The token decides the pharmacy; the answer is 202 (the status page weighs reports).
func (a *App) reportsAPI(c echo.Context) error {
	pharmacyID, tokenID, err := a.tokenPharmacy(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxParticipationKiB<<10+1))
	if err != nil {
		return &data.Error{Code: data.EINVALID, Message: "could not read the body"}
	}
	if len(body) > maxParticipationKiB<<10 {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req reportRequest
	if err := dec.Decode(&req); err != nil {
		return jsonBodyError(err)
	}
	if dec.More() {
		return &data.Error{Code: data.EINVALID, Message: "the body must be one JSON object"}
	}
	if req.Kind != data.ReportIssuingFailed {
		return invalid("kind", "must be %q", data.ReportIssuingFailed)
	}
	req.Message = strings.TrimSpace(req.Message)
	if utf8.RuneCountInString(req.Message) > maxReportMessage || strings.IndexFunc(req.Message, unicode.IsControl) >= 0 {
		return invalid("message", "must be one line of at most %d characters", maxReportMessage)
	}
	actor := data.Actor{Name: fmt.Sprintf("api token %d", tokenID), Source: c.RealIP()}
	if err := a.store.AddReport(c.Request().Context(), data.Report{PharmacyID: pharmacyID, Kind: req.Kind, Message: req.Message}, actor); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "accepted"})
}
