package main

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingWriter holds every write until released, as a full disk or a stalled pipe would.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	out     strings.Builder
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

// A log that cannot write holds no request up: 20,000 requests are recorded at once while
// the writer is stuck, then the summary counts every one of them, by status class.
func TestAccessLog_NeverBlocksAndCountsExactly(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	l := newAccessLog(slog.New(slog.NewTextHandler(w, nil)), nil)
	start := time.Now()
	for i := range 20_000 {
		status := 200
		if i%10 == 0 {
			status = 404
		}
		l.record(accessLine{method: "GET", path: "/suche", ip: "192.0.2.1", status: status, bytes: 100, at: time.Now(), took: time.Millisecond})
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("recording 20,000 requests with a stuck log took %s", took)
	}
	close(w.release)
	l.stop()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		out := w.out.String()
		w.mu.Unlock()
		if strings.Contains(out, "unwritten=") {
			written := strings.Count(out, "msg=request ")
			if !strings.Contains(out, "2xx=18000") || !strings.Contains(out, "4xx=2000") ||
				!strings.Contains(out, "unwritten="+itoa64(int64(20_000-written))) {
				t.Fatalf("summary after %d written lines:\n%s", written, out[strings.LastIndex(out, "level=WARN"):])
			}
			return
		}
	}
	t.Fatal("no summary of the unwritten lines")
}

func TestAccessLog_QuietAboveInfo(t *testing.T) {
	l := newAccessLog(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})), nil)
	l.record(accessLine{status: 200, at: time.Now()})
	if len(l.lines) != 0 {
		t.Fatal("a 200 was queued for a log at level error")
	}
	l.stop()
}
