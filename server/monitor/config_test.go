package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseConfig_TargetsWithDefaults(t *testing.T) {
	targets, err := ParseConfig(strings.NewReader(`{"targets": [
		{"id": "national", "name": "Zentraler Ausstellungsserver", "url": "https://issuing.example/health"},
		{"id": "national-auth", "name": "Anmeldung", "url": "https://auth.example/health", "method": "head",
		 "timeout": "3s", "interval": "1m", "expect": [200, 204], "max_response_time": "500ms", "confirmations": 3,
		 "json_field": "status.api", "json_equals": "UP"}]}`), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n, a := targets[0], targets[1]
	if n.Method != http.MethodGet || n.Interval != 30*time.Second || n.Timeout != 10*time.Second || n.Confirmations != 2 ||
		n.MaxInterval != 4*time.Minute || n.MaxResponseTime != 2*time.Second {
		t.Errorf("defaults: %+v", n)
	}
	if a.Method != http.MethodHead || a.Interval != time.Minute || a.Timeout != 3*time.Second || a.Confirmations != 3 ||
		a.MaxInterval != 5*time.Minute || len(a.Expect) != 2 || a.JSONField != "status.api" || a.JSONEquals != "UP" {
		t.Errorf("explicit: %+v", a)
	}
}

func TestParseConfig_RejectsWithTargetAndField(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{`{"targets": []}`, "no targets"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "interval": "soon"}]}`, `target 1 ("a"): field interval: "soon" is not a duration`},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example"}, {"id": "a", "name": "B", "url": "https://b.example"}]}`, `target 2: field id: "a" is used twice`},
		{`{"targets": [{"id": "A!", "name": "A", "url": "https://a.example"}]}`, "field id"},
		{`{"targets": [{"id": "a", "name": "", "url": "https://a.example"}]}`, "field name"},
		{`{"targets": [{"id": "a", "name": "A", "url": "ftp://user:secret@a.example"}]}`, "field url: not an http(s) URL"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "method": "DELETE"}]}`, "field method"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "timeout": "1m", "interval": "30s"}]}`, "field timeout"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "expect": [999]}]}`, "field expect"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "confirmations": 50}]}`, "field confirmations"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "json_field": "status"}]}`, "json_equals go together"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "retries": 3}]}`, `unknown field "retries"`},
		{"{\"targets\": [\n{\"id\": \"a\",\n \"name\": 7}]}", "line 3, field targets.name: expected string"},
		{"{\"targets\": [\n\n{\"id\": }]}", "line 3: invalid character"},
		{`{"targets": [{"id": "a", "name": "A", "url": "https://a.example"}]} {}`, "more than one JSON value"},
	} {
		_, err := ParseConfig(strings.NewReader(c.file), 30*time.Second)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.file, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the URL's credentials: %v", err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add(`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "json_field": "x.0", "json_equals": "1"}]}`)
	f.Add(`{"targets": [{"id": "a", "name": "A", "url": "https://a.example", "interval": "-1s"}]}`)
	f.Fuzz(func(t *testing.T, file string) {
		targets, err := ParseConfig(strings.NewReader(file), 30*time.Second)
		if err != nil {
			return
		}
		for _, tg := range targets {
			if tg.Timeout <= 0 || tg.Timeout > tg.Interval || tg.Interval < time.Second || tg.MaxInterval < tg.Interval || tg.Confirmations < 1 {
				t.Fatalf("accepted an unusable target %+v", tg)
			}
		}
	})
}

func TestJSONFieldIs(t *testing.T) {
	body := []byte(`{"status": {"api": "UP", "db": true, "nodes": [{"ok": 1}, {"ok": 0}]}, "version": 2.5}`)
	for _, c := range []struct {
		path, want string
		ok         bool
	}{
		{"status.api", "UP", true}, {"status.api", "up", false}, {"status.db", "true", true},
		{"status.nodes.1.ok", "0", true}, {"status.nodes.2.ok", "0", false}, {"version", "2.5", true},
		{"status.missing", "null", true}, {"status.api.deeper", "UP", false},
	} {
		if got := jsonFieldIs(body, c.path, c.want); got != c.ok {
			t.Errorf("%s = %q: %v", c.path, c.want, got)
		}
	}
	if jsonFieldIs([]byte("maintenance"), "status", "UP") {
		t.Error("a body that is not JSON passed")
	}
}

func TestProbe_JSONConditionDecidesDown(t *testing.T) {
	n := newNationalService(t)
	tg := target(n.srv.URL)
	tg.BodyContains, tg.JSONField, tg.JSONEquals = "", "status", "ok"
	m := New([]Target{tg}, nil, nil)
	if r := m.probe(context.Background(), m.targets[0].t); r.Outcome != Operational {
		t.Fatalf("status ok: %+v", r)
	}
	m.targets[0].t.JSONEquals = "UP"
	if r := m.probe(context.Background(), m.targets[0].t); r.Outcome != Down || !strings.Contains(r.Error, `status is not "UP"`) {
		t.Fatalf("status not UP: %+v", r)
	}
}

func TestProbe_CheckOfAPortalPart(t *testing.T) {
	var err error
	tg := DefaultTarget("store", "Datenbank", "", time.Second)
	tg.Check = func(context.Context) error { return err }
	m := New([]Target{tg}, nil, nil)
	for _, c := range []struct {
		err  error
		want State
	}{{nil, Operational}, {fmt.Errorf("%w: catching up", ErrDegraded), Degraded}, {errors.New("does not answer"), Down}} {
		err = c.err
		step(m)
		if got := step(m); got != c.want {
			t.Errorf("check error %v: %s", c.err, got)
		}
	}
	if s, _ := m.Status("store"); !s.Internal || s.Message != "does not answer" {
		t.Errorf("status %+v", s)
	}
}
