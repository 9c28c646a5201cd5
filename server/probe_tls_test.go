package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The national service is probed over https with the system's certificate store, which
// Go reads from SSL_CERT_FILE when set, else from the usual files (the Dockerfile installs
// ca-certificates for them). A portal process whose store holds the service's CA sees it
// operational; one with an empty store sees it down — what the image showed before it had
// CA certificates: a false outage.
func TestProbe_OverTLSTrustsTheSystemsCertificates(t *testing.T) {
	national := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(national.Close)
	dir, noDir := t.TempDir(), t.TempDir() // noDir: SSL_CERT_DIR, so only SSL_CERT_FILE counts
	trusted := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(trusted, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: national.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "none.pem")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		store, want string
	}{{trusted, "operational"}, {empty, "down"}} {
		sock := newHandedSocket(t, sharedDBCopy(t))
		sock.start("SSL_CERT_FILE="+run.store, "SSL_CERT_DIR="+noDir, "APOPORTAL_NATIONAL_URL="+national.URL, "APOPORTAL_PROBE_INTERVAL=1s")
		sock.waitUp(t)
		if !containsWithin(t, sock.base+"/api/v1/status", `"national_service":{"state":"`+run.want+`"`, 20*time.Second) {
			t.Fatalf("with the certificate store %s the national service is not %s\n%s", filepath.Base(run.store), run.want, sock.logs())
		}
	}
}
