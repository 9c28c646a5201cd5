package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// An import preview is kept until its go, for its operator only, once, and not past its
// expiry; saving another drops the expired ones and the operator's earlier one.
func importPreviewTakenOnce(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t, nil)
	now := time.Date(2021, 6, 14, 9, 0, 0, 0, time.UTC)
	body := []byte("id,name\n306345139,Neue-Apotheke\n\x00\xff")
	p := data.ImportPreview{ID: "p1", OperatorID: 7, Kind: "registry", File: "register.csv", Body: body, Expires: now.Add(15 * time.Minute)}
	if err := db.SaveImportPreview(ctx, p, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeImportPreview(ctx, "p1", 8, now); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("another operator took the preview: %v", err)
	}
	got, err := db.TakeImportPreview(ctx, "p1", 7, now.Add(time.Minute))
	if err != nil || got.Kind != "registry" || got.File != "register.csv" || !bytes.Equal(got.Body, body) || !got.Expires.Equal(p.Expires) {
		t.Fatalf("taken: %+v, %v", got, err)
	}
	if _, err := db.TakeImportPreview(ctx, "p1", 7, now.Add(time.Minute)); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("taken twice: %v", err)
	}
	old := data.ImportPreview{ID: "p2", OperatorID: 7, Kind: "osm", File: "a.json", Body: []byte("{}"), Expires: now.Add(time.Minute)}
	if err := db.SaveImportPreview(ctx, old, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeImportPreview(ctx, "p2", 7, now.Add(2*time.Minute)); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("an expired preview was taken: %v", err)
	}
	if err := db.SaveImportPreview(ctx, data.ImportPreview{ID: "p3", OperatorID: 7, Kind: "osm", File: "b.json", Body: []byte("{}"),
		Expires: now.Add(time.Hour)}, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeImportPreview(ctx, "p2", 7, now); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("an expired preview was kept past the next save: %v", err)
	}
	if err := db.SaveImportPreview(ctx, data.ImportPreview{ID: "q1", OperatorID: 8, Kind: "osm", File: "c.json", Body: []byte("{}"),
		Expires: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveImportPreview(ctx, data.ImportPreview{ID: "p4", OperatorID: 7, Kind: "osm", File: "d.json", Body: []byte("{}"),
		Expires: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeImportPreview(ctx, "p3", 7, now); data.ErrorCode(err) != data.ENOTFOUND {
		t.Fatalf("the operator's earlier preview was kept beside the new one: %v", err)
	}
	if _, err := db.TakeImportPreview(ctx, "q1", 8, now); err != nil {
		t.Fatalf("another operator's preview was dropped: %v", err)
	}
}
