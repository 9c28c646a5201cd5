// Package monitor probes the national certificate-issuing service (and any other target)
// and decides, from consecutive results, whether it is operational, degraded, down or
// unknown. Probes are gentle: one in flight per target, jittered, and spaced out further
// while a target is down, so the portal never becomes the load that keeps it down.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// State of a target.
type State string

// States, as the public status API names them.
const (
	Operational State = "operational"
	Degraded    State = "degraded" // slow, or failing some of the time
	Down        State = "down"
	Unknown     State = "unknown" // no recent data: we do not pretend
)

// Target is something to probe.
type Target struct {
	ID, Name        string
	URL             string
	Method          string        // GET by default
	Timeout         time.Duration // per probe
	Interval        time.Duration // between probes while up
	MaxInterval     time.Duration // backoff limit while down
	Expect          []int         // accepted status codes; 200-299 when empty
	MaxResponseTime time.Duration // slower answers count as degraded
	BodyContains    string        // optional condition on the body
	JSONField       string        // optional: dot path of a JSON field in the body …
	JSONEquals      string        // … and the value it must have
	Confirmations   int           // consecutive results needed to change state
	// Check, when set, is probed instead of URL: for the portal's own parts. An error
	// wrapping ErrDegraded means working but impaired; any other error means down.
	Check func(context.Context) error
}

// ErrDegraded marks a Check's error as "impaired", not "down".
var ErrDegraded = errors.New("impaired")

// Result is one probe.
type Result struct {
	At      time.Time
	Latency time.Duration
	Status  int
	Outcome State // operational, degraded (slow) or down
	Error   string
}

// Status is a target's state as the monitor believes it.
type Status struct {
	ID, Name  string
	Internal  bool // a part of the portal itself (probed by a Check)
	State     State
	Since     time.Time // when State began (zero while unknown from the start)
	CheckedAt time.Time // last probe
	Message   string    // what the last failure was, in plain words
	LatencyMS struct{ P50, P95 int64 }
	// FreshFor is how long a probe counts: a status checked longer ago is unknown.
	FreshFor time.Duration
}

// Current is s as of now: unknown when its last probe is older than FreshFor.
func (s Status) Current(now time.Time) Status {
	if s.CheckedAt.IsZero() || now.Sub(s.CheckedAt) > s.FreshFor {
		s.State, s.Since = Unknown, time.Time{}
	}
	return s
}

// Monitor probes its targets until its context ends. It is safe for concurrent use.
type Monitor struct {
	client *http.Client
	now    func() time.Time
	onDone func(Target, Result) // hears every result (for history); may be nil
	change func(Change)         // hears every state change; may be nil
	gate   func() bool          // whether to probe external targets now; nil: always

	mu      sync.RWMutex
	targets []*watch
}

type watch struct {
	t       Target
	state   State
	since   time.Time
	checked time.Time
	message string
	streak  []State  // outcomes since the last state change that disagree with it
	recent  []Result // last results, for latency percentiles
}

// New returns a monitor of targets. now is the clock (nil: time.Now).
func New(targets []Target, now func() time.Time, onResult func(Target, Result)) *Monitor {
	if now == nil {
		now = time.Now
	}
	m := &Monitor{client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now: now, onDone: onResult}
	for _, t := range targets {
		if t.Method == "" {
			t.Method = http.MethodGet
		}
		if t.Confirmations < 1 {
			t.Confirmations = 2
		}
		if t.MaxInterval < t.Interval {
			t.MaxInterval = 8 * t.Interval
		}
		m.targets = append(m.targets, &watch{t: t, state: Unknown})
	}
	return m
}

// Change is a target's move from one state to another.
type Change struct {
	Target   Target
	From, To State
	At       time.Time
	Message  string
}

// OnChange sets what hears state changes (for incidents). Call before Run.
func (m *Monitor) OnChange(fn func(Change)) { m.change = fn }

// Gate makes probes of external targets (those without a Check) wait until may says so:
// of several portal processes only the one holding the probing lease probes the national
// service. The portal's own parts are probed always. Call before Run.
func (m *Monitor) Gate(may func() bool) { m.gate = may }

// Run probes every target in its own loop until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range m.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.loop(ctx, w)
		}()
	}
	wg.Wait()
}

func (m *Monitor) loop(ctx context.Context, w *watch) {
	interval := w.t.Interval
	for {
		if w.t.Check == nil && m.gate != nil && !m.gate() {
			select { // another process probes it; look again in a while
			case <-ctx.Done():
				return
			case <-time.After(min(w.t.Interval, time.Second)):
			}
			continue
		}
		r := m.probe(ctx, w.t)
		if ctx.Err() != nil {
			return
		}
		if ch := m.record(w, r); ch != nil && m.change != nil {
			m.change(*ch)
		}
		if m.onDone != nil {
			m.onDone(w.t, r)
		}
		m.mu.RLock()
		down := w.state == Down
		m.mu.RUnlock()
		interval = nextInterval(w.t, interval, down, r.Outcome)
		jitter := time.Duration(rand.Int64N(int64(interval)/5+1)) - interval/10 // ±10 %
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval + jitter):
		}
	}
}

// nextInterval is the wait before the next probe: doubled up to MaxInterval after each
// failure while the target is down, so the portal never adds to an outage's load; the normal
// interval otherwise, and at once after an answer while down, so a service coming back (or
// answering now and then) is confirmed at the normal pace rather than after long waits.
func nextInterval(t Target, last time.Duration, down bool, outcome State) time.Duration {
	if down && outcome == Down {
		return min(2*last, t.MaxInterval)
	}
	return t.Interval
}

// probe runs one check; it never takes longer than the target's timeout.
func (m *Monitor) probe(ctx context.Context, t Target) (r Result) {
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	defer func() { r.At = m.now() }() // when we learned it
	if t.Check != nil {
		start := time.Now()
		err := t.Check(ctx)
		r.Latency = time.Since(start)
		switch {
		case err == nil:
			r.Outcome = Operational
		case errors.Is(err, ErrDegraded):
			r.Outcome, r.Error = Degraded, err.Error()
		default:
			r.Outcome, r.Error = Down, err.Error()
		}
		return r
	}
	req, err := http.NewRequestWithContext(ctx, t.Method, t.URL, nil)
	if err != nil {
		r.Outcome, r.Error = Down, "invalid probe: "+err.Error()
		return r
	}
	req.Header.Set("User-Agent", "apoportal-monitor")
	start := time.Now()
	res, err := m.client.Do(req)
	if err != nil {
		r.Latency, r.Outcome, r.Error = time.Since(start), Down, describe(err)
		return r
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	r.Latency, r.Status = time.Since(start), res.StatusCode
	switch {
	case err != nil:
		r.Outcome, r.Error = Down, describe(err)
	case !expected(t.Expect, res.StatusCode):
		r.Outcome, r.Error = Down, fmt.Sprintf("answered %d", res.StatusCode)
	case t.BodyContains != "" && !strings.Contains(string(body), t.BodyContains):
		r.Outcome, r.Error = Down, "answer lacks the expected content"
	case t.JSONField != "" && !jsonFieldIs(body, t.JSONField, t.JSONEquals):
		r.Outcome, r.Error = Down, fmt.Sprintf("answer's %s is not %q", t.JSONField, t.JSONEquals)
	case t.MaxResponseTime > 0 && r.Latency > t.MaxResponseTime:
		r.Outcome, r.Error = Degraded, fmt.Sprintf("slow: %d ms", r.Latency.Milliseconds())
	default:
		r.Outcome = Operational
	}
	return r
}

func expected(codes []int, status int) bool {
	if len(codes) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(codes, status)
}

func describe(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	}
	return "unreachable"
}

// record applies a result: the state changes only after Confirmations consecutive
// results disagree with it, so one blip is not an outage. The new state is down when all
// of them failed, operational when all succeeded, and degraded for slow or mixed results.
func (m *Monitor) record(w *watch, r Result) *Change {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.checked = r.At
	w.recent = append(w.recent, r)
	if len(w.recent) > 100 {
		w.recent = w.recent[len(w.recent)-100:]
	}
	if r.Outcome != Operational {
		w.message = r.Error
	}
	if r.Outcome == w.state {
		w.streak = w.streak[:0]
		// Failures that keep interrupting "operational", or answers that keep interrupting
		// "down", are neither: the target works some of the time.
		if (w.state == Operational && flapping(w.recent)) || (w.state == Down && answered(w.recent, 2*w.t.Confirmations) >= w.t.Confirmations) {
			ch := &Change{Target: w.t, From: w.state, To: Degraded, At: r.At, Message: w.message}
			w.state, w.since = Degraded, r.At
			return ch
		}
		return nil
	}
	w.streak = append(w.streak, r.Outcome)
	if len(w.streak) < w.t.Confirmations {
		return nil
	}
	next := Degraded
	switch {
	case all(w.streak, Down):
		next = Down
	case all(w.streak, Operational):
		next = Operational
	}
	w.streak = w.streak[:0]
	if next == Operational && flapping(w.recent) {
		next = Degraded // it answers now, but too often not
	}
	if next == w.state {
		return nil
	}
	ch := &Change{Target: w.t, From: w.state, To: next, At: r.At, Message: w.message}
	w.state, w.since = next, r.At
	if next == Operational {
		w.message = ""
	}
	return ch
}

// flapping reports whether 3 or more of the last 10 probes failed.
func flapping(recent []Result) bool {
	failed := 0
	for _, r := range recent[max(0, len(recent)-10):] {
		if r.Outcome == Down {
			failed++
		}
	}
	return failed >= 3
}

// answered counts the probes among the last n that got an answer.
func answered(recent []Result, n int) int {
	count := 0
	for _, r := range recent[max(0, len(recent)-n):] {
		if r.Outcome != Down {
			count++
		}
	}
	return count
}

func all(s []State, want State) bool {
	for _, v := range s {
		if v != want {
			return false
		}
	}
	return true
}

// Statuses returns every target's status.
func (m *Monitor) Statuses() []Status {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Status, 0, len(m.targets))
	for _, w := range m.targets {
		out = append(out, m.status(w))
	}
	return out
}

// Status returns the status of one target; every public page asks, so it looks at that
// target alone.
func (m *Monitor) Status(id string) (Status, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, w := range m.targets {
		if w.t.ID == id {
			return m.status(w), true
		}
	}
	return Status{}, false
}

// status is w's status; a target without a probe within three of its (backed-off)
// intervals is unknown. The caller holds the read lock.
func (m *Monitor) status(w *watch) Status {
	s := Status{ID: w.t.ID, Name: w.t.Name, Internal: w.t.Check != nil, State: w.state, Since: w.since, CheckedAt: w.checked, Message: w.message,
		FreshFor: 3*w.t.MaxInterval + w.t.Timeout}
	s = s.Current(m.now())
	var lat []time.Duration
	for _, r := range w.recent {
		if r.Outcome != Down {
			lat = append(lat, r.Latency)
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		s.LatencyMS.P50 = lat[len(lat)/2].Milliseconds()
		s.LatencyMS.P95 = lat[min(len(lat)-1, len(lat)*95/100)].Milliseconds()
	}
	return s
}
