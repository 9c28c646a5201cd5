package testenv

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is PostgreSQL 15 with failover as deploy/patroni describes it: one etcd and two
// Patroni nodes (a primary and a synchronous standby) on loopback ports, in a temp dir,
// Patroni running as the postgres user with the shipped patroni.yml and a node's environment.
type Cluster struct {
	dir      string
	etcd     *exec.Cmd
	etcdURL  string
	Nodes    []*PatroniNode
	password string
}

// PatroniNode is one database machine: Patroni and the PostgreSQL it runs.
type PatroniNode struct {
	Name    string
	PGPort  int
	APIPort int
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	env     []string
	config  string // deploy/patroni/patroni.yml as written beside the node
	cred    *syscall.Credential
	cluster *Cluster
}

// StartCluster starts etcd and two Patroni nodes, waits for a primary and a synchronous
// standby, and creates the database apoportal; all stops when the test ends. Without
// Patroni or etcd the test is skipped, or fails under APOPORTAL_REQUIRE_ALL.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	for _, bin := range []string{"patroni", "etcd"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing(t, "%s not installed (apt-get install patroni etcd-server)", bin)
			return nil
		}
	}
	if _, err := os.Stat(filepath.Join(pgBin(), "postgres")); err != nil {
		missing(t, "PostgreSQL 15 not installed in %s", pgBin())
		return nil
	}
	cred, err := postgresUser()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "apoportal-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	c := &Cluster{dir: dir, password: fmt.Sprintf("pw-%d", time.Now().UnixNano())}
	c.startEtcd(t)
	// The shipped file, written byte for byte beside each node at every start: Patroni runs as
	// the postgres user, who may not be able to read the checkout (and would then silently
	// fall back to its environment alone).
	config, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "patroni", "patroni.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		n := &PatroniNode{Name: fmt.Sprintf("db%d", i+1), dir: filepath.Join(dir, fmt.Sprintf("db%d", i+1)), cred: cred, cluster: c}
		if err := os.Mkdir(n.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if cred != nil {
			if err := os.Chown(n.dir, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
		if n.PGPort, err = freePort(); err != nil {
			t.Fatal(err)
		}
		if n.APIPort, err = freePort(); err != nil {
			t.Fatal(err)
		}
		n.env = append(os.Environ(), "PATRONI_NAME="+n.Name,
			fmt.Sprintf("PATRONI_RESTAPI_LISTEN=127.0.0.1:%d", n.APIPort), fmt.Sprintf("PATRONI_RESTAPI_CONNECT_ADDRESS=127.0.0.1:%d", n.APIPort),
			fmt.Sprintf("PATRONI_POSTGRESQL_LISTEN=127.0.0.1:%d", n.PGPort), fmt.Sprintf("PATRONI_POSTGRESQL_CONNECT_ADDRESS=127.0.0.1:%d", n.PGPort),
			"PATRONI_POSTGRESQL_DATA_DIR="+filepath.Join(n.dir, "data"), "PATRONI_POSTGRESQL_PGPASS="+filepath.Join(n.dir, "pgpass"),
			"PATRONI_ETCD3_HOSTS="+strings.TrimPrefix(c.etcdURL, "http://"),
			"PATRONI_SUPERUSER_PASSWORD="+c.password, "PATRONI_REPLICATION_PASSWORD="+c.password, "PATRONI_REWIND_PASSWORD="+c.password,
			"HOME="+n.dir, "PYTHONUNBUFFERED=1")
		n.config = filepath.Join(n.dir, "patroni.yml")
		if err := os.WriteFile(n.config, config, 0o644); err != nil {
			t.Fatal(err)
		}
		n.start(t)
		c.Nodes = append(c.Nodes, n)
		if i == 0 {
			c.waitRole(t, n, "primary", 90*time.Second)
		}
	}
	c.waitRole(t, c.Nodes[1], "sync", 90*time.Second)
	c.exec(t, "postgres", "CREATE DATABASE apoportal")
	return c
}

func (c *Cluster) startEtcd(t testing.TB) {
	t.Helper()
	client, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c.etcdURL = fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	log, err := os.Create(filepath.Join(c.dir, "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	c.etcd = exec.Command("etcd", "--name", "etcd1", "--data-dir", filepath.Join(c.dir, "etcd"),
		"--listen-client-urls", c.etcdURL, "--advertise-client-urls", c.etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "etcd1="+peerURL)
	c.etcd.Stdout, c.etcd.Stderr = log, log
	c.etcd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.etcd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.etcd.Process.Signal(syscall.SIGTERM)
		_ = c.etcd.Wait()
		log.Close()
	})
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(c.etcdURL + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("etcd does not answer: %s", c.Log("etcd.log"))
		}
	}
}

func (n *PatroniNode) start(t testing.TB) {
	t.Helper()
	log, err := os.OpenFile(filepath.Join(n.dir, "patroni.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command("patroni", n.config)
	n.cmd.Env, n.cmd.Dir = n.env, n.dir
	n.cmd.Stdout, n.cmd.Stderr = log, log
	// Patroni's own group, so its PostgreSQL goes with it when the test stops it.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: n.cred, Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func() { _ = n.cmd.Wait(); log.Close(); close(n.exited) }()
	t.Cleanup(func() {
		_ = n.cmd.Process.Signal(syscall.SIGTERM) // Patroni stops its PostgreSQL
		select {
		case <-n.exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
			<-n.exited
		}
	})
}

// Log is one of the cluster's log files (etcd.log, db1/patroni.log, …).
func (c *Cluster) Log(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, name))
	return string(b)
}

// Role asks a node's Patroni whether it is in role: "primary", "replica" or "sync" (the
// synchronous standby): its REST API answers 200 only then.
func (n *PatroniNode) Role(role string) bool {
	client := http.Client{Timeout: time.Second}
	res, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/%s", n.APIPort, role))
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// waitRole waits until n is in role.
func (c *Cluster) waitRole(t testing.TB, n *PatroniNode, role string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for !n.Role(role) {
		if time.Since(start) > within {
			t.Fatalf("%s is not %s after %s:\n%s", n.Name, role, within, c.Log(filepath.Join(n.Name, "patroni.log")))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// WaitRole waits until n is in role and says how long that took.
func (c *Cluster) WaitRole(t testing.TB, n *PatroniNode, role string, within time.Duration) time.Duration {
	t.Helper()
	return c.waitRole(t, n, role, within)
}

// Primary is the node that is primary now.
func (c *Cluster) Primary(t testing.TB) *PatroniNode {
	t.Helper()
	for start := time.Now(); time.Since(start) < 60*time.Second; time.Sleep(100 * time.Millisecond) {
		for _, n := range c.Nodes {
			if n.Role("primary") {
				return n
			}
		}
	}
	t.Fatal("no primary")
	return nil
}

// URL is the connection string the portals use: both nodes, the primary found by
// target_session_attrs=read-write.
func (c *Cluster) URL(database string) string {
	var hosts []string
	for _, n := range c.Nodes {
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", n.PGPort))
	}
	return (&url.URL{Scheme: "postgres", User: url.UserPassword("postgres", c.password), Host: strings.Join(hosts, ","),
		Path: "/" + database, RawQuery: "sslmode=disable&target_session_attrs=read-write&connect_timeout=2"}).String()
}

func (c *Cluster) exec(t testing.TB, database, sql string) {
	t.Helper()
	execAt(t, c.URL(database), sql)
}

// KillPostgres SIGKILLs the node's postmaster, as a crash would; Patroni notices.
func (n *PatroniNode) KillPostgres(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill postmaster %d: %v", pid, err)
	}
}
