package views

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apoportal/apoportal/data"
)

// History is one monitored service's past: uptime per window, 90 days by worst state, and
// hourly response times.
type History struct {
	ID, Name string
	Uptime   []Uptime
	Days     []Day  // oldest first, one per Berlin calendar day
	Hours    []Hour // oldest first, one per hour
}

// Uptime is the share of probes that did not find the service down within a window.
type Uptime struct {
	Label   string   // "24 Stunden"
	Percent *float64 // nil without data
}

// Day is one calendar day of a service.
type Day struct {
	Date                  time.Time
	Total, Down, Degraded int
}

// State is the day's worst state, or "none" without probes.
func (d Day) State() string {
	switch {
	case d.Total == 0:
		return "none"
	case d.Down > 0:
		return "down"
	case d.Degraded > 0:
		return "degraded"
	}
	return "operational"
}

func (d Day) describe(ctx context.Context) string {
	date := d.Date.Format(tr(ctx, "02.01.2006"))
	if d.Total == 0 {
		return date + ": " + tr(ctx, "keine Daten")
	}
	s := tr(ctx, "%s: %s – %s verfügbar", date, stateLabel(ctx, d.State()), percent(ctx, float64(d.Total-d.Down)/float64(d.Total)*100))
	if d.Down > 0 {
		s += tr(ctx, ", %d von %d Prüfungen ohne Antwort", d.Down, d.Total)
	}
	if d.Degraded > 0 {
		s += tr(ctx, ", %d langsam", d.Degraded)
	}
	return s
}

// Hour is one hour of a service's response times (answers only).
type Hour struct {
	Start        time.Time
	Total, Down  int
	AvgMS, MaxMS int64
}

func percent(ctx context.Context, p float64) string {
	return decimal(ctx, strconv.FormatFloat(p, 'f', 2, 64)) + " %"
}

// ms is a duration in milliseconds with the page's thousands separator (1.500 ms, 1,500 ms).
func ms(ctx context.Context, v int64) string { return tr(ctx, "%d ms", v) }

// daysSummary says in words what the 90-day bar shows.
func daysSummary(ctx context.Context, days []Day) string {
	count := map[string]int{}
	for _, d := range days {
		count[d.State()]++
	}
	return tr(ctx, "Letzte %d Tage: %d ohne Störung, %d eingeschränkt, %d mit Ausfällen, %d ohne Daten.",
		len(days), count["operational"], count["degraded"], count["down"], count["none"])
}

// disrupted are the days that were not fully operational, newest first.
func disrupted(days []Day) []Day {
	var out []Day
	for i := len(days) - 1; i >= 0; i-- {
		if s := days[i].State(); s == "down" || s == "degraded" {
			out = append(out, days[i])
		}
	}
	return out
}

// latencyChart is the geometry of the response-time chart.
type latencyChart struct {
	Avg, Max string // SVG path data; hours without answers break the lines
	TopMS    int64  // the value at the top of the chart
	Summary  string
}

const chartW, chartH = 480, 120

func chartOf(ctx context.Context, hours []Hour) latencyChart {
	var top int64
	var avgs []int64
	for _, h := range hours {
		top = max(top, h.MaxMS)
		if h.Total > h.Down {
			avgs = append(avgs, h.AvgMS)
		}
	}
	if len(avgs) == 0 {
		return latencyChart{Summary: tr(ctx, "Keine Antworten in diesem Zeitraum.")}
	}
	top = niceCeiling(top)
	var avg, mx strings.Builder
	gap := true
	step := float64(chartW) / float64(max(1, len(hours)-1))
	for i, h := range hours {
		if h.Total == h.Down {
			gap = true
			continue
		}
		cmd := "L"
		if gap {
			cmd, gap = "M", false
		}
		x := float64(i) * step
		fmt.Fprintf(&avg, "%s%.1f %.1f ", cmd, x, chartH-float64(h.AvgMS)/float64(top)*chartH)
		fmt.Fprintf(&mx, "%s%.1f %.1f ", cmd, x, chartH-float64(h.MaxMS)/float64(top)*chartH)
	}
	slices.Sort(avgs)
	slowest := avgs[len(avgs)-1]
	return latencyChart{Avg: strings.TrimSpace(avg.String()), Max: strings.TrimSpace(mx.String()), TopMS: top,
		Summary: tr(ctx, "Mittlere Antwortzeit je Stunde: typisch %s, langsamste Stunde %s; einzelne Antworten bis %s.",
			ms(ctx, avgs[len(avgs)/2]), ms(ctx, slowest), ms(ctx, top))}
}

// niceCeiling rounds up to 1, 2 or 5 times a power of ten.
func niceCeiling(v int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if v <= m*p {
				return m * p
			}
		}
	}
}

func (h History) chart(ctx context.Context) latencyChart { return chartOf(ctx, h.Hours) }

// dayX is the x position of the i-th day's bar.
func dayX(i int) string { return strconv.Itoa(i * 6) }

func berlinDate(ctx context.Context, t time.Time) string {
	return t.In(data.Berlin()).Format(tr(ctx, "02.01."))
}
