package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/importer"
	"github.com/apoportal/apoportal/views"
	"github.com/labstack/echo/v4"
	"github.com/patrickmn/go-cache"
)

// pendingFor is how long a previewed upload waits for the operator's go.
const pendingFor = 15 * time.Minute

// pendingImport is an uploaded, validated file waiting for the operator's go.
type pendingImport struct {
	kind, file string
	pharmacies []data.Pharmacy
	operator   int64
}

func newPendingImports() *cache.Cache { return cache.New(pendingFor, time.Minute) }

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
	read := importer.ReadRegistry
	if p.Kind == "osm" {
		read = importer.ReadOverpass
	}
	ps, err := read(f)
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
	id := randomID()
	a.pending.SetDefault(id, pendingImport{kind: p.Kind, file: fh.Filename, pharmacies: ps, operator: op.ID})
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
	v, ok := a.pending.Get(c.Param("id"))
	pi, isImport := v.(pendingImport)
	if !ok || !isImport || pi.operator != op.ID {
		return render(c, http.StatusNotFound, views.AdminImportPage(views.AdminImport{Page: a.page("Register importieren", false),
			CSRF: csrfToken(c), Error: "Diese Vorschau ist abgelaufen. Bitte laden Sie die Datei erneut hoch."}))
	}
	a.pending.Delete(c.Param("id"))
	sum, err := a.store.ImportPharmacies(c.Request().Context(), pi.pharmacies, a.actor(c, op), pi.kind+" "+pi.file)
	if err != nil {
		return err
	}
	if err := a.engine.Sync(c.Request().Context()); err != nil {
		a.log.Warn("search index sync after an import", "err", err)
	}
	return render(c, http.StatusOK, views.AdminImportPage(views.AdminImport{Page: a.page("Register importieren", false),
		CSRF: csrfToken(c), Notice: fmt.Sprintf("%s übernommen: %d neu, %d aktualisiert.", pi.file, sum.Inserted, sum.Updated)}))
}
