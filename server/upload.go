package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/apoportal/apoportal/views/i18n"
	"github.com/labstack/echo/v4"
)

// maxUploadBytes is the one limit of a registry upload: the whole request body, file and
// form together. Beyond it the upload is refused with 413, never cut short.
const maxUploadBytes = 20 << 20

// uploadMemory is how much of a multipart form is kept in memory; the rest goes to temp
// files, which removeFormFiles deletes.
const uploadMemory = 2 << 20

// uploadBody reads a multipart upload of at most limit bytes. It runs after the caller is
// known (an operator) and before the CSRF check, which reads the form: a body announced
// larger is refused before a byte is read, one that turns out larger when it arrives
// (chunked) is refused as soon as it passes the limit.
func uploadBody(limit int64) echo.MiddlewareFunc {
	tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("Die Datei ist zu groß: ein Upload darf höchstens %d MiB haben. Es wurde nichts übernommen.", limit>>20))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > limit {
				return tooLarge
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			if err := r.ParseMultipartForm(uploadMemory); err != nil {
				var mbe *http.MaxBytesError
				switch {
				case errors.Is(err, http.ErrNotMultipart):
					return next(c) // no file: the CSRF check and the handler say what is wrong
				case errors.As(err, &mbe):
					return tooLarge
				}
				return echo.NewHTTPError(http.StatusBadRequest, i18n.Key("Das Formular ist unvollständig angekommen. Bitte senden Sie es erneut."))
			}
			return next(c)
		}
	}
}

// removeFormFiles deletes the temp files of a multipart form once the request is answered,
// on every path. net/http would do so only for the request it created, and the timeout
// middleware hands handlers a copy.
func (a *App) removeFormFiles(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		defer func() {
			if form := c.Request().MultipartForm; form != nil {
				if err := form.RemoveAll(); err != nil {
					a.log.Warn("remove temp files of an upload", "err", err)
				}
			}
		}()
		return next(c)
	}
}
