//go:build cluster

// The tier's benchmark (make bench): nginx with deploy/nginx's files in front of three
// portal processes on one PostgreSQL, against one portal process alone and a minimal Go
// server writing the hot page's bytes from memory (the ceiling), all driven the same way by
// wrk with scripts/bench/wrk.lua over loopback, in one run on this machine.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
)

// TestTierBench prints the tier's table. It fails only when a part does not start: the
// numbers are the machine's, reported, not asserted.
func TestTierBench(t *testing.T) {
	wrk := testenv.Wrk(t)
	dir := t.TempDir()
	bin, benchload := filepath.Join(dir, "apoportal"), filepath.Join(dir, "benchload")
	for out, pkg := range map[string]string{bin: ".", benchload: "../internal/cmd/benchload"} {
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, msg)
		}
	}
	db := sharedPostgres(t)
	_, pcs := fixture.SharedRegistry(t)
	plzFile := filepath.Join(dir, "plz.txt")
	plzCount := writePLZ(t, plzFile, pcs)

	portals := make([]*handedSocket, 4)
	for i := range portals {
		portals[i] = newHandedSocket(t, db)
		portals[i].command = []string{bin, "serve"}
	}
	env := func(i int) []string {
		return []string{"APOPORTAL_INSTANCE=portal-" + strconv.Itoa(i+1), "APOPORTAL_TRUSTED_PROXIES=127.0.0.1/32", "APOPORTAL_LOG_LEVEL=error"}
	}
	for i, p := range portals[:3] {
		p.start(env(i)...)
		p.waitUp(t)
	}
	const hot = "/suche?q=10115"
	// The ceiling answers each page with the portal's own answer (status, headers, body),
	// captured from it, from memory.
	answers := filepath.Join(dir, "pages.answers")
	if out, err := exec.Command(benchload, "capture", "-base", portals[0].base, "-prefix", "/suche?q=", "-paths", plzFile,
		"-encoding", "gzip", "-out", answers).CombinedOutput(); err != nil {
		t.Fatalf("benchload capture: %v\n%s", err, out)
	}
	ceilingAddr := freeAddr(t)
	ceiling := exec.Command(benchload, "ceiling", "-addr", ceilingAddr, "-answers", answers)
	ceiling.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := ceiling.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ceiling.Process.Kill(); ceiling.Wait() })
	waitAnswer(t, "http://"+ceilingAddr+hot)
	edge := testenv.StartNginx(t, upstreamsOf(portals[:3]), "127.0.0.1") // wrk is one address

	script, err := filepath.Abs("../scripts/bench/wrk.lua")
	if err != nil {
		t.Fatal(err)
	}
	b := &tierBench{t: t, wrk: wrk, script: script, plz: plzFile}
	zipf := []string{"PREFIX=/suche?q="}
	fmt.Printf("\nThe tier over loopback: wrk -t2, scripts/bench/wrk.lua on every side, answers gzip, %d cores shared by all; %d PLZ.\n",
		runtime.NumCPU(), plzCount)
	b.header()
	ceilHot := b.run("ceiling: Go server, the hot page's answer", "http://"+ceilingAddr+hot, 64, 10, nil, nil)
	ceilZipf := b.run("ceiling: each page's answer, Zipf mix", "http://"+ceilingAddr, 64, 10, nil, zipf)
	singleHot := b.run("one portal alone: hot search page", portals[0].base+hot, 64, 10, portals[:1], nil)
	b.run("one portal alone: Zipf mix, warm-up", portals[0].base, 64, 20, portals[:1], zipf)
	singleZipf := b.run("one portal alone: Zipf mix of search pages", portals[0].base, 64, 15, portals[:1], zipf)
	tierHot := b.run("nginx + 3 portals: hot search page", edge.URL+hot, 64, 10, portals[:3], nil)
	b.run("nginx + 3 portals: Zipf mix, warm-up", edge.URL, 64, 20, portals[:3], zipf)
	tierZipf := b.run("nginx + 3 portals: Zipf mix of search pages", edge.URL, 64, 15, portals[:3], zipf)
	many := b.run("nginx + 3 portals: Zipf mix, 2,000 connections", edge.URL, 2000, 15, portals[:3], zipf)
	distinct3 := b.run("nginx + 3 portals: distinct uncached API queries", edge.URL, 32, 10, portals[:3], []string{"DISTINCT=1"})

	portals[3].start(env(3)...)
	portals[3].waitUp(t)
	edge4 := testenv.StartNginx(t, upstreamsOf(portals), "127.0.0.1")
	b.run("nginx + 4 portals: Zipf mix, warm-up", edge4.URL, 64, 20, portals, zipf)
	zipf4 := b.run("nginx + 4 portals: Zipf mix of search pages", edge4.URL, 64, 15, portals, zipf)
	distinct4 := b.run("nginx + 4 portals: distinct uncached API queries", edge4.URL, 32, 10, portals, []string{"DISTINCT=1"})

	fmt.Printf("\nratios (goals in parentheses):\n")
	fmt.Printf("  tier hot page / ceiling:           %.2f (≥ 1.0)\n", tierHot.rps/ceilHot.rps)
	fmt.Printf("  tier Zipf mix / ceiling, same mix: %.2f (≥ 0.8); answered by nginx without a portal: %s, %.0f requests/s reached the portals\n",
		tierZipf.rps/ceilZipf.rps, tierZipf.edgeHits(), tierZipf.reached)
	fmt.Printf("  tier / one portal alone:           hot page %.2f, Zipf mix %.2f\n", tierHot.rps/singleHot.rps, tierZipf.rps/singleZipf.rps)
	fmt.Printf("  2,000 connections through nginx:   %s errors, p99 %.0f ms (0 errors)\n", many.errors, many.p99)
	fmt.Printf("  a fourth portal:                   Zipf mix %.2f×, distinct uncached queries %.2f× of three\n",
		zipf4.rps/tierZipf.rps, distinct4.rps/distinct3.rps)
}

// tierBench runs wrk and prints a row per run.
type tierBench struct {
	t      *testing.T
	wrk    string
	script string // scripts/bench/wrk.lua
	plz    string // every PLZ, one a line, for the script's Zipf mix
}

// tierRow is one run: wrk's numbers, and the requests that reached the portals behind.
type tierRow struct {
	rps, p50, p99 float64
	errors        string  // non-2xx answers / socket errors and timeouts
	reached       float64 // requests a second that reached a portal
}

// edgeHits is the share of the run's requests no portal saw.
func (r tierRow) edgeHits() string { return fmt.Sprintf("%.1f %%", 100*(1-r.reached/r.rps)) }

func (b *tierBench) header() {
	fmt.Printf("%-50s %8s %8s %8s %10s %10s\n", "run", "req/s", "p50 ms", "p99 ms", "errors", "portals/s")
}

// run drives url with wrk for secs seconds over conns connections, env telling the script
// what to ask; behind are the portals whose lookups it counts (nil for the ceiling).
func (b *tierBench) run(name, url string, conns, secs int, behind []*handedSocket, env []string) tierRow {
	b.t.Helper()
	before := lookups(b.t, behind)
	// wrk needs a descriptor per connection: the shell lifts its limit to the hard one.
	cmd := exec.Command("bash", "-c", `ulimit -n "$(ulimit -Hn)"; exec "$@"`, "wrk", b.wrk,
		"-t2", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s", "--timeout", "5s",
		"-H", "Accept-Encoding: gzip", "-s", b.script, url)
	cmd.Env = append(append(os.Environ(), "PLZ_FILE="+b.plz), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("wrk: %v\n%s", err, out)
	}
	var r tierRow
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(line, "WRK %f %f %f %s", &r.rps, &r.p50, &r.p99, &r.errors); err == nil {
			break
		}
	}
	if r.errors == "" {
		b.t.Fatalf("wrk printed no result:\n%s", out)
	}
	portalsPerSec := "-"
	if behind != nil {
		r.reached = float64(lookups(b.t, behind)-before) / float64(secs)
		portalsPerSec = fmt.Sprintf("%.0f", r.reached)
	}
	fmt.Printf("%-50s %8.0f %8.2f %8.2f %10s %10s\n", name, r.rps, r.p50, r.p99, r.errors, portalsPerSec)
	return r
}

// lookups is the number of requests the portals' response caches have seen (each request
// for a page or an API answer is one).
func lookups(t *testing.T, portals []*handedSocket) int64 {
	t.Helper()
	var n int64
	for _, p := range portals {
		res, err := http.Get(p.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var ready struct{ Cache cacheJSON }
		err = json.NewDecoder(res.Body).Decode(&ready)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += ready.Cache.Hits + ready.Cache.Stale + ready.Cache.Misses
	}
	return n
}

// writePLZ writes every PLZ once, in a fixed shuffled order: the script gives rank k the
// weight 1/k.
func writePLZ(t *testing.T, path string, pcs []data.Postcode) int {
	t.Helper()
	var plz []string
	for _, pc := range pcs {
		plz = append(plz, pc.Code)
	}
	slices.Sort(plz)
	plz = slices.Compact(plz)
	r := rand.New(rand.NewPCG(2021, 6))
	r.Shuffle(len(plz), func(i, j int) { plz[i], plz[j] = plz[j], plz[i] })
	if err := os.WriteFile(path, []byte(strings.Join(plz, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return len(plz)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitAnswer(t *testing.T, url string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			return
		}
	}
	t.Fatalf("%s does not answer", url)
}

// upstreamsOf is the portals' addresses, as nginx's upstream names them.
func upstreamsOf(portals []*handedSocket) []string {
	var out []string
	for _, p := range portals {
		out = append(out, strings.TrimPrefix(p.base, "http://"))
	}
	return out
}
