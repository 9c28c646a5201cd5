package main

import (
	"io"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // Config.Validate checked it
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// logRequests hands every request routed to the access log.
func (a *App) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		res := c.Response()
		a.access.record(accessLine{method: c.Request().Method, path: c.Request().URL.Path, ip: c.RealIP(),
			status: res.Status, bytes: res.Size, at: start, took: time.Since(start)})
		return nil
	}
}
