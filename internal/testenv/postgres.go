package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL server for one test binary: started on first use, in a temp dir,
// on a free loopback port, as the postgres user when the tests run as root (PostgreSQL
// refuses to run as root). Each test gets a database of its own.
type Postgres struct {
	once      sync.Once
	err       error
	dir       string
	port      int
	cmd       *exec.Cmd
	exited    chan struct{}
	cred      *syscall.Credential // the postgres user when we are root
	created   atomic.Int64
	mu        sync.Mutex
	templates map[string]bool // made by Template
	// Settings are extra server settings (-c name=value), e.g. synchronous_commit.
	Settings map[string]string
}

// pgBin is where Debian puts PostgreSQL 15's programs; APOPORTAL_PG_BIN overrides it.
func pgBin() string {
	if dir := os.Getenv("APOPORTAL_PG_BIN"); dir != "" {
		return dir
	}
	return "/usr/lib/postgresql/15/bin"
}

// Database creates an empty database and returns its URL; it is dropped when the test ends.
// Without PostgreSQL's programs the test is skipped, or fails under APOPORTAL_REQUIRE_ALL.
func (p *Postgres) Database(t testing.TB) string {
	t.Helper()
	return p.Copy(t, "template0")
}

// Copy creates a database as a copy of template (see Template) and returns its URL; it is
// dropped when the test ends.
func (p *Postgres) Copy(t testing.TB, template string) string {
	t.Helper()
	p.running(t)
	name := fmt.Sprintf("t%d", p.created.Add(1))
	p.Exec(t, "postgres", "CREATE DATABASE "+name+" TEMPLATE "+template)
	t.Cleanup(func() { p.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return p.URL(name)
}

// Template makes the named database once per server, filled by fill (which must close every
// connection to it), for Copy to copy in a fraction of the time filling takes.
func (p *Postgres) Template(t testing.TB, name string, fill func(url string)) {
	t.Helper()
	p.running(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.templates[name] {
		return
	}
	p.Exec(t, "postgres", "CREATE DATABASE "+name+" TEMPLATE template0")
	fill(p.URL(name))
	if p.templates == nil {
		p.templates = map[string]bool{}
	}
	p.templates[name] = true
}

// running starts the server on first use.
func (p *Postgres) running(t testing.TB) {
	t.Helper()
	p.once.Do(func() { p.err = p.start() })
	if errors.Is(p.err, errNoPostgres) {
		missing(t, "postgres: %v", p.err)
	}
	if p.err != nil {
		t.Fatalf("postgres: %v", p.err)
	}
}

// URL is the connection string of the named database.
func (p *Postgres) URL(database string) string {
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(p.port),
		Path: "/" + database, RawQuery: "sslmode=disable"}).String()
}

// Exec runs statements as the superuser in the named database.
func (p *Postgres) Exec(t testing.TB, database, sql string) {
	t.Helper()
	execAt(t, p.URL(database), sql)
}

// execAt runs statements on one connection to url.
func execAt(t testing.TB, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("postgres: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("postgres: %s: %v", sql, err)
	}
}

var errNoPostgres = errors.New("PostgreSQL 15 is not installed")

func (p *Postgres) start() error {
	if _, err := os.Stat(filepath.Join(pgBin(), "postgres")); err != nil {
		return fmt.Errorf("%w (looked in %s; set APOPORTAL_PG_BIN)", errNoPostgres, pgBin())
	}
	cred, err := postgresUser()
	if err != nil {
		return err
	}
	if p.dir, err = os.MkdirTemp("", "apoportal-pg-"); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(p.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("give %s to postgres: %w", p.dir, err)
		}
	}
	initdb := exec.Command(filepath.Join(pgBin(), "initdb"), "-D", filepath.Join(p.dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	p.cred = cred
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		p.port = port
		if err = p.run(); err == nil || attempt == 3 {
			return err
		}
	}
}

// Halt stops the server as an operator's restart does (fast shutdown: sessions end, their
// clients see the connections close) and keeps its data; Resume starts it again.
func (p *Postgres) Halt(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("stop postgres: %v", err)
	}
	<-p.exited
}

// Resume starts a halted server again on the same port.
func (p *Postgres) Resume(t testing.TB) {
	t.Helper()
	if err := p.run(); err != nil {
		t.Fatalf("restart postgres: %v", err)
	}
}

// run starts the server on p.port and waits until it answers. The server dies with the
// test binary (SIGQUIT on the parent's death), so a killed test leaves no server behind.
func (p *Postgres) run() error {
	port := p.port
	cred := p.cred
	args := []string{"-D", filepath.Join(p.dir, "data"), "-p", strconv.Itoa(port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "log_min_messages=warning"}
	for k, v := range p.Settings {
		args = append(args, "-c", k+"="+v)
	}
	logFile, err := os.OpenFile(filepath.Join(p.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	p.cmd = exec.Command(filepath.Join(pgBin(), "postgres"), args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.exited = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := p.ours()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited: // the port was taken after all, or the server could not start
			log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
			return fmt.Errorf("postgres exited: %s", log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			<-p.exited
			return fmt.Errorf("postgres did not answer within a minute: %w", err)
		}
	}
}

// ours checks that the server answering on the port is the one of this data folder (another
// test binary's may have taken the port between our choosing it and listening on it).
func (p *Postgres) ours() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return err
	}
	if dir != filepath.Join(p.dir, "data") {
		return fmt.Errorf("port %d answers for %s, not for this test's server", p.port, dir)
	}
	return nil
}

// Stop shuts the server down (fast: open sessions are ended) and removes its files.
func (p *Postgres) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// postgresUser is the user to run PostgreSQL as: postgres when we are root, else ourselves.
func postgresUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a loopback port nobody listens on right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
