package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// serveAsChild runs "apoportal serve" from the environment and exits.
func serveAsChild() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	err := run(ctx, []string{"serve"}, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// A deploy: the new process starts on the socket the old one serves (handed over as a
// service manager does), the old one is told to stop and finishes what it has. Clients
// under load see no failed request.
func TestServe_RestartOnAHandedOverSocketLosesNoRequest(t *testing.T) {
	db := sharedDBCopy(t)
	sock := newHandedSocket(t, db)
	base := sock.base
	old := sock.start()
	sock.waitUp(t)

	var sent, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			plz := []string{"21614", "01069", "80331", "10115", "50667"}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := "/suche?q=" + plz[(i+w)%len(plz)]
				if i%3 == 0 {
					path = "/api/v1/pharmacies?q=" + plz[(i+w)%len(plz)] + fmt.Sprintf("&limit=%d", 1+i%50) // uncached too
				}
				sent.Add(1)
				res, err := client.Get(base + path)
				if err == nil {
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s: %d", path, res.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	next := sock.start()
	time.Sleep(1500 * time.Millisecond) // the new process loads the registry and starts accepting
	before := sent.Load()
	if err := old.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := old.Wait(); err != nil {
		t.Fatalf("old process: %v\n%s", err, sock.logs())
	}
	// The new process alone, until it has answered a few hundred requests (it may still be
	// loading the registry: meanwhile connections wait in the socket's queue).
	for deadline := time.Now().Add(60 * time.Second); sent.Load()-before < 300 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	next.Process.Signal(syscall.SIGTERM)
	next.Wait()
	t.Logf("%d requests, %d during and after the old process stopped, %d failed", sent.Load(), sent.Load()-before, failed.Load())
	if failed.Load() > 0 {
		t.Fatalf("%d requests failed across the restart, first: %v\n%s", failed.Load(), firstFailure.Load(), sock.logs())
	}
	if sent.Load()-before < 300 {
		t.Fatalf("only %d requests after the handover", sent.Load()-before)
	}
}

// handedSocket is a listening socket handed to portal processes as a service manager
// does; this process never accepts on it.
type handedSocket struct {
	base    string
	file    *os.File
	db      string
	command []string // the portal's command line; nil: this test binary as "apoportal serve"
	mu      sync.Mutex
	output  bytes.Buffer
	t       *testing.T
}

func newHandedSocket(t *testing.T, db string) *handedSocket {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // the duplicate in f keeps the socket listening
	t.Cleanup(func() { f.Close() })
	return &handedSocket{base: "http://" + ln.Addr().String(), file: f, db: db, t: t}
}

// start runs "apoportal serve" on the socket, with env added to the process's environment.
func (h *handedSocket) start(env ...string) *exec.Cmd {
	h.t.Helper()
	command := h.command
	if command == nil {
		command = []string{os.Args[0], "-test.run=^$"}
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(append(os.Environ(), "APOPORTAL_TEST_CHILD=serve", "APOPORTAL_DB="+h.db, "LISTEN_FDS=1",
		"APOPORTAL_LOG_LEVEL=warn", "APOPORTAL_API_RATE=0"), env...) // one client address here
	cmd.ExtraFiles = []*os.File{h.file}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with the test, however it ends
	cmd.Stdout, cmd.Stderr = &lockedWriter{&h.output, &h.mu}, &lockedWriter{&h.output, &h.mu}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// waitUp waits until a process answers on the socket.
func (h *handedSocket) waitUp(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second} // a process that exited leaves the socket listening
	for i := 0; ; i++ {
		if res, err := client.Get(h.base + "/healthz"); err == nil && res.StatusCode == http.StatusOK {
			res.Body.Close()
			return
		}
		if i > 600 {
			t.Fatalf("no portal process came up\n%s", h.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *handedSocket) logs() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.output.String()
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The portal is killed (SIGKILL) while pharmacies switch their participation through the
// API. After a restart every acknowledged switch is there and the database is intact.
func TestServe_KilledWhileSwitchingLosesNoAcknowledgedWrite(t *testing.T) {
	db := sharedDBCopy(t)
	sock := newHandedSocket(t, db)
	sw := newSwitcher(t, db, sock.base)
	portal := sock.start()
	sock.waitUp(t)
	sw.start(t)
	for sw.acked.Load() < 30 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := portal.Process.Kill(); err != nil { // SIGKILL: no drain, no deferred close
		t.Fatal(err)
	}
	portal.Wait()
	time.Sleep(200 * time.Millisecond) // requests in flight find no process
	sw.halt()
	sock.start()
	sock.waitUp(t)
	if w := sw.present(t); !w.all() {
		t.Fatalf("%d of %d acknowledged switches present", w.present, w.acked)
	}
	if integrity := integrityCheck(t, db); integrity != "ok" {
		t.Fatalf("integrity_check: %q", integrity)
	}
	t.Logf("%d switches acknowledged before SIGKILL; all present after the restart; integrity_check ok", sw.acked.Load())
}

func integrityCheck(t *testing.T, db string) string {
	t.Helper()
	check, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var integrity string
	if err := check.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil {
		t.Fatal(err)
	}
	return integrity
}

// switcher makes pharmacies switch their participation through the API, 8 times a second
// each, every switch with a note of its own, and keeps the client's log of the answers.
type switcher struct {
	db         string
	base       string // where the switches are sent
	view       string // where present reads what each pharmacy shows: a portal, not a cache
	prefix     string // of the notes, so runs on one store do not mistake each other's
	pharmacies []string
	tokens     map[string][]string
	logs       []switchLog // per pharmacy, written by its goroutine only
	acked      atomic.Int64
	refused    atomic.Int64 // answered 503 with Retry-After: nothing changed
	unknown    atomic.Int64 // answered 503 outcome_unknown: the store cannot tell whether it was made
	stop       chan struct{}
	wg         sync.WaitGroup
}

// switchLog is one pharmacy's switches by their answer.
type switchLog struct {
	acked   []string // answered 200, in the order sent
	refused []string // answered 503 or 429: must have changed nothing
	cutOff  []string // sent after the last acknowledged one, answer never came: applied or not
}

// last is the last acknowledged note: what the pharmacy must show, unless a cut-off one
// was applied after it.
func (l switchLog) last() string {
	if len(l.acked) == 0 {
		return ""
	}
	return l.acked[len(l.acked)-1]
}

// writes compares what the switcher was told (acknowledged) with what the store holds.
type writes struct{ acked, present int }

// all is the promise: every acknowledged write present.
func (w writes) all() bool { return w.present == w.acked }

// newSwitcher prepares three pharmacies of the shared registry to switch, with API tokens.
func newSwitcher(t *testing.T, db, base string) *switcher {
	t.Helper()
	pharmacies := []string{"306345139", "306727284", "303409032"}
	s := &switcher{db: db, base: base, view: base, prefix: "Meldung", pharmacies: pharmacies, tokens: map[string][]string{}, logs: make([]switchLog, len(pharmacies)),
		stop: make(chan struct{})}
	for _, id := range pharmacies {
		for range 4 { // each token may switch twice a second
			out, err := runCLI(t, map[string]string{"APOPORTAL_DB": db}, "account", "token", id)
			if err != nil {
				t.Fatal(err)
			}
			s.tokens[id] = append(s.tokens[id], strings.TrimSpace(out[strings.LastIndex(out, ": ")+2:]))
		}
	}
	return s
}

func (s *switcher) start(t *testing.T) {
	for p, id := range s.pharmacies {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			client := &http.Client{Timeout: 15 * time.Second} // past the store's 5 s busy timeout
			log := &s.logs[p]
			for n := 0; ; n++ {
				select {
				case <-s.stop:
					return
				default:
				}
				note := fmt.Sprintf("%s %d", s.prefix, n)
				req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v1/participation",
					strings.NewReader(fmt.Sprintf(`{"participating": true, "note": %q}`, note)))
				req.Header.Set("Authorization", "Bearer "+s.tokens[id][n%len(s.tokens[id])])
				res, err := client.Do(req)
				switch {
				case err != nil:
					log.cutOff = append(log.cutOff, note)
				case res.StatusCode == http.StatusOK:
					res.Body.Close()
					log.acked = append(log.acked, note)
					log.cutOff = nil
					s.acked.Add(1)
				case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "":
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if strings.Contains(string(body), `"code":"outcome_unknown"`) {
						log.cutOff = append(log.cutOff, note) // the store lost the commit's answer: maybe made
						s.unknown.Add(1)
						break
					}
					log.refused = append(log.refused, note)
					s.refused.Add(1)
				case res.StatusCode == http.StatusTooManyRequests:
					res.Body.Close()
					log.refused = append(log.refused, note)
				default:
					res.Body.Close()
					t.Errorf("switch answered %d", res.StatusCode)
					return
				}
				time.Sleep(125 * time.Millisecond) // over 4 tokens: within each token's 2 a second
			}
		}()
	}
}

func (s *switcher) halt() {
	close(s.stop)
	s.wg.Wait()
}

// present counts the acknowledged switches that are there: each is a change in the
// store's audit log (written in the transaction that applies it), and each pharmacy's last
// one (or one sent later whose answer was cut off) is what the portal shows. A refused
// switch found applied fails the test.
func (s *switcher) present(t *testing.T) writes {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, s.db, nil) // as the portal opens it: read-only when its volume is
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w := writes{acked: int(s.acked.Load())}
	for p, id := range s.pharmacies {
		l := s.logs[p]
		audited := auditedNotes(t, store, id)
		for _, note := range l.acked {
			if audited[note] {
				w.present++
			} else {
				t.Logf("pharmacy %s: acknowledged %q is not in the audit log", id, note)
			}
		}
		for _, note := range l.refused {
			if audited[note] {
				t.Errorf("pharmacy %s: refused %q was applied", id, note)
			}
		}
		res, err := http.Get(s.view + "/api/v1/pharmacies/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var got pharmacyJSON
		if err := jsonUnmarshal(readAll(t, res.Body), &got); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if shown := got.Certificates.Note; shown != l.last() && !slices.Contains(l.cutOff, shown) && audited[l.last()] {
			t.Logf("pharmacy %s: shows %q; acknowledged last %q, cut off %v", id, shown, l.last(), l.cutOff)
			w.present--
		}
	}
	return w
}

// auditedNotes reads the notes of a pharmacy's participation changes in the audit log.
func auditedNotes(t *testing.T, store data.Registry, pharmacyID string) map[string]bool {
	t.Helper()
	entries, err := store.AuditLog(context.Background(), pharmacyID, math.MaxInt32)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]bool{}
	for _, e := range entries {
		var pa struct{ Note string }
		if e.Action != "participation.change" {
			continue
		}
		if err := jsonUnmarshal(e.New, &pa); err != nil {
			t.Fatal(err)
		}
		notes[pa.Note] = true
	}
	return notes
}
