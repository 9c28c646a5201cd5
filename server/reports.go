package main

import (
	"net/http"
	"strings"

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
	caller, err := tokenCallerOf(c)
	if err != nil {
		return err
	}
	var req reportRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if req.Kind != data.ReportIssuingFailed {
		return invalid("kind", "muss %q sein", data.ReportIssuingFailed)
	}
	req.Message = strings.TrimSpace(req.Message)
	if err := data.CheckLine("message", req.Message, maxReportMessage); err != nil {
		return err
	}
	report := data.Report{PharmacyID: caller.pharmacyID, Kind: req.Kind, Message: req.Message}
	if err := a.store.AddReport(c.Request().Context(), report, caller.actor(c)); err != nil {
		return err
	}
	a.status.RecountReports(c.Request().Context())
	return c.JSON(http.StatusAccepted, map[string]string{"status": "accepted"})
}
