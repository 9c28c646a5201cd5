package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apoportal/apoportal/server/accesslog"
)

// accessLog writes one line per request without holding a request up: a request hands its
// line to a buffer and goes on; one goroutine writes the lines. Under load the detail is
// sampled: beyond maxLinesPerSecond (errors excepted), or when the buffer is full (more
// requests than the log can write), a line is not written but counted, and every ten
// seconds with such lines a summary says how many requests there were by status class, so
// the counts stay exact. It logs the path, not the query: what citizens search for is theirs.
// The client's address is written only to the access log's own files (--access-log), which
// are deleted after --log-retention; the process's log, kept as long as whoever runs the
// portal keeps it, gets the lines without it.
type accessLog struct {
	log     *slog.Logger     // the process's: summaries
	files   *accesslog.Files // the access log with addresses, or nil
	lineLog *slog.Logger     // where request lines go: JSON lines into files, or log
	lines   chan accessLine
	start   sync.Once
	done    chan struct{} // closed by stop
	stopped sync.Once
	dropped atomic.Int64
	counts  [6]atomic.Int64 // requests by status class (index status/100), since the last summary
	second  atomic.Int64    // the second lines are being counted in
	inSec   atomic.Int64    // lines of that second
}

// maxLinesPerSecond is the detail a busy portal logs: a launch day's 40,000 requests a
// second would be 6 MB of log a second, and cost the CPU the answers need.
const maxLinesPerSecond = 1000

// accessLine is one request, as logged.
type accessLine struct {
	method, path, ip string
	status           int
	bytes            int64
	at               time.Time // when it came
	took             time.Duration
}

// newAccessLog writes the lines with addresses to files, or without them to log (files nil).
func newAccessLog(log *slog.Logger, files *accesslog.Files) *accessLog {
	l := &accessLog{log: log, files: files, lineLog: log, lines: make(chan accessLine, 4096), done: make(chan struct{})}
	if files != nil {
		l.lineLog = slog.New(slog.NewJSONHandler(files, nil))
	}
	return l
}

// stop ends the writer once it has written what is buffered.
func (l *accessLog) stop() { l.stopped.Do(func() { close(l.done) }) }

// record logs a request; it never blocks.
func (l *accessLog) record(line accessLine) {
	l.counts[min(max(line.status/100, 0), 5)].Add(1)
	level := slog.LevelInfo
	if line.status >= 500 {
		level = slog.LevelError
	}
	if !l.lineLog.Enabled(context.Background(), level) {
		return
	}
	if sec := line.at.Unix(); l.second.Swap(sec) != sec {
		l.inSec.Store(0)
	}
	if l.inSec.Add(1) > maxLinesPerSecond && line.status < 500 {
		l.dropped.Add(1)
		return
	}
	l.start.Do(func() { go l.write() })
	select {
	case l.lines <- line:
	default:
		l.dropped.Add(1)
	}
}

// write writes the lines as they come, and the summary every ten seconds when lines were
// dropped (when the files' old days are pruned too), until stop.
func (l *accessLog) write() {
	summary := time.NewTicker(10 * time.Second)
	defer summary.Stop()
	if l.files != nil {
		defer l.files.Close()
	}
	for {
		select {
		case line := <-l.lines:
			l.writeLine(line)
		case <-summary.C:
			l.summarise()
			l.prune()
		case <-l.done:
			for {
				select {
				case line := <-l.lines:
					l.writeLine(line)
				default:
					l.summarise()
					return
				}
			}
		}
	}
}

func (l *accessLog) writeLine(line accessLine) {
	level := slog.LevelInfo
	if line.status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("method", line.method), slog.String("path", line.path), slog.Int("status", line.status),
		slog.Int64("bytes", line.bytes), slog.Duration("took", line.took.Round(time.Microsecond))}
	if l.files != nil {
		attrs = append(attrs, slog.String("ip", line.ip))
	}
	l.lineLog.LogAttrs(context.Background(), level, "request", attrs...)
}

// prune deletes the files' days past the retention.
func (l *accessLog) prune() {
	if l.files == nil {
		return
	}
	if err := l.files.Prune(); err != nil {
		l.log.Warn("prune the access log", "err", err)
	}
}

// summarise logs the requests of the last period by status class, when some of their
// lines were not written.
func (l *accessLog) summarise() {
	dropped := l.dropped.Swap(0)
	var byClass [6]int64
	for i := range l.counts {
		byClass[i] = l.counts[i].Swap(0)
	}
	if dropped == 0 {
		return
	}
	l.log.Warn("requests (lines not written: beyond the lines a second the log keeps, or than it keeps up with)", "unwritten", dropped,
		"2xx", byClass[2], "3xx", byClass[3], "4xx", byClass[4], "5xx", byClass[5], "other", byClass[0]+byClass[1])
}
