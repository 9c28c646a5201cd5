package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apoportal/apoportal/internal/testenv"
	"github.com/meilisearch/meilisearch-go"
)

type probe struct {
	t      *testing.T
	base   string
	bodies strings.Builder // everything the portal answered, to look for secrets
}

func (p *probe) get(path string) (int, string) {
	p.t.Helper()
	res, err := http.Get(p.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	body := readAll(p.t, res.Body)
	p.bodies.WriteString(body)
	return res.StatusCode, body
}

func (p *probe) engine() string {
	p.t.Helper()
	status, body := p.get("/api/v1/pharmacies?q=21614&certificates=true")
	var out searchJSON
	if err := json.Unmarshal([]byte(body), &out); err != nil || status != http.StatusOK || out.Total == 0 {
		p.t.Fatalf("search answered %d with %d results: %v", status, out.Total, err)
	}
	return out.Engine
}

func (p *probe) waitEngine(want string, within time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	for p.engine() != want {
		if time.Since(start) > within {
			p.t.Fatalf("engine %s not answering after %s", want, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// The portal with Meilisearch: it indexes on its own, answers from Meilisearch, keeps
// answering from the embedded engine while Meilisearch is dead, returns to it without a
// restart, and no key reaches a response or a log line.
func TestServe_WithMeilisearch_FallsBackAndReturns(t *testing.T) {
	ms := testenv.StartMeilisearch(t)
	db := sharedDBCopy(t)
	cfg := DefaultConfig()
	cfg.DB, cfg.MeiliURL, cfg.MeiliKey, cfg.SyncInterval = db, ms.URL, ms.MasterKey, 50*time.Millisecond
	cfg.CacheMB, cfg.APIRate = 0, 0 // this test watches which engine answers each of many requests
	app, logs := testAppWith(t, cfg)
	p := &probe{t: t, base: serveApp(t, app)}

	if got := p.engine(); got != "local" && got != "meilisearch" {
		t.Fatalf("engine %q", got)
	}
	t.Logf("first sync of the registry into meilisearch: %s", p.waitEngine("meilisearch", 60*time.Second).Round(time.Millisecond))
	if status, body := p.get("/readyz"); status != http.StatusOK || !strings.Contains(body, `"name":"meilisearch","state":"ok","circuit":"closed"`) {
		t.Fatalf("readyz %d %s", status, body)
	}

	ms.Kill()
	if got := p.engine(); got != "local" {
		t.Fatalf("with meilisearch dead the %s engine answered", got)
	}
	for i := 0; i < 5; i++ {
		p.engine() // open the circuit
	}
	if _, body := p.get("/readyz"); !strings.Contains(body, `"state":"unavailable","circuit":"open"`) {
		t.Errorf("readyz while meilisearch is dead: %s", body)
	}
	if status, _ := p.get("/suche?q=Buxtehude"); status != http.StatusOK {
		t.Fatalf("search page with meilisearch dead: %d", status)
	}
	ms.Start()
	t.Logf("back on meilisearch %s after its restart", p.waitEngine("meilisearch", 40*time.Second).Round(time.Millisecond))

	keys, err := meilisearch.New(ms.URL, meilisearch.WithAPIKey(ms.MasterKey)).GetKeysWithContext(context.Background(), &meilisearch.KeysQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{ms.MasterKey}
	for _, k := range keys.Results {
		secrets = append(secrets, k.Key)
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) || strings.Contains(p.bodies.String(), s) {
			t.Fatalf("a Meilisearch key appears in a log line or a response")
		}
	}
}

func TestReindexCommand(t *testing.T) {
	ms := testenv.StartMeilisearch(t)
	db := sharedDBCopy(t)
	env := map[string]string{"APOPORTAL_DB": db, "APOPORTAL_MEILI_URL": ms.URL, "APOPORTAL_MEILI_KEY": ms.MasterKey}
	out, err := runCLI(t, env, "reindex")
	if err != nil || !strings.Contains(out, "reindexed 18666 pharmacies") || strings.Contains(out, ms.MasterKey) {
		t.Fatalf("reindex: %v %q", err, out)
	}
	t.Log(strings.TrimSpace(out))
	env["APOPORTAL_MEILI_KEY"] = "wrong-key-wrong-key-wrong"
	out, err = runCLI(t, env, "reindex")
	if err == nil || strings.Contains(out+err.Error(), "wrong-key-wrong-key-wrong") {
		t.Fatalf("reindex with a wrong key: %v %q", err, out)
	}
}
