//go:build chaos

// The cluster fault suite (make cluster-chaos): three real portal processes on sockets of
// their own behind a real nginx with deploy/nginx's files, on two PostgreSQL under Patroni
// with deploy/patroni's file, under the citizen load through nginx while pharmacies switch
// through it, while parts fail. One row per scenario, as make chaos prints them.
package main

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	store.Close()

	type portal struct {
		sock *handedSocket
		proc *exec.Cmd
		env  []string
	}
	portals := make([]*portal, 3)
	var upstreams []string
	for i := range portals {
		sock := newHandedSocket(t, db)
		sock.command = []string{bin, "serve"}
		p := &portal{sock: sock, env: []string{"APOPORTAL_INSTANCE=portal-" + string(rune('1'+i)), "APOPORTAL_TRUSTED_PROXIES=127.0.0.1/32"}}
		p.proc = sock.start(p.env...)
		portals[i] = p
		upstreams = append(upstreams, strings.TrimPrefix(sock.base, "http://"))
	}
	for _, p := range portals {
		p.sock.waitUp(t)
	}
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
		table.row(t, "c3 PostgreSQL primary SIGKILLed", tl, &w, tl.c5xx == 0 && tl.connErr == 0 && w.all() && failover < 30*time.Second)
	})

	t.Run("rolling deploy", func(t *testing.T) {
		sw := switcher(t, "c4")
		load := startCitizens(edge.URL, asked, 8, pace)
		sw.start(t)
		time.Sleep(time.Second)
		for _, p := range portals {
			next := p.sock.start(p.env...)
			time.Sleep(time.Second)
			_ = p.proc.Process.Signal(syscall.SIGTERM)
			_ = p.proc.Wait()
			p.proc = next
		}
		time.Sleep(time.Second)
		sw.halt()
		tl := load.halt()
		w := sw.present(t)
		table.row(t, "c4 rolling deploy of 3 portals", tl, &w, tl.clean() && tl.c503 == 0 && w.all())
	})
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
