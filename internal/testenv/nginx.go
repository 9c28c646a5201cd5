package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Nginx is a real nginx in front of portals, run with the shipped edge configuration
// (deploy/nginx/apoportal-http.conf and apoportal-proxy.conf, included as they are) in a
// main file of its own: a temp dir for cache, temp files and logs, a free loopback port.
type Nginx struct {
	URL  string
	Addr string
	dir  string
	cmd  *exec.Cmd
}

// StartNginx starts nginx in front of the portals at upstreams (host:port each) and stops
// it when the test ends; requests from the unlimited addresses (a benchmark's one) are not
// held to the limit per client address. Without nginx the test is skipped, or fails under
// APOPORTAL_REQUIRE_ALL.
func StartNginx(t testing.TB, upstreams []string, unlimited ...string) *Nginx {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			missing(t, "nginx not installed (apt-get install nginx)")
			return nil
		}
		bin = "/usr/sbin/nginx"
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	n := &Nginx{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: t.TempDir()}
	n.URL = "http://" + n.Addr
	// nginx's workers run as an unprivileged user when it is started as root: let them reach
	// the cache and temp folders nginx makes for them in the test's folder.
	for _, d := range []string{filepath.Dir(n.dir), n.dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deploy := filepath.Join(repoRoot(t), "deploy", "nginx")
	var servers, exempt strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "        server %s max_fails=1 fail_timeout=2s;\n", u)
	}
	for _, a := range unlimited {
		fmt.Fprintf(&exempt, "        %s 1;\n", a)
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream apoportal {
%[2]s        keepalive 32;
    }
    proxy_cache_path %[1]s/cache levels=1:2 keys_zone=apoportal:16m max_size=512m inactive=24h use_temp_path=off;
    geo $apoportal_unlimited {
        default 0;
%[5]s    }
    include %[3]s/apoportal-http.conf;
    server {
        listen %[4]s;
        include %[3]s/apoportal-proxy.conf;
    }
}
`, n.dir, servers.String(), deploy, n.Addr, exempt.String())
	path := filepath.Join(n.dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-q", "-p", n.dir, "-c", path).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	n.cmd = exec.Command(bin, "-p", n.dir, "-c", path)
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.cmd.Process.Signal(syscall.SIGQUIT) // graceful: workers finish their requests
		done := make(chan struct{})
		go func() { _ = n.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = n.cmd.Process.Kill()
			<-done
		}
	})
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(n.URL + "/nginx-is-up"); err == nil {
			res.Body.Close()
			return n
		}
		if time.Since(start) > 10*time.Second {
			log, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
			t.Fatalf("nginx does not answer on %s:\n%s", n.Addr, log)
		}
	}
}

// ErrorLog is what nginx logged.
func (n *Nginx) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	return string(b)
}
