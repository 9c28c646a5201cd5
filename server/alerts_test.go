package main

import (
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/apoportal/apoportal/server/notify/mailsink"
)

// The operators named by --alert-mail hear, by mail, that the portal's database stopped
// answering, and that it is back: once each, however often it is probed meanwhile.
func TestAlerts_OperatorsHearTheStoreFailAndRecover(t *testing.T) {
	pg := &testenv.Postgres{}
	t.Cleanup(pg.Stop)
	sink := mailsink.Start(t, mailsink.Options{})
	cfg := DefaultConfig()
	cfg.DB, cfg.ProbeInterval, cfg.Instance = sharedPostgresOn(t, pg), time.Second, "portal-1"
	cfg.SMTPURL, cfg.MailFrom, cfg.AlertMail = "smtp+plain://"+sink.Addr, "portal@apoportal.example", "ops@example.org"
	cfg.NotifyRetry, cfg.NotifyWindow, cfg.PublicURL = 50*time.Millisecond, time.Second, "https://apoportal.example"
	app, _ := openTestApp(t, cfg, nil)
	serveApp(t, app)
	time.Sleep(2 * time.Second) // a first look: all well, nothing to say
	pg.Halt(t)
	got := sink.WaitFor("ops@example.org", 1, 30*time.Second)
	pg.Resume(t)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "Datenbank ausgefallen") || !strings.Contains(got[0].Subject, "portal-1") {
		t.Fatalf("while the store is down: %d alerts %v", len(got), got)
	}
	sink.WaitFor("ops@example.org", 2, 30*time.Second)
	time.Sleep(2 * time.Second)
	if got = sink.To("ops@example.org"); len(got) != 2 || !strings.Contains(got[1].Subject, "Datenbank wieder in Ordnung") {
		t.Fatalf("after it is back: %d alerts", len(got))
	}
}
