package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	socket, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // the duplicate in socket keeps it listening; this process never accepts
	defer socket.Close()
	var logs bytes.Buffer
	var logsMu sync.Mutex
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "APOPORTAL_TEST_CHILD=serve", "APOPORTAL_DB="+db, "LISTEN_FDS=1", "APOPORTAL_LOG_LEVEL=warn",
			"APOPORTAL_API_RATE=0") // one client address here
		cmd.ExtraFiles = []*os.File{socket}
		cmd.Stdout, cmd.Stderr = &lockedWriter{&logs, &logsMu}, &lockedWriter{&logs, &logsMu}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	old := start()
	defer old.Process.Kill()
	for i := 0; ; i++ {
		if res, err := http.Get(base + "/healthz"); err == nil && res.StatusCode == http.StatusOK {
			res.Body.Close()
			break
		}
		if i > 300 {
			t.Fatal("the first process did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}

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
	defer next.Process.Kill()
	time.Sleep(1500 * time.Millisecond) // the new process loads the registry and starts accepting
	before := sent.Load()
	if err := old.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := old.Wait(); err != nil {
		t.Fatalf("old process: %v\n%s", err, logs.String())
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
		t.Fatalf("%d requests failed across the restart, first: %v\n%s", failed.Load(), firstFailure.Load(), logs.String())
	}
	if sent.Load()-before < 300 {
		t.Fatalf("only %d requests after the handover", sent.Load()-before)
	}
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
