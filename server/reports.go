package main

import (
	"fmt"
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
	var req reportRequest
	if err := decodeBody(c, &req); err != nil {
		return err
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
	a.recountReports(c.Request().Context())
	return c.JSON(http.StatusAccepted, map[string]string{"status": "accepted"})
}
