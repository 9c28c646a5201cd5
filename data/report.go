package data

import "time"

// ReportKind is what a pharmacy reports.
type ReportKind string

// Report kinds.
const (
	ReportIssuingFailed ReportKind = "issuing_failed" // issuing certificates fails for us
)

// Report is a pharmacy's report that something fails for it.
type Report struct {
	PharmacyID string
	Kind       ReportKind
	Message    string
	At         time.Time
}
