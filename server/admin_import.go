package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/importer"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
)

// pendingFor is how long a previewed upload waits for the operator's go.
const pendingFor = 15 * time.Minute

// readImport reads an uploaded file of a kind ("osm": Overpass JSON, else the registry CSV).
func readImport(kind string, body []byte) ([]data.Pharmacy, error) {
	if kind == "osm" {
		return importer.ReadOverpass(bytes.NewReader(body))
	}
	return importer.ReadRegistry(bytes.NewReader(body))
}

// adminImportPage is GET /admin/import.
func (a *App) adminImportPage(c echo.Context) error {
	return render(c, http.StatusOK, views.AdminImportPage(views.AdminImport{Page: a.page("Register importieren", false), CSRF: csrfToken(c)}))
}

// adminImportPreview is POST /admin/import: validate the upload (a bad file changes
// nothing and names line and field), then show what it would change. uploadBody has read
// the form within maxUploadBytes, so the file is whole.
func (a *App) adminImportPreview(c echo.Context) error {
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	p := views.AdminImport{Page: a.page("Register importieren", false), CSRF: csrfToken(c), Kind: c.FormValue("kind")}
	fail := func(msg string) error {
		p.Error = msg
		return render(c, http.StatusBadRequest, views.AdminImportPage(p))
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail("Bitte wählen Sie eine Datei.")
	}
	p.File = fh.Filename
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	ps, err := readImport(p.Kind, body)
	if err != nil {
		if data.ErrorCode(err) != data.EINVALID {
			return err
		}
		return fail("Die Datei wurde nicht übernommen: " + data.ErrorMessage(err))
	}
	stored, _, err := a.store.PharmaciesChangedSince(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	diff := importer.Diff(stored, ps)
	// The file waits in the store: the go may reach another portal process.
	id := randomID()
	if err := a.store.SaveImportPreview(c.Request().Context(), data.ImportPreview{ID: id, OperatorID: op.ID, Kind: p.Kind,
		File: fh.Filename, Body: body, Expires: a.now().Add(pendingFor)}, a.now()); err != nil {
		return err
	}
	pv := &views.ImportPreview{ID: id, New: len(diff.New), Changed: len(diff.Changed), Unchanged: diff.Unchanged}
	for _, n := range diff.New[:min(5, len(diff.New))] {
		pv.Samples = append(pv.Samples, fmt.Sprintf("neu: %s, %s (%s)", n.Name, n.Address(), n.ID))
	}
	for _, ch := range diff.Changed[:min(10, len(diff.Changed))] {
		var fields []string
		for _, f := range ch.Fields {
			fields = append(fields, fmt.Sprintf("%s „%s“ → „%s“", f.Field, f.Old, f.New))
		}
		pv.Samples = append(pv.Samples, fmt.Sprintf("%s (%s): %s", ch.Name, ch.ID, strings.Join(fields, ", ")))
	}
	p.Preview = pv
	return render(c, http.StatusOK, views.AdminImportPage(p))
}

// adminImportApply is POST /admin/import/{id}: apply a previewed file in one transaction.
func (a *App) adminImportApply(c echo.Context) error {
	op, err := accountOf(c)
	if err != nil {
		return err
	}
	pi, err := a.store.TakeImportPreview(c.Request().Context(), c.Param("id"), op.ID, a.now())
	if data.ErrorCode(err) == data.ENOTFOUND {
		return render(c, http.StatusNotFound, views.AdminImportPage(views.AdminImport{Page: a.page("Register importieren", false),
			CSRF: csrfToken(c), Error: "Diese Vorschau ist abgelaufen. Bitte laden Sie die Datei erneut hoch."}))
	}
	if err != nil {
		return err
	}
	ps, err := readImport(pi.Kind, pi.Body) // read without error at the preview: the same bytes, the same reader
	if err != nil {
		return fmt.Errorf("read the previewed file %s again: %w", pi.File, err)
	}
	sum, err := a.store.ImportPharmacies(c.Request().Context(), ps, a.actor(c, op), pi.Kind+" "+pi.File)
	if err != nil {
		return err
	}
	if err := a.engine.Sync(c.Request().Context()); err != nil {
		a.log.Warn("search index sync after an import", "err", err)
	}
	return render(c, http.StatusOK, views.AdminImportPage(views.AdminImport{Page: a.page("Register importieren", false),
		CSRF: csrfToken(c), Notice: fmt.Sprintf("%s übernommen: %d neu, %d aktualisiert.", pi.File, sum.Inserted, sum.Updated)}))
}
