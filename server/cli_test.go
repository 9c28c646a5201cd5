package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/internal/testenv"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return out.String() + errOut.String(), err
}

func countPharmacies(t *testing.T, path string) int {
	t.Helper()
	db, err := openStore(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountPharmacies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportCommand_SharedFiles(t *testing.T) { onEachEmptyStore(t, testImportCommand_SharedFiles) }

func testImportCommand_SharedFiles(t *testing.T, empty func(*testing.T) string) {
	db := empty(t)
	start := time.Now()
	out, err := runCLI(t, nil, "import", "--db", db, "registry", testenv.SharedData(t, "pharmacies_de.csv"))
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Logf("registry import: %s (%s)", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
	if !strings.Contains(out, "18666 new") || countPharmacies(t, db) != 18666 {
		t.Fatalf("output %q", out)
	}
	// APOPORTAL_DB names the database as --db does.
	env := map[string]string{"APOPORTAL_DB": db}
	if out, err := runCLI(t, env, "import", "gazetteer", testenv.SharedData(t, "geonames_de_postcodes.csv")); err != nil || !strings.Contains(out, "23297 postcodes") {
		t.Fatalf("gazetteer: %v %s", err, out)
	}
	if out, err := runCLI(t, env, "import", "osm", testenv.SharedData(t, "pharmacies_overpass_sample.geojson")); err != nil || !strings.Contains(out, "40 new") {
		t.Fatalf("osm: %v %s", err, out)
	}
	if n := countPharmacies(t, db); n != 18706 {
		t.Fatalf("%d pharmacies after osm import", n)
	}
	if out, err := runCLI(t, env, "import", "registry", testenv.SharedData(t, "pharmacies_de.csv")); err != nil || !strings.Contains(out, "18666 updated") {
		t.Fatalf("re-import: %v %s", err, out)
	}
}

func TestImportCommand_BadFileChangesNothing(t *testing.T) {
	onEachEmptyStore(t, testImportCommand_BadFileChangesNothing)
}

func testImportCommand_BadFileChangesNothing(t *testing.T, empty func(*testing.T) string) {
	dir := t.TempDir()
	db := empty(t)
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	header := "id,name,street,housenumber,postcode,city,state,lat,lon,phone,email,website,opening_hours,issues_certificates,services\n"
	row := "305308613,Neue-Apotheke,Lindenstraße,98a,21614,Buxtehude,Niedersachsen,53.478903,9.685589,,,,,true,\n"
	os.WriteFile(good, []byte(header+row), 0o600)
	os.WriteFile(bad, []byte(header+strings.Replace(row, "Buxtehude", "Stade", 1)+"305308614,Alte Apotheke,,,21614,Buxtehude,,53.47,north,,,,,true,\n"), 0o600)
	if _, err := runCLI(t, nil, "import", "--db", db, "registry", good); err != nil {
		t.Fatal(err)
	}
	_, err := runCLI(t, nil, "import", "--db", db, "registry", bad)
	if err == nil || !strings.Contains(err.Error(), "line 3, field lon") {
		t.Fatalf("err = %v, want one naming line 3, field lon", err)
	}
	app, _ := testApp(t, db, nil)
	if p, _ := app.store.Pharmacy(context.Background(), "305308613"); p.City != "Buxtehude" || app.engine.Len() != 1 {
		t.Fatalf("bad import changed the database: %+v", p)
	}
}

func TestCommandLine_Mistakes(t *testing.T) {
	for _, args := range [][]string{
		{"nonsense"},
		{"import", "registry"},
		{"import", "pets", "x.csv"},
		{"serve", "--addr"},
		{"serve", "--tile-url", "javascript:alert(1)"},
		{"serve", "--log-level", "loud"},
	} {
		_, err := runCLI(t, map[string]string{"APOPORTAL_DB": filepath.Join(t.TempDir(), "x.db")}, args...)
		var ue usageError
		if err == nil || !errorsAs(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	// Neither the help nor a mistyped flag prints a variable's value: a password, a key.
	secrets := map[string]string{"APOPORTAL_DB": "postgres://apo:sekrit-pw@127.0.0.1:1/apoportal",
		"APOPORTAL_MEILI_KEY": "sekrit-key", "APOPORTAL_MIGRATE_TO": "postgres://apo:sekrit-pw@127.0.0.1:1/x"}
	for _, args := range [][]string{{"serve", "--help"}, {"serve", "--nonsense"}, {"import", "-h"}, {"reindex", "--bogus"},
		{"migrate-store", "--help"}, {"account", "token", "--x"}} {
		if out, _ := runCLI(t, secrets, args...); strings.Contains(out, "sekrit") {
			t.Errorf("%v prints a secret:\n%s", args, out)
		}
	}
	if _, err := runCLI(t, map[string]string{"APOPORTAL_ADDR": "127.0.0.1:1"}, "healthcheck"); err == nil {
		t.Error("healthcheck of nothing succeeded")
	}
	if _, err := runCLI(t, map[string]string{"APOPORTAL_DEMO": "sometimes"}, "serve"); err == nil {
		t.Error("bad APOPORTAL_DEMO accepted")
	}
}

// serve with no configuration but --demo answers searches, and shuts down on signal.
func TestServeCommand_DemoAndGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"APOPORTAL_ADDR": addr, "APOPORTAL_DB": filepath.Join(t.TempDir(), "demo.db")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--demo"}, &strings.Builder{}, &strings.Builder{}, func(k string) string { return env[k] })
	}()
	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = http.Get("http://" + addr + "/suche?q=21614"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="demo-banner"`) || !strings.Contains(body, `data-testid="pharmacy"`) {
		t.Fatalf("demo search: %d", res.StatusCode)
	}
	if out, err := runCLI(t, env, "healthcheck"); err != nil || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck: %v %q", err, out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// Without --demo an empty database stays empty: no invented pharmacies in production.
func TestOpenApp_NoDemoWithoutBeingAsked(t *testing.T) {
	app, _ := testApp(t, filepath.Join(t.TempDir(), "empty.db"), nil)
	if app.engine.Len() != 0 || app.demo {
		t.Fatalf("empty database has %d pharmacies, demo %v", app.engine.Len(), app.demo)
	}
}

func TestAccountCommand(t *testing.T) { onEachStore(t, testAccountCommand) }

func testAccountCommand(t *testing.T, shared func(*testing.T) string) {
	env := map[string]string{"APOPORTAL_DB": shared(t)}
	out, err := runCLI(t, env, "account", "create-operator", "ops@example.org")
	if err != nil || !strings.Contains(out, "activation code") {
		t.Fatalf("create-operator: %v %q", err, out)
	}
	out, err = runCLI(t, env, "account", "create-pharmacy", pharmacyA, "neue-apotheke@example.org")
	if err != nil || !strings.Contains(out, "created pharmacy account") {
		t.Fatalf("create-pharmacy: %v %q", err, out)
	}
	if _, err := runCLI(t, env, "account", "create-pharmacy", "999999999", "fake@example.org"); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("account for unknown pharmacy: %v", err)
	}
	if _, err := runCLI(t, env, "account", "create-operator", "OPS@example.org"); data.ErrorCode(err) != data.ECONFLICT {
		t.Errorf("duplicate login: %v", err)
	}
	out, err = runCLI(t, env, "account", "token", pharmacyA)
	if err != nil || !strings.Contains(out, "apo_") {
		t.Fatalf("token: %v %q", err, out)
	}
	if out, err := runCLI(t, env, "account", "disable", "ops@example.org"); err != nil || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %v %q", err, out)
	}
	token := out[strings.LastIndex(out, " ")+1:]
	out, err = runCLI(t, env, "account", "tokens", pharmacyA)
	if err != nil || !strings.Contains(out, "live") || !strings.Contains(out, "never") || strings.Contains(out, strings.TrimSpace(token)) {
		t.Fatalf("tokens: %v %q", err, out)
	}
	if out, err := runCLI(t, env, "account", "revoke-token", pharmacyA, "1"); err != nil || !strings.Contains(out, "revoked API token 1") {
		t.Fatalf("revoke-token: %v %q", err, out)
	}
	if out, err := runCLI(t, env, "account", "tokens", pharmacyA); err != nil || !strings.Contains(out, "revoked 20") {
		t.Fatalf("tokens after revoking: %v %q", err, out)
	}
	if _, err := runCLI(t, env, "account", "revoke-token", pharmacyB, "1"); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("revoking a token under another pharmacy: %v", err)
	}
	if _, err := runCLI(t, env, "account", "tokens", "999999999"); data.ErrorCode(err) != data.ENOTFOUND {
		t.Errorf("tokens of an unknown pharmacy: %v", err)
	}
	for _, args := range [][]string{{"account"}, {"account", "promote", "x"}, {"account", "token"}, {"account", "revoke-token", pharmacyA, "eins"}} {
		var ue usageError
		if _, err := runCLI(t, env, args...); !errorsAs(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
