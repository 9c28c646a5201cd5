package data

import (
	"context"
	"time"
)

// ImportPreviews hold the registry files operators have uploaded and seen the preview of,
// until their go: in the store, so the go may reach any portal process on it.
type ImportPreviews interface {
	// SaveImportPreview keeps a preview until p.Expires. It replaces the operator's earlier
	// one (one file waits per operator: uploads cannot pile up) and drops those expired by now.
	SaveImportPreview(ctx context.Context, p ImportPreview, now time.Time) error
	// TakeImportPreview returns the operator's preview id and deletes it, so it is applied
	// once; ENOTFOUND when there is none, it is another operator's, or it expired by now.
	TakeImportPreview(ctx context.Context, id string, operatorID int64, now time.Time) (ImportPreview, error)
}

// ImportPreview is an uploaded file that was read without error, waiting for its go.
type ImportPreview struct {
	ID         string // random: the preview's address
	OperatorID int64  // only the operator who uploaded it may apply it
	Kind, File string // what the file is (the importer's kind) and its name
	Body       []byte // the file as uploaded
	Expires    time.Time
}
