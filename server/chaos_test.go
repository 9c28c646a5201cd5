//go:build chaos

// The fault suite (make chaos): the real portal process with the shared registry under a
// bounded citizen load, while something behind it fails. Each scenario prints one row.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
)

// tally counts every response of the citizen load. A request whose connection broke is
// sent once more, as a browser or a proxy in front does for a GET: reset counts those that
// then got an answer, connErr those that did not.
type tally struct {
	sent, fresh, stale, c4xx, c503, c5xx, reset, connErr int
	latencies                                            []time.Duration
	connErrs                                             []string // the first few, to tell what broke
}

// clean is the pass bar of the public side: no 5xx but a 503 with Retry-After, no broken
// connection.
func (t tally) clean() bool { return t.c5xx == 0 && t.reset == 0 && t.connErr == 0 }

func (t *tally) add(o tally) {
	t.sent += o.sent
	t.fresh += o.fresh
	t.stale += o.stale
	t.c4xx += o.c4xx
	t.c503 += o.c503
	t.c5xx += o.c5xx
	t.reset += o.reset
	t.connErr += o.connErr
	t.connErrs = append(t.connErrs, o.connErrs...)
	t.latencies = append(t.latencies, o.latencies...)
}

func (t tally) p99() time.Duration {
	if len(t.latencies) == 0 {
		return 0
	}
	slices.Sort(t.latencies)
	return t.latencies[len(t.latencies)*99/100]
}

// citizens is a bounded load: workers in a closed loop over a Zipf mix of PLZ and
// pharmacies, as search pages, API searches, pharmacy pages and the start page.
type citizens struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	total tally
}

// wanted is what citizens look for: the gazetteer's PLZ and the registry's pharmacies, each
// in a fixed random order (Zipf then makes the first ones the popular ones).
type wanted struct {
	plz, pharmacies []string
}

func sharedWanted(t *testing.T) wanted {
	pharmacies, postcodes := fixture.SharedRegistry(t)
	var w wanted
	for _, p := range pharmacies {
		w.pharmacies = append(w.pharmacies, p.ID)
	}
	seen := map[string]bool{}
	for _, pc := range postcodes { // a PLZ once, however many places it has
		if !seen[pc.Code] {
			seen[pc.Code] = true
			w.plz = append(w.plz, pc.Code)
		}
	}
	shuffle := rand.New(rand.NewPCG(42, 42)).Shuffle
	shuffle(len(w.plz), func(i, j int) { w.plz[i], w.plz[j] = w.plz[j], w.plz[i] })
	shuffle(len(w.pharmacies), func(i, j int) { w.pharmacies[i], w.pharmacies[j] = w.pharmacies[j], w.pharmacies[i] })
	return w
}

// startCitizens starts workers, each from its own loopback address (127.0.1.w) and
// waiting pace between requests (0: none).
func startCitizens(base string, asked wanted, workers int, pace time.Duration) *citizens {
	c := &citizens{stop: make(chan struct{})}
	for w := range workers {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			plz := rand.NewZipf(r, 1.1, 1, uint64(len(asked.plz)-1))
			pharmacy := rand.NewZipf(r, 1.1, 1, uint64(len(asked.pharmacies)-1))
			dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(w+1))}}
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4}}
			var mine tally
			defer func() { c.mu.Lock(); c.total.add(mine); c.mu.Unlock() }()
			for i := 0; ; i++ {
				select {
				case <-c.stop:
					return
				default:
				}
				q := asked.plz[plz.Uint64()]
				path := "/suche?q=" + q
				switch i % 5 {
				case 1:
					path = "/api/v1/pharmacies?certificates=true&q=" + q
				case 2:
					path = "/"
				case 3:
					path = "/apotheke/" + asked.pharmacies[pharmacy.Uint64()]
				}
				start := time.Now()
				res, err := client.Get(base + path)
				mine.sent++
				if err != nil {
					if len(mine.connErrs) < 3 {
						mine.connErrs = append(mine.connErrs, err.Error())
					}
					if res, err = client.Get(base + path); err != nil {
						mine.connErr++
						continue
					}
					mine.reset++
				}
				io.Copy(io.Discard, res.Body) // read to the end, so the connection is kept for the next
				res.Body.Close()
				mine.latencies = append(mine.latencies, time.Since(start))
				time.Sleep(pace)
				switch cache := res.Header.Get("X-Cache"); {
				case res.StatusCode < 300 && strings.HasPrefix(cache, "stale"):
					mine.stale++
				case res.StatusCode < 300:
					mine.fresh++
				case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "":
					mine.c503++
				case res.StatusCode >= 500:
					mine.c5xx++
				default:
					mine.c4xx++
				}
			}
		}()
	}
	return c
}

func (c *citizens) halt() tally {
	close(c.stop)
	c.wg.Wait()
	return c.total
}

// chaosTable is the suite's output: one row per scenario, printed together at the end.
type chaosTable struct{ rows []string }

// row logs and keeps a scenario's row, failing the test if pass is false; w is nil for
// scenarios without writes.
func (c *chaosTable) row(t *testing.T, name string, tl tally, w *writes, pass bool) {
	verdict := "pass"
	if !pass {
		verdict = "FAIL"
		t.Errorf("%s: failed the bar", name)
	}
	acked, present := "-", "-"
	if w != nil {
		acked, present = strconv.Itoa(w.acked), strconv.Itoa(w.present)
	}
	row := fmt.Sprintf("%-34s %7d %7d %6d %5d %5d %5d %5d %5d %8s %7s %7s  %s", name, tl.sent, tl.fresh, tl.stale, tl.c4xx, tl.c503,
		tl.c5xx, tl.reset, tl.connErr, tl.p99().Round(time.Millisecond), acked, present, verdict)
	c.rows = append(c.rows, row)
	t.Log(row)
	for _, e := range tl.connErrs {
		t.Logf("  broken connection (first attempt): %s", e)
	}
}

func (c *chaosTable) print() {
	fmt.Printf("\n%-34s %7s %7s %6s %5s %5s %5s %5s %5s %8s %7s %7s\n", "scenario", "sent", "2xx", "stale", "4xx", "503", "5xx", "reset", "conn", "p99", "acked", "present")
	for _, r := range c.rows {
		fmt.Println(r)
	}
}

func TestChaos(t *testing.T) {
	asked := sharedWanted(t)
	// The portal is the real binary, built here as `make build` does, run as "apoportal serve"
	// on a socket of its own per scenario (portalSocket).
	bin := filepath.Join(t.TempDir(), "apoportal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the portal: %v\n%s", err, out)
	}
	portalSocket := func(t *testing.T, db string) *handedSocket {
		sock := newHandedSocket(t, db)
		sock.command = []string{bin, "serve"}
		return sock
	}
	table := &chaosTable{}
	t.Cleanup(table.print)

	// The reference on each engine: the citizens' reads come from memory and the cache, so
	// the two rows should match.
	for _, store := range []struct {
		name, row string
		shared    func(*testing.T) string
	}{{"baseline", "0 baseline: nothing fails, 5 s", sharedDBCopy}, {"baseline on PostgreSQL", "0p baseline on PostgreSQL, 5 s", sharedPostgres}} {
		t.Run(store.name, func(t *testing.T) {
			sock := portalSocket(t, store.shared(t))
			sock.start()
			sock.waitUp(t)
			load := startCitizens(sock.base, asked, 8, 0)
			time.Sleep(5 * time.Second)
			tl := load.halt()
			table.row(t, store.row, tl, nil, tl.clean() && tl.c503 == 0)
		})
	}

	t.Run("PostgreSQL restarted while switching", func(t *testing.T) {
		pg := &testenv.Postgres{}
		t.Cleanup(pg.Stop)
		db := sharedPostgresOn(t, pg)
		sock := portalSocket(t, db)
		sw := newSwitcher(t, db, sock.base)
		sock.start()
		sock.waitUp(t)
		load := startCitizens(sock.base, asked, 8, 0)
		sw.start(t)
		time.Sleep(3 * time.Second)
		pg.Halt(t)
		time.Sleep(5 * time.Second)
		ackedDown, refusedDown := sw.acked.Load(), sw.refused.Load()
		pg.Resume(t)
		resumed := time.Now()
		for sw.acked.Load() == ackedDown && time.Since(resumed) < 30*time.Second {
			time.Sleep(10 * time.Millisecond)
		}
		back := time.Since(resumed).Round(10 * time.Millisecond)
		time.Sleep(3 * time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		t.Logf("PostgreSQL down 5 s: %d switches refused with 503 + Retry-After while down, first acknowledged %s after it was back; %d acknowledged in all",
			refusedDown, back, w.acked)
		table.row(t, "8p PostgreSQL restarted, 5 s down", tl, &w, tl.clean() && w.all() && sw.acked.Load() > ackedDown && refusedDown > 0)
	})

	t.Run("meilisearch killed and restarted", func(t *testing.T) {
		ms := testenv.StartMeilisearch(t)
		db := sharedDBCopy(t)
		sock := portalSocket(t, db)
		sw := newSwitcher(t, db, sock.base)
		sock.start("APOPORTAL_MEILI_URL="+ms.URL, "APOPORTAL_MEILI_KEY="+ms.MasterKey)
		sock.waitUp(t)
		waitBody(t, sock.base+"/readyz", `"name":"meilisearch","state":"ok"`, 90*time.Second)
		load := startCitizens(sock.base, asked, 8, 0)
		sw.start(t)
		time.Sleep(3 * time.Second)
		ms.Kill()
		time.Sleep(5 * time.Second)
		ms.Start()
		time.Sleep(3 * time.Second)
		// Meilisearch applies an update in 0.5-1.5 s here: while pharmacies switch 24 times a
		// second it cannot catch up, and the embedded engine answers. Once they stop, it does.
		sw.halt()
		waitBody(t, sock.base+"/readyz", `"name":"meilisearch","state":"ok"`, 120*time.Second)
		time.Sleep(2 * time.Second)
		tl := load.halt()
		// The switches made while Meilisearch was dead reached it (the outbox drained): its
		// documents hold every pharmacy's last note.
		for p, id := range sw.pharmacies {
			waitMeili(t, ms, id, sw.logs[p].last(), 60*time.Second)
		}
		w := sw.present(t)
		table.row(t, "1 Meilisearch killed, restarted", tl, &w, tl.clean() && w.all())
	})

	t.Run("national service hangs, errors, flaps", func(t *testing.T) {
		national := newPlayedNational(t)
		db := sharedDBCopy(t)
		sock := portalSocket(t, db)
		sock.start("APOPORTAL_NATIONAL_URL="+national.srv.URL, "APOPORTAL_PROBE_INTERVAL=1s")
		sock.waitUp(t)
		seen := func(state string) time.Duration {
			start := time.Now()
			waitBody(t, sock.base+"/api/v1/status", `"national_service":{"state":"`+state+`"`, 60*time.Second)
			return time.Since(start).Round(100 * time.Millisecond)
		}
		seen("operational")
		load := startCitizens(sock.base, asked, 8, 0)
		national.set("hang")
		probesBefore := national.requests.Load()
		hang := seen("down")
		waitBody(t, sock.base+"/suche?q=10115", `data-testid="national-banner" data-state="down"`, 15*time.Second)
		national.set("error")
		time.Sleep(20 * time.Second)
		probesDown := national.requests.Load() - probesBefore
		national.set("flap")
		flap := seen("degraded")
		national.set("up")
		back := seen("operational")
		tl := load.halt()
		t.Logf("1 s interval: hang seen as down after %s; %d probes in %s down (backoff); flapping seen as degraded after %s; recovery after %s",
			hang, probesDown, 20*time.Second, flap, back)
		table.row(t, "2 national hangs, errors, flaps", tl, nil,
			tl.clean() && tl.c503 == 0 && probesDown <= 8 && hang < 10*time.Second && flap < 30*time.Second)
	})

	t.Run("portal killed while switching", func(t *testing.T) {
		db := sharedDBCopy(t)
		sock := portalSocket(t, db)
		sw := newSwitcher(t, db, sock.base)
		portal := sock.start()
		sock.waitUp(t)
		const workers = 8
		load := startCitizens(sock.base, asked, workers, 0)
		sw.start(t)
		time.Sleep(3 * time.Second)
		portal.Process.Signal(syscall.SIGKILL)
		portal.Wait()
		killed := time.Now()
		sock.start()
		sock.waitUp(t)
		gap := time.Since(killed).Round(10 * time.Millisecond)
		time.Sleep(3 * time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		integrity := integrityCheck(t, db)
		// The requests inside the killed process at that instant (at most one per worker) die
		// with it: their connections are reset, and sent again they are answered. Connections
		// made while no process runs wait in the handed socket's backlog for the next one.
		t.Logf("SIGKILL: next process answering after %s; %d requests reset in flight, all answered when sent again; integrity %s",
			gap, tl.reset, integrity)
		table.row(t, "3 SIGKILL while switching", tl, &w,
			tl.c5xx == 0 && tl.connErr == 0 && tl.reset <= workers && w.all() && integrity == "ok")
	})

	t.Run("database locked by another process", func(t *testing.T) {
		db := sharedDBCopy(t)
		sock := portalSocket(t, db)
		sw := newSwitcher(t, db, sock.base)
		sock.start()
		sock.waitUp(t)
		load := startCitizens(sock.base, asked, 8, 0)
		sw.start(t)
		time.Sleep(2 * time.Second)
		other, err := sql.Open("sqlite3", "file:"+db+"?_busy_timeout=10000")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conn, err := other.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(12 * time.Second) // longer than the 5 s busy timeout
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		time.Sleep(3 * time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		t.Logf("writes while locked: %d refused with 503 + Retry-After (nothing changed), %d acknowledged in all", sw.refused.Load(), sw.acked.Load())
		table.row(t, "4 database write-locked 12 s", tl, &w,
			tl.clean() && w.all() && sw.refused.Load() > 0)
	})

	t.Run("database volume read-only", func(t *testing.T) {
		disk := testenv.SmallFilesystem(t, 64<<20)
		db := sharedDBCopyIn(t, disk)
		sock := portalSocket(t, db)
		sw := newSwitcher(t, db, sock.base)
		old := sock.start("APOPORTAL_PROBE_INTERVAL=1s")
		sock.waitUp(t)
		load := startCitizens(sock.base, asked, 8, 0)
		sw.start(t)
		time.Sleep(2 * time.Second)
		// The volume goes read-only (as the kernel remounts it after I/O errors) and the
		// portal is restarted onto it; meanwhile the handed socket holds new connections.
		stopped := time.Now()
		old.Process.Signal(syscall.SIGTERM)
		old.Wait()
		drained := time.Since(stopped).Round(10 * time.Millisecond)
		testenv.ReadOnly(t, disk)
		sock.start("APOPORTAL_PROBE_INTERVAL=1s")
		sock.waitUp(t)
		t.Logf("old process drained and exited in %s; the read-only one answered %s after the stop", drained, time.Since(stopped).Round(10*time.Millisecond))
		refusedBefore := sw.refused.Load()
		waitBody(t, sock.base+"/api/v1/status", `"id":"store","name":"Datenbank","state":"degraded"`, 30*time.Second)
		time.Sleep(3 * time.Second)
		sw.halt()
		tl := load.halt()
		refused := sw.refused.Load() - refusedBefore
		w := sw.present(t)
		t.Logf("read-only volume: %d writes refused with 503 + Retry-After; the store shows as degraded on /api/v1/status", refused)
		table.row(t, "4b database volume read-only", tl, &w,
			tl.clean() && w.all() && refused > 0)
	})

	t.Run("disk full", func(t *testing.T) {
		disk := testenv.SmallFilesystem(t, 64<<20)
		db := sharedDBCopyIn(t, disk)
		sock := portalSocket(t, db)
		sw := newSwitcher(t, db, sock.base)
		sock.start("APOPORTAL_PROBE_INTERVAL=1s")
		sock.waitUp(t)
		load := startCitizens(sock.base, asked, 8, 0)
		sw.start(t)
		time.Sleep(2 * time.Second)
		filler := fillDisk(t, disk)
		ackedBefore, refusedBefore := sw.acked.Load(), sw.refused.Load()
		full := time.Now()
		waitBody(t, sock.base+"/api/v1/status", `"id":"store","name":"Datenbank","state":"degraded"`, 10*time.Second)
		time.Sleep(10*time.Second - time.Since(full))
		ackedFull, refusedFull := sw.acked.Load()-ackedBefore, sw.refused.Load()-refusedBefore
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		// Space returns: the same process takes writes again.
		ackedAtReturn, recovered := sw.acked.Load(), time.Now()
		for sw.acked.Load() < ackedAtReturn+6 && time.Since(recovered) < 30*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		ackedAfter, recoveredIn := sw.acked.Load()-ackedAtReturn, time.Since(recovered).Round(10*time.Millisecond)
		waitBody(t, sock.base+"/api/v1/status", `"id":"store","name":"Datenbank","state":"operational"`, 30*time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		integrity := integrityCheck(t, db)
		t.Logf("disk full for 10 s: %d writes refused with 503 + Retry-After, %d acknowledged while full; "+
			"after space returned %d acknowledged within %s, no restart; integrity %s",
			refusedFull, ackedFull, ackedAfter, recoveredIn, integrity)
		t.Logf("portal log while full:\n%s", lastLines(sock.logs(), 2))
		table.row(t, "5 disk full 10 s, space returns", tl, &w,
			tl.clean() && w.all() && refusedFull > 0 && ackedAfter >= 6 && integrity == "ok")
	})

	t.Run("deploy under load", func(t *testing.T) {
		db := sharedDBCopy(t)
		sock := portalSocket(t, db)
		old := sock.start()
		sock.waitUp(t)
		load := startCitizens(sock.base, asked, 8, 0)
		time.Sleep(2 * time.Second)
		sock.start()
		time.Sleep(2 * time.Second)
		old.Process.Signal(syscall.SIGTERM)
		old.Wait()
		time.Sleep(3 * time.Second)
		tl := load.halt()
		table.row(t, "6 deploy (socket handed over)", tl, nil, tl.clean() && tl.c503 == 0)
	})

	t.Run("abuse", func(t *testing.T) {
		db := sharedDBCopy(t)
		sock := portalSocket(t, db)
		sock.start("APOPORTAL_API_RATE=20")
		sock.waitUp(t)
		// Citizens (each at most 50 requests a second) and an abuser hammering from 127.0.0.2.
		load := startCitizens(sock.base, asked, 4, 20*time.Millisecond)
		abuser := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
		limited := 0
		for range 300 {
			res, err := abuser.Get(sock.base + "/api/v1/pharmacies?q=10115")
			if err == nil {
				if res.StatusCode == http.StatusTooManyRequests {
					limited++
				}
				res.Body.Close()
			}
		}
		// Slow clients: connections that send half a request and wait.
		var slow []net.Conn
		for range 50 {
			conn, err := net.Dial("tcp", strings.TrimPrefix(sock.base, "http://"))
			if err == nil {
				conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
				slow = append(slow, conn)
			}
		}
		// Attack payloads as searches: never a 500, never reflected unescaped.
		reflected, broken := 0, 0
		for _, p := range attackPayloads {
			for _, path := range []string{"/suche?q=", "/api/v1/pharmacies?q=", "/apotheke/"} {
				res, err := http.Get(sock.base + path + url.QueryEscape(p))
				if err != nil {
					broken++
					continue
				}
				body := readAll(t, res.Body)
				res.Body.Close()
				if res.StatusCode >= 500 {
					broken++
				}
				if strings.ContainsAny(p, "<>\"") && strings.Contains(body, p) {
					reflected++
				}
			}
		}
		malformed := malformedRequests(t, sock.base, strings.TrimPrefix(sock.base, "http://"))
		time.Sleep(6 * time.Second) // past the header timeout: the slow connections are closed
		closed := 0
		for _, conn := range slow {
			conn.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := conn.Read(make([]byte, 1)); err != nil {
				closed++
			}
			conn.Close()
		}
		tl := load.halt()
		t.Logf("abuser limited %d of 300; %d of 50 slow connections closed by the server; %d payloads as search page, API and pharmacy id: %d reflected, %d broke",
			limited, closed, len(attackPayloads), reflected, broken)
		wrong := 0
		for _, m := range malformed {
			t.Logf("  %-44s → %s", m.name, m.got)
			if !m.ok {
				wrong++
			}
		}
		table.row(t, "7 abuse (rate, slowloris, payloads)", tl, nil,
			tl.clean() && tl.c4xx == 0 && limited > 200 && reflected == 0 && broken == 0 && closed == len(slow) && wrong == 0)
	})
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// fillDisk writes a file into dir until the filesystem has no space left, and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 512} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return path
}

// playedNational plays the national issuing service: up, hanging, erroring or flapping.
type playedNational struct {
	srv      *httptest.Server
	mode     atomic.Value
	requests atomic.Int64
}

func newPlayedNational(t *testing.T) *playedNational {
	n := &playedNational{}
	n.mode.Store("up")
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count := n.requests.Add(1)
		switch n.mode.Load() {
		case "hang":
			<-r.Context().Done()
		case "error":
			http.Error(w, "internal error", http.StatusInternalServerError)
		case "flap":
			if count%2 == 0 {
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			w.Write([]byte("ok"))
		default:
			w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *playedNational) set(mode string) { n.mode.Store(mode) }

// malformedAnswer is how the portal answered one malformed or oversized request.
type malformedAnswer struct {
	name, got string
	ok        bool
}

// malformedRequests sends requests too large or not well-formed, each on a connection of
// its own: every one must get a 4xx answer (never a 5xx, never a hang).
func malformedRequests(t *testing.T, base, addr string) []malformedAnswer {
	t.Helper()
	token := "Bearer not-a-token"
	cases := []struct {
		name, method, path, contentType, body string
		header                                map[string]string
		want                                  int
	}{
		{"100 KB query", "GET", "/suche?q=" + strings.Repeat("a", 100_000), "", "", nil, http.StatusRequestHeaderFieldsTooLarge},
		{"32 KB header", "GET", "/", "", "", map[string]string{"X-Junk": strings.Repeat("j", 32<<10)}, http.StatusRequestHeaderFieldsTooLarge},
		{"broken percent-encoding", "GET", "/suche?q=%zz%", "", "", nil, http.StatusBadRequest},
		{"invalid UTF-8 in the query", "GET", "/api/v1/pharmacies?q=%ff%fe%fd", "", "", nil, http.StatusBadRequest},
		{"coordinates not numbers", "GET", "/api/v1/pharmacies?lat=NaN&lon=Infinity", "", "", nil, http.StatusBadRequest},
		{"coordinates off the map", "GET", "/api/v1/pharmacies?lat=91&lon=181", "", "", nil, http.StatusBadRequest},
		{"radius absurd", "GET", "/api/v1/pharmacies?q=10115&radius_km=1e308", "", "", nil, http.StatusBadRequest},
		{"offset beyond any integer", "GET", "/api/v1/pharmacies?q=10115&offset=99999999999999999999", "", "", nil, http.StatusBadRequest},
		{"5 MB participation body", "POST", "/api/v1/participation", "application/json", `{"note":"` + strings.Repeat("x", 5<<20) + `"}`,
			map[string]string{"Authorization": token, "Expect": "100-continue"}, http.StatusRequestEntityTooLarge},
		{"5 MB login form", "POST", "/login", "application/x-www-form-urlencoded", "email=" + strings.Repeat("x", 5<<20),
			map[string]string{"Expect": "100-continue"}, http.StatusRequestEntityTooLarge},
		{"participation without a token", "POST", "/api/v1/participation", "application/json", `{"participating":true}`, nil,
			http.StatusUnauthorized},
		{"participation with a forged token", "POST", "/api/v1/participation", "application/json", `{"participating":true}`,
			map[string]string{"Authorization": token}, http.StatusUnauthorized},
		{"login without CSRF token", "POST", "/login", "application/x-www-form-urlencoded", "email=a@b.de&password=x", nil,
			http.StatusForbidden},
		{"unknown pharmacy id", "GET", "/api/v1/pharmacies/' OR 1=1 --", "", "", nil, http.StatusNotFound},
		{"method not allowed", "DELETE", "/api/v1/pharmacies", "", "", nil, http.StatusMethodNotAllowed},
	}
	var out []malformedAnswer
	for _, c := range cases {
		req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		// Large uploads ask first (Expect: 100-continue, as curl does): a refusal then comes
		// before the body, not as a reset in the middle of it.
		// From an address of their own, so the search API's rate limit of earlier requests
		// does not answer in place of the checks.
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext,
			DisableKeepAlives: true, ExpectContinueTimeout: 5 * time.Second}}
		res, err := client.Do(req)
		if err != nil {
			out = append(out, malformedAnswer{c.name, "no answer: " + err.Error(), false})
			continue
		}
		res.Body.Close()
		out = append(out, malformedAnswer{c.name, res.Status, res.StatusCode == c.want})
	}
	// Not HTTP at all, a NUL in the path, and a version from the future (net/http answers 505
	// HTTP Version Not Supported, the one 5xx that is the right answer).
	for _, raw := range []struct{ request, want string }{
		{"HELLO\r\n\r\n", " 400 "},
		{"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", " 400 "},
		{"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", " 400 "},
		{"GET / HTTP/9.9\r\nHost: x\r\n\r\n", " 505 "},
	} {
		name := fmt.Sprintf("raw %q", raw.request[:min(len(raw.request), 24)])
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			out = append(out, malformedAnswer{name, err.Error(), false})
			continue
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		conn.Write([]byte(raw.request))
		line, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		out = append(out, malformedAnswer{name, strings.TrimSpace(line), err == nil && strings.Contains(line, raw.want)})
	}
	return out
}

// waitMeili waits until Meilisearch's document of a pharmacy holds want.
func waitMeili(t *testing.T, ms *testenv.Meilisearch, id, want string, within time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < within; time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, ms.URL+"/indexes/pharmacies/documents/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+ms.MasterKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		body := readAll(t, res.Body)
		res.Body.Close()
		if strings.Contains(body, `"note":"`+want+`"`) {
			return
		}
	}
	t.Fatalf("Meilisearch's document %s does not hold %q after %s", id, want, within)
}

func waitBody(t *testing.T, url, want string, within time.Duration) {
	t.Helper()
	if !containsWithin(t, url, want, within) {
		t.Fatalf("%s did not show %q within %s", url, want, within)
	}
}

// attackPayloads are common SQL injection and XSS probes.
var attackPayloads = []string{
	`' OR '1'='1`, `' OR 1=1 --`, `" OR "1"="1`, `'; DROP TABLE pharmacies; --`, `1; SELECT * FROM accounts`,
	`' UNION SELECT password_hash FROM accounts --`, `admin'--`, `') OR ('1'='1`, `1' AND SLEEP(5)--`, `%' AND 1=0 UNION SELECT 1 --`,
	`<script>alert(1)</script>`, `"><script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `<svg onload=alert(1)>`,
	`javascript:alert(1)`, `'"><iframe src=javascript:alert(1)>`, `<body onload=alert(1)>`, `{{7*7}}`, `${7*7}`, `<%= 7*7 %>`,
	`../../etc/passwd`, `..%2f..%2fetc%2fpasswd`, "\x00", `%00`, `' AND extractvalue(1,concat(0x7e,version()))--`,
	`<a href="javascript:alert(1)">x</a>`, `"><svg/onload=alert(String.fromCharCode(88,83,83))>`, `'-alert(1)-'`, `\u003cscript\u003e`,
	`<details open ontoggle=alert(1)>`, `1 OR 1=1`, `' OR ''='`, `" OR ""="`, `or 1=1`, `' or 'a'='a`, `") or ("a"="a`,
	`hi' or 1=1 --`, `' having 1=1 --`, `' group by userid having 1=1--`, `1' ORDER BY 1--+`, `-1' UNION SELECT 1,2,3--+`,
	`<ScRiPt>alert(1)</sCrIpT>`, `<script src=//evil.example/x.js></script>`, `<style>@import'//evil.example'</style>`,
	`<meta http-equiv="refresh" content="0;url=//evil.example">`, `<object data=javascript:alert(1)>`, `<embed src=javascript:alert(1)>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`, `';!--"<XSS>=&{()}`, `<IMG SRC="jav&#x09;ascript:alert('XSS');">`,
	`' OR 1=1#`, `' OR 1=1/*`, `admin' #`, `admin'/*`, `' or 1=1 limit 1 -- -+`, `1' or '1'='1' -- `, `' AND 1=CONVERT(int,@@version)--`,
	`'; WAITFOR DELAY '0:0:5'--`, `1;SELECT pg_sleep(5)--`, `' AND (SELECT COUNT(*) FROM sqlite_master)>0 --`,
	`' UNION SELECT sql FROM sqlite_master --`, `' UNION SELECT NULL,NULL,NULL--`, `1 AND 1=2 UNION SELECT 1,group_concat(name) FROM sqlite_master`,
	`'; ATTACH DATABASE '/tmp/x.db' AS x; --`, `'||(SELECT load_extension('x'))||'`, `' AND randomblob(1000000000)--`,
	`%27%20OR%201%3D1`, `' oR '1'='1`, `'/**/OR/**/1=1--`, `') UNION SELECT * FROM accounts--`, `'; UPDATE pharmacies SET name='x'--`,
	`'; INSERT INTO accounts VALUES(1,'x')--`, `1' AND '1'='2`, `' AND ascii(substr((SELECT 1),1,1))>0--`, `\' OR 1=1 --`,
	`<img src="x" onerror="alert(document.cookie)">`, `<svg><script>alert(1)</script></svg>`, `<iframe srcdoc="<script>alert(1)</script>">`,
	`<input autofocus onfocus=alert(1)>`, `<select autofocus onfocus=alert(1)>`, `<textarea autofocus onfocus=alert(1)>`,
	`<video><source onerror=alert(1)>`, `<audio src=x onerror=alert(1)>`, `<marquee onstart=alert(1)>`, `<div style="background:url(javascript:alert(1))">`,
	`<link rel=import href=//evil.example>`, `<base href=//evil.example/>`, `<form action=javascript:alert(1)><input type=submit>`,
	`<isindex action=javascript:alert(1) type=image>`, `"onmouseover="alert(1)`, `' onmouseover='alert(1)`, `</script><script>alert(1)</script>`,
	`</title><script>alert(1)</script>`, `</textarea><script>alert(1)</script>`, `<!--<img src="--><img src=x onerror=alert(1)//">`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`, `&lt;script&gt;alert(1)&lt;/script&gt;`, `data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==`,
	`<a href="data:text/html,<script>alert(1)</script>">x</a>`, `' AND 1=(SELECT 1 FROM pragma_table_info('accounts'))--`,
}
