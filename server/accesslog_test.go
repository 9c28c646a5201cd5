package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// The client's address is written only to the access log's own files, and the privacy
// statement says for how long they are kept; a day past the retention is deleted when the
// portal starts. Without --access-log no log of the portal holds an address, and the
// statement says so.
func TestAccessLog_AddressesOnlyInItsFilesForAsLongAsSaid(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "access")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "access-2020-01-01.log")
	if err := os.WriteFile(old, []byte(`{"ip":"203.0.113.9"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DB, cfg.AccessLog, cfg.LogRetention = sharedDBCopy(t), dir, 3*24*time.Hour
	app, logs := testAppWith(t, cfg)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("a day of 2020 is still there after a start with 3 days' retention: %v", err)
	}
	base := serveApp(t, app)
	citizen := from(t, base, "127.0.0.31")
	if _, d := citizen.get("/datenschutz"); d.Find("[data-testid=log-retention]").AttrOr("data-days", "") != "3" ||
		!strings.Contains(d.Find("[data-testid=log-retention]").Text(), "nach spätestens 3 Tagen gelöscht") {
		t.Fatalf("the privacy statement says %q", d.Find("[data-testid=log-retention]").Text())
	}
	today := filepath.Join(dir, "access-"+time.Now().In(data.Berlin()).Format("2006-01-02")+".log")
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(today)
		if strings.Contains(string(b), `"ip":"127.0.0.31"`) && strings.Contains(string(b), `"path":"/datenschutz"`) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("today's access log holds no line of 127.0.0.31:\n%s", b)
		}
	}
	if strings.Contains(logs.String(), "127.0.0.31") {
		t.Fatalf("the process's log holds the client's address:\n%s", logs.String())
	}

	plain, logs := testApp(t, sharedDBCopy(t), nil)
	base = serveApp(t, plain)
	if _, d := from(t, base, "127.0.0.32").get("/datenschutz"); d.Find("[data-testid=log-retention]").AttrOr("data-days", "") != "0" {
		t.Fatal("without an access log the privacy statement does not say that no address is logged")
	}
	for start := time.Now(); !strings.Contains(logs.String(), "path=/datenschutz"); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("no request line in the process's log:\n%s", logs.String())
		}
	}
	if strings.Contains(logs.String(), "127.0.0.32") {
		t.Fatalf("without an access log the process's log holds the client's address:\n%s", logs.String())
	}
}

// The retention is a whole number of days the statement can say, from 1 to 90.
func TestConfig_LogRetentionInWholeDays(t *testing.T) {
	for _, bad := range []time.Duration{0, 12 * time.Hour, 36 * time.Hour, 91 * 24 * time.Hour} {
		cfg := DefaultConfig()
		cfg.LogRetention = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--log-retention") {
			t.Errorf("--log-retention %s: %v", bad, err)
		}
	}
	cfg := DefaultConfig()
	cfg.LogRetention = 30 * 24 * time.Hour
	if err := cfg.Validate(); err != nil {
		t.Errorf("30 days: %v", err)
	}
}
