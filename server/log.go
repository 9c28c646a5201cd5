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

// logRequests writes one line per request. It logs the path, not the query: what citizens
// search for is theirs.
func (a *App) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		res := c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		a.log.Log(c.Request().Context(), level, "request", "method", c.Request().Method, "path", c.Request().URL.Path,
			"status", res.Status, "bytes", res.Size, "took", time.Since(start).Round(time.Microsecond), "ip", c.RealIP())
		return nil
	}
}
