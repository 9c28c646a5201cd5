package main

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// healthz says the process is alive.
func (a *App) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

type readyJSON struct {
	Status  string       `json:"status"`
	Store   string       `json:"store"`
	Engines []engineJSON `json:"search_engines"`
	Cache   *cacheJSON   `json:"cache,omitempty"`
}

// cacheJSON are the response cache's counters since start (for operators and the benchmark).
type cacheJSON struct {
	Entries      int   `json:"entries"`
	Bytes        int64 `json:"bytes"`
	Hits         int64 `json:"hits"`
	Misses       int64 `json:"misses"`
	Stale        int64 `json:"stale"`
	StaleOnError int64 `json:"stale_on_error"`
	Refused      int64 `json:"refused"`
}

type engineJSON struct {
	Name       string `json:"name"`
	State      string `json:"state"`
	Pharmacies int    `json:"pharmacies,omitempty"`
	Circuit    string `json:"circuit,omitempty"`
}

// readyz says whether the portal can serve: the store answers and an engine is loaded.
func (a *App) readyz(c echo.Context) error {
	out := readyJSON{Status: "ready", Store: "ok",
		Engines: []engineJSON{{Name: a.engine.Name(), State: "ok", Pharmacies: a.engine.Len()}}}
	if a.meili != nil {
		state := "ok"
		if err := a.meili.Healthy(c.Request().Context()); err != nil {
			state = "unavailable"
		} else if !a.meili.Ready() {
			state = "catching_up"
		}
		// Meilisearch first: it answers while its circuit is closed; local is the fallback.
		out.Engines = append([]engineJSON{{Name: a.meili.Name(), State: state, Circuit: a.breaker.State()}}, out.Engines...)
	}
	if a.answers != nil {
		st := a.answers.Stats()
		out.Cache = &cacheJSON{Entries: st.Entries, Bytes: st.Bytes, Hits: st.Hits, Misses: st.Misses, Stale: st.Stale,
			StaleOnError: st.StaleOnError, Refused: st.Refused}
	}
	status := http.StatusOK
	if err := a.store.Ping(c.Request().Context()); err != nil {
		a.log.Warn("readiness: store does not answer", "err", err)
		out.Status, out.Store, status = "unavailable", "unavailable", http.StatusServiceUnavailable
	}
	return c.JSON(status, out)
}
