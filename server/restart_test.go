package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
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
	base, start := sock.base, sock.start
	old := start()
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
	next := start()
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
	base   string
	file   *os.File
	db     string
	mu     sync.Mutex
	output bytes.Buffer
	t      *testing.T
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

// start runs "apoportal serve" (the test binary as the portal) on the socket.
func (h *handedSocket) start() *exec.Cmd {
	h.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "APOPORTAL_TEST_CHILD=serve", "APOPORTAL_DB="+h.db, "LISTEN_FDS=1",
		"APOPORTAL_LOG_LEVEL=warn", "APOPORTAL_API_RATE=0") // one client address here
	cmd.ExtraFiles = []*os.File{h.file}
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
	for i := 0; ; i++ {
		if res, err := http.Get(h.base + "/healthz"); err == nil && res.StatusCode == http.StatusOK {
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
// API. After a restart every acknowledged switch is there — for each pharmacy the last note
// answered 200, or one sent later whose answer the kill cut off — and the database is intact.
func TestServe_KilledWhileSwitchingLosesNoAcknowledgedWrite(t *testing.T) {
	db := sharedDBCopy(t)
	pharmacies := []string{"306345139", "306727284", "303409032"}
	tokens := map[string]string{}
	for _, id := range pharmacies {
		for range 4 { // each token may switch twice a second
			out, err := runCLI(t, map[string]string{"APOPORTAL_DB": db}, "account", "token", id)
			if err != nil {
				t.Fatal(err)
			}
			tokens[id] += strings.TrimSpace(out[strings.LastIndex(out, ": ")+2:]) + ","
		}
	}
	sock := newHandedSocket(t, db)
	portal := sock.start()
	sock.waitUp(t)

	type outcome struct {
		acked   string   // the last note answered 200
		unknown []string // notes sent after it whose answer never came
	}
	outcomes := make([]outcome, len(pharmacies))
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p, id := range pharmacies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			toks := strings.Split(strings.TrimSuffix(tokens[id], ","), ",")
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				note := fmt.Sprintf("Meldung %d", n)
				req, _ := http.NewRequest(http.MethodPost, sock.base+"/api/v1/participation",
					strings.NewReader(fmt.Sprintf(`{"participating": true, "note": %q}`, note)))
				req.Header.Set("Authorization", "Bearer "+toks[n%len(toks)])
				res, err := client.Do(req)
				switch {
				case err != nil:
					outcomes[p].unknown = append(outcomes[p].unknown, note) // cut off: applied or not
					time.Sleep(20 * time.Millisecond)
				case res.StatusCode == http.StatusOK:
					res.Body.Close()
					outcomes[p].acked, outcomes[p].unknown = note, nil
					acked.Add(1)
				default:
					res.Body.Close()
					if res.StatusCode != http.StatusTooManyRequests {
						t.Errorf("switch answered %d", res.StatusCode)
						return
					}
				}
				time.Sleep(125 * time.Millisecond) // 8 a second per pharmacy over 4 tokens
			}
		}()
	}
	for acked.Load() < 30 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := portal.Process.Kill(); err != nil { // SIGKILL: no drain, no deferred close
		t.Fatal(err)
	}
	portal.Wait()
	time.Sleep(200 * time.Millisecond) // requests in flight find no process
	close(stop)
	wg.Wait()
	sock.start()
	sock.waitUp(t)

	for p, id := range pharmacies {
		res, err := http.Get(sock.base + "/api/v1/pharmacies/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var got pharmacyJSON
		if err := jsonUnmarshal(readAll(t, res.Body), &got); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		o := outcomes[p]
		if got.Certificates.Note != o.acked && !slices.Contains(o.unknown, got.Certificates.Note) {
			t.Errorf("pharmacy %s: note %q after the kill; acknowledged %q, cut off %v", id, got.Certificates.Note, o.acked, o.unknown)
		}
	}
	check, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var integrity string
	if err := check.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check: %q %v", integrity, err)
	}
	t.Logf("%d switches acknowledged before SIGKILL; all present after the restart; integrity_check ok", acked.Load())
}
