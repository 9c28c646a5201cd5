//go:build chaos

// The cluster fault suite (make cluster-chaos): three real portal processes on sockets of
// their own behind a real nginx with deploy/nginx's files, on two PostgreSQL under Patroni
// with deploy/patroni's file, each portal with a Meilisearch of its own, under the citizen
// load through nginx while pharmacies switch through it, while parts fail. One row per
// scenario, as make chaos prints them.
package main

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
)

func TestClusterChaos(t *testing.T) {
	asked := sharedWanted(t)
	bin := filepath.Join(t.TempDir(), "apoportal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the portal: %v\n%s", err, out)
	}
	cluster := testenv.StartCluster(t)
	db := cluster.URL("apoportal")
	store, err := postgres.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, pcs := fixture.SharedRegistry(t)
	fixture.Fill(t, store, ps, pcs)
	const login = "apotheke@example.org"
	createPharmacyAccount(t, store, pharmacyA, login)
	store.Close()

	type portal struct {
		sock  *handedSocket
		proc  *exec.Cmd
		env   []string
		meili *testenv.Meilisearch
	}
	portals := make([]*portal, 3)
	var upstreams []string
	for i := range portals {
		sock := newHandedSocket(t, db)
		sock.command = []string{bin, "serve"}
		ms := testenv.StartMeilisearch(t)
		p := &portal{sock: sock, meili: ms, env: []string{"APOPORTAL_INSTANCE=portal-" + string(rune('1'+i)),
			"APOPORTAL_TRUSTED_PROXIES=127.0.0.1/32", "APOPORTAL_COOKIE_SECURE=false",
			"APOPORTAL_MEILI_URL=" + ms.URL, "APOPORTAL_MEILI_KEY=" + ms.MasterKey}}
		p.proc = sock.start(p.env...)
		portals[i] = p
		upstreams = append(upstreams, strings.TrimPrefix(sock.base, "http://"))
	}
	meiliServes := func(t *testing.T) {
		for _, p := range portals {
			waitBody(t, p.sock.base+"/readyz", `"name":"meilisearch","state":"ok"`, 180*time.Second)
		}
	}
	for _, p := range portals {
		p.sock.waitUp(t)
	}
	meiliServes(t)
	edge := testenv.StartNginx(t, upstreams)
	table := &chaosTable{}
	t.Cleanup(table.print)
	const pace = 20 * time.Millisecond // each citizen 50 requests a second, under the edge's limit per address

	t.Run("baseline through nginx", func(t *testing.T) {
		load := startCitizens(edge.URL, asked, 8, pace)
		time.Sleep(5 * time.Second)
		tl := load.halt()
		table.row(t, "c0 through nginx, nothing fails", tl, nil, tl.clean() && tl.c503 == 0)
	})

	switcher := func(t *testing.T, scenario string) *switcher {
		sw := newSwitcher(t, db, edge.URL)
		sw.view, sw.prefix = portals[2].sock.base, scenario
		return sw
	}

	t.Run("one portal killed and restarted", func(t *testing.T) {
		sw := switcher(t, "c1")
		load := startCitizens(edge.URL, asked, 8, pace)
		sw.start(t)
		time.Sleep(2 * time.Second)
		_ = portals[0].proc.Process.Signal(syscall.SIGKILL)
		_ = portals[0].proc.Wait()
		time.Sleep(time.Second)
		portals[0].proc = portals[0].sock.start(portals[0].env...)
		portals[0].sock.waitUp(t)
		time.Sleep(2 * time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		table.row(t, "c1 one portal SIGKILLed, restarted", tl, &w, tl.clean() && w.all())
	})

	t.Run("every portal stopped for 20 s", func(t *testing.T) {
		warm := startCitizens(edge.URL, asked, 8, pace) // fill the edge's cache with the mix
		time.Sleep(2 * time.Second)
		warm.halt()
		load := startCitizens(edge.URL, asked, 8, pace)
		for _, p := range portals { // systemctl stop apoportal.socket apoportal.service, everywhere
			p.sock.close()
			_ = p.proc.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range portals {
			_ = p.proc.Wait()
		}
		time.Sleep(20 * time.Second)
		for _, p := range portals {
			p.sock.reopen(t)
			p.proc = p.sock.start(p.env...)
		}
		for _, p := range portals {
			p.sock.waitUp(t)
		}
		time.Sleep(2 * time.Second)
		tl := load.halt()
		t.Logf("every portal down 20 s: %d of %d requests answered 2xx from nginx's cache or after the portals' return, %d our 503 with Retry-After",
			tl.fresh+tl.stale, tl.sent, tl.c503)
		table.row(t, "c2 every portal stopped 20 s", tl, nil, tl.clean() && tl.fresh > 0)
	})

	t.Run("PostgreSQL primary killed", func(t *testing.T) {
		sw := switcher(t, "c3")
		load := startCitizens(edge.URL, asked, 8, pace)
		sw.start(t)
		time.Sleep(2 * time.Second)
		old := cluster.Primary(t)
		old.KillPostgres(t)
		killed := time.Now()
		for sw.refused.Load()+sw.unknown.Load() == 0 && time.Since(killed) < 10*time.Second {
			time.Sleep(5 * time.Millisecond) // until the portals notice
		}
		before := sw.acked.Load()
		for sw.acked.Load() == before && time.Since(killed) < 30*time.Second {
			time.Sleep(20 * time.Millisecond)
		}
		failover := time.Since(killed)
		time.Sleep(3 * time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		rejoined := cluster.WaitRole(t, old, "replica", 90*time.Second)
		t.Logf("primary %s SIGKILLed: first switch acknowledged through nginx after %s, %d switches refused with 503 + Retry-After, %d answered outcome_unknown (commit answer lost); old primary back as standby %s later",
			old.Name, failover.Round(10*time.Millisecond), sw.refused.Load(), sw.unknown.Load(), rejoined.Round(100*time.Millisecond))
		// Reads untouched: search from the engines, pharmacy pages from the engine's copy.
		table.row(t, "c3 PostgreSQL primary SIGKILLed", tl, &w, tl.clean() && tl.c503 == 0 && w.all() && failover < 30*time.Second)
	})

	t.Run("rolling deploy", func(t *testing.T) {
		sw := switcher(t, "c4")
		load := startCitizens(edge.URL, asked, 8, pace)
		sw.start(t)
		time.Sleep(time.Second)
		var drains []string
		for _, p := range portals {
			next := p.sock.start(p.env...)
			time.Sleep(time.Second)
			stopping := time.Now()
			_ = p.proc.Process.Signal(syscall.SIGTERM)
			_ = p.proc.Wait()
			drains = append(drains, time.Since(stopping).Round(10*time.Millisecond).String())
			p.proc = next
		}
		t.Logf("each old process drained and ended in %s", strings.Join(drains, ", "))
		time.Sleep(time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		table.row(t, "c4 rolling deploy of 3 portals", tl, &w, tl.clean() && tl.c503 == 0 && w.all())
	})

	t.Run("every Meilisearch killed", func(t *testing.T) {
		meiliServes(t) // after the deploy, each portal's new process found its Meilisearch
		sw := switcher(t, "c5")
		load := startCitizens(edge.URL, asked, 8, pace)
		sw.start(t)
		time.Sleep(2 * time.Second)
		for _, p := range portals {
			p.meili.Kill()
		}
		time.Sleep(2 * time.Second)
		fellBack := containsWithin(t, portals[0].sock.base+"/api/v1/pharmacies?q=10115", `"engine":"local"`, time.Second)
		time.Sleep(3 * time.Second)
		for _, p := range portals {
			p.meili.Start()
		}
		time.Sleep(2 * time.Second)
		sw.halt()
		meiliServes(t)
		tl := load.halt()
		// What was switched while they were dead reached each Meilisearch (its portal's
		// outbox drained from its own cursor).
		for p, id := range sw.pharmacies {
			for _, portal := range portals {
				waitMeili(t, portal.meili, id, sw.logs[p].last(), 60*time.Second)
			}
		}
		w := sw.present(t)
		if !fellBack {
			t.Error("with its Meilisearch dead, portal 1 did not answer from its embedded engine")
		}
		table.row(t, "c5 every Meilisearch SIGKILLed, restarted", tl, &w, tl.clean() && tl.c503 == 0 && w.all() && fellBack)
	})

	t.Run("a switch visible everywhere", func(t *testing.T) {
		load := startCitizens(edge.URL, asked, 8, pace)
		seen, ok := switchesSeen(t, db, portals[0].sock.base, map[string]string{
			"through nginx": edge.URL, "on portal 2": portals[1].sock.base, "on portal 3": portals[2].sock.base})
		// The pharmacy's own page (a session: never cached, read from the store) shows its
		// switch at once, through nginx, whichever portal answers.
		own := from(t, edge.URL, "127.0.2.1")
		if res := own.login(login, goodPassword); res.Request.URL.Path != "/konto" {
			t.Fatalf("login through nginx ended at %s (%d)", res.Request.URL, res.StatusCode)
		}
		atOnce := 0
		for i := range 10 {
			note := fmt.Sprintf("Meldung c6 %d", i)
			res, page := own.submit("/konto", "/konto/teilnahme", url.Values{"participating": {strconv.FormatBool(i%2 == 0)}, "note": {note}}, true)
			if res.Request.URL.Path == "/konto" && strings.Contains(page.Text(), note) {
				atOnce++
			}
		}
		tl := load.halt()
		t.Logf("a switch through portal 1 visible: %s; the pharmacy's own page through nginx showed %d of 10 switches at once", seen, atOnce)
		table.row(t, "c6 switch on portal 1 seen via nginx, 2, 3", tl, nil, tl.clean() && tl.c503 == 0 && ok && atOnce == 10)
	})
}

// createPharmacyAccount makes an activated account for a pharmacy, with goodPassword.
func createPharmacyAccount(t *testing.T, store data.Accounts, pharmacyID, login string) {
	t.Helper()
	ctx, actor := context.Background(), data.Actor{Name: "test", Source: "test"}
	_, code, err := store.CreateAccount(ctx, data.RolePharmacy, login, pharmacyID, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.ActivateAccount(ctx, code, goodPassword, actor); err != nil {
		t.Fatal(err)
	}
}

// switchesSeen switches a pharmacy 20 times through the API at base and measures how long
// each takes to show in the public search API at each of views; it reports p50/p99 per
// view, and whether every switch showed everywhere within 2 s.
func switchesSeen(t *testing.T, db, base string, views map[string]string) (string, bool) {
	t.Helper()
	var tokens []string
	for range 5 { // each may switch twice a second
		out, err := runCLI(t, map[string]string{"APOPORTAL_DB": db}, "account", "token", pharmacyA)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, strings.TrimSpace(out[strings.LastIndex(out, ": ")+2:]))
	}
	watcher := from(t, "", "127.0.2.2").c // one address, within the edge's limit per address
	listed := func(view string) bool {
		res, err := watcher.Get(view + "/api/v1/pharmacies?q=01069&certificates=true&limit=100")
		if err != nil {
			t.Error(err)
			return false
		}
		defer res.Body.Close()
		return strings.Contains(readAll(t, res.Body), `"id":"`+pharmacyA+`"`)
	}
	took := map[string][]time.Duration{}
	ok := true
	for i := 0; i < 20; i++ {
		on := i%2 == 1
		start := time.Now()
		if status := switchParticipation(t, base, tokens[i%len(tokens)], on); status != http.StatusOK {
			t.Fatalf("switch %d: %d", i, status)
		}
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for name, view := range views { // each watched on its own, so no view waits for another
			wg.Add(1)
			go func() {
				defer wg.Done()
				for listed(view) != on && time.Since(start) < 5*time.Second {
					time.Sleep(30 * time.Millisecond)
				}
				d := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				if d > 2*time.Second {
					t.Errorf("switch %d through %s: %s after %s", i, base, name, d.Round(time.Millisecond))
					ok = false
				}
				took[name] = append(took[name], d)
			}()
		}
		wg.Wait()
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(took)) {
		d := took[name]
		slices.Sort(d)
		out = append(out, fmt.Sprintf("%s p50 %s p99 %s", name, d[len(d)/2].Round(time.Millisecond), d[len(d)*99/100].Round(time.Millisecond)))
	}
	return strings.Join(out, ", "), ok
}

// close closes the socket, as stopping the service manager's socket (or losing the
// machine) does: connections are refused until reopen.
func (h *handedSocket) close() { h.file.Close() }

// reopen listens on the socket's address again.
func (h *handedSocket) reopen(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(h.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	h.file = f
	h.t.Cleanup(func() { f.Close() }) // with the processes started on it, not with the caller's subtest
}
