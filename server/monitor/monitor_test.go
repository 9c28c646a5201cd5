package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// nationalService plays the national issuing service: up, slow, erroring, hanging.
type nationalService struct {
	mu       sync.Mutex
	mode     string
	requests atomic.Int64
	srv      *httptest.Server
}

func newNationalService(t *testing.T) *nationalService {
	n := &nationalService{mode: "up"}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.requests.Add(1)
		n.mu.Lock()
		mode := n.mode
		n.mu.Unlock()
		switch mode {
		case "up":
			w.Write([]byte(`{"status":"ok"}`))
		case "slow":
			time.Sleep(400 * time.Millisecond)
			w.Write([]byte(`{"status":"ok"}`))
		case "error":
			http.Error(w, "internal error", http.StatusInternalServerError)
		case "hang":
			<-r.Context().Done()
		case "wrong body":
			w.Write([]byte(`maintenance`))
		}
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *nationalService) set(mode string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mode = mode
}

func target(url string) Target {
	return Target{ID: "national", Name: "Zentraler Ausstellungsserver", URL: url, Timeout: time.Second,
		Interval: 20 * time.Millisecond, MaxResponseTime: 250 * time.Millisecond, BodyContains: "ok", Confirmations: 2}
}

// step probes once and records the result, as the loop does.
func step(m *Monitor) State {
	w := m.targets[0]
	m.record(w, m.probe(context.Background(), w.t))
	s, _ := m.Status(w.t.ID)
	return s.State
}

func TestStates_ConfirmationsAndEveryFailureKind(t *testing.T) {
	n := newNationalService(t)
	m := New([]Target{target(n.srv.URL)}, nil, nil)
	if s, _ := m.Status("national"); s.State != Unknown {
		t.Fatalf("before any probe: %s", s.State)
	}
	if step(m) != Unknown || step(m) != Operational {
		t.Fatal("two good probes do not make it operational")
	}
	for _, mode := range []string{"error", "hang", "wrong body"} {
		n.set(mode)
		if got := step(m); got != Operational {
			t.Fatalf("%s: one failure already changed the state to %s", mode, got)
		}
		if got := step(m); got != Down {
			t.Fatalf("%s: two failures give %s", mode, got)
		}
		s, _ := m.Status("national")
		if s.Message == "" {
			t.Errorf("%s: down without a message", mode)
		}
		n.set("up")
		step(m)
		got := step(m)
		if mode == "error" && got != Operational {
			t.Fatalf("after one outage, two good probes give %s", got)
		}
		// Repeated outages within ten probes are instability: degraded until the
		// window is clean again.
		for i := 0; i < 10; i++ {
			got = step(m)
		}
		if got != Operational {
			t.Fatalf("after %s and ten good probes: %s", mode, got)
		}
	}
	n.set("slow")
	step(m)
	if got := step(m); got != Degraded {
		t.Fatalf("slow answers: %s", got)
	}
	n.srv.Close()
	step(m)
	if got := step(m); got != Down {
		t.Fatalf("connection refused: %s", got)
	}
	if s, _ := m.Status("national"); s.Message != "connection refused" {
		t.Errorf("message %q", s.Message)
	}
}

func TestStates_FlappingIsDegradedNotOperational(t *testing.T) {
	n := newNationalService(t)
	m := New([]Target{target(n.srv.URL)}, nil, nil)
	step(m)
	step(m)
	for i := 0; i < 10; i++ {
		n.set(map[bool]string{true: "error", false: "up"}[i%2 == 0])
		step(m)
	}
	if s, _ := m.Status("national"); s.State != Degraded {
		t.Fatalf("flapping service is %s", s.State)
	}
}

// A down service that starts answering every other probe is degraded, not still down; a
// single answer among failures is not enough.
func TestStates_FlappingAfterDownIsDegraded(t *testing.T) {
	n := newNationalService(t)
	m := New([]Target{target(n.srv.URL)}, nil, nil)
	n.set("error")
	step(m)
	if step(m) != Down {
		t.Fatal("not down")
	}
	step(m)
	n.set("up")
	step(m)
	n.set("error")
	if got := step(m); got != Down {
		t.Fatalf("one answer among failures: %s", got)
	}
	for i := 0; i < 4; i++ {
		n.set(map[bool]string{true: "up", false: "error"}[i%2 == 0])
		step(m)
	}
	if s, _ := m.Status("national"); s.State != Degraded {
		t.Fatalf("answering every other probe after an outage: %s", s.State)
	}
}

func TestStatus_UnknownWithoutRecentData(t *testing.T) {
	n := newNationalService(t)
	now := time.Now()
	m := New([]Target{target(n.srv.URL)}, func() time.Time { return now }, nil)
	step(m)
	step(m)
	now = now.Add(time.Hour)
	if s, _ := m.Status("national"); s.State != Unknown {
		t.Fatalf("an hour without probes: %s", s.State)
	}
}

// While the service is down the monitor backs off: no probe storm, one probe in flight.
func TestRun_NoProbeStormWhileDown(t *testing.T) {
	n := newNationalService(t)
	n.set("error")
	tg := target(n.srv.URL)
	tg.MaxInterval = 320 * time.Millisecond
	m := New([]Target{tg}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m.Run(ctx)
	// At the normal 20 ms pace 2 s would be 100 probes; backing off to 320 ms allows ~11.
	if got := n.requests.Load(); got > 20 || got < 2 {
		t.Fatalf("%d probes in 2 s while down", got)
	}
	t.Logf("%d probes in 2 s while down (100 at the normal pace)", n.requests.Load())
}

// Backoff doubles only while down and failing; an answer brings the normal pace back at once.
func TestNextInterval_BackoffWhileDownUntilAnAnswer(t *testing.T) {
	tg := Target{Interval: 30 * time.Second, MaxInterval: 4 * time.Minute}
	interval, waits := tg.Interval, []time.Duration{}
	for _, outcome := range []State{Down, Down, Down, Down, Down, Operational, Down, Degraded} {
		interval = nextInterval(tg, interval, true, outcome)
		waits = append(waits, interval)
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute, 4 * time.Minute, 30 * time.Second, time.Minute, 30 * time.Second}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits while down %v, want %v", waits, want)
	}
	if got := nextInterval(tg, 4*time.Minute, false, Down); got != tg.Interval {
		t.Fatalf("a failure while not (yet) down waits %s, want the normal %s", got, tg.Interval)
	}
}

func TestRun_DetectsOutageAndRecovery(t *testing.T) {
	n := newNationalService(t)
	m := New([]Target{target(n.srv.URL)}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	wait := func(want State) time.Duration {
		start := time.Now()
		for {
			if s, _ := m.Status("national"); s.State == want {
				return time.Since(start)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("not %s after 10 s", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	wait(Operational)
	n.set("error")
	down := wait(Down)
	n.set("up")
	up := wait(Operational)
	t.Logf("interval 20 ms: down detected after %s, recovery after %s", down.Round(time.Millisecond), up.Round(time.Millisecond))
}

func TestProbe_OneInFlight(t *testing.T) {
	var inFlight, most atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tg := target(srv.URL)
	tg.Interval = time.Millisecond
	m := New([]Target{tg}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	m.Run(ctx)
	if most.Load() != 1 {
		t.Fatalf("%d probes in flight at once", most.Load())
	}
}
