package monitor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The monitor's config file lists the targets to probe, as JSON:
//
//	{"targets": [{"id": "national-auth", "name": "Anmeldung am Ausstellungsserver",
//	  "url": "https://…/auth/health", "method": "GET", "timeout": "5s", "interval": "30s",
//	  "expect": [200, 204], "max_response_time": "2s", "confirmations": 2,
//	  "body_contains": "UP", "json_field": "status", "json_equals": "UP"}]}
//
// Only id, name and url are required; the rest has the defaults of DefaultTarget.
type fileConfig struct {
	Targets []fileTarget `json:"targets"`
}

type fileTarget struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	URL             string  `json:"url"`
	Method          string  `json:"method"`
	Timeout         string  `json:"timeout"`
	Interval        string  `json:"interval"`
	MaxInterval     string  `json:"max_interval"`
	Expect          []int   `json:"expect"`
	MaxResponseTime string  `json:"max_response_time"`
	Confirmations   int     `json:"confirmations"`
	BodyContains    string  `json:"body_contains"`
	JSONField       string  `json:"json_field"`
	JSONEquals      *string `json:"json_equals"`
}

// DefaultTarget is a target's settings where the config file says nothing: a probe every
// interval with a timeout of a third of it (at most 10 s), answers slower than 2 s degraded,
// two confirmations, back off to 8 intervals (at most 5 minutes) while down.
func DefaultTarget(id, name, url string, interval time.Duration) Target {
	return Target{ID: id, Name: name, URL: url, Method: http.MethodGet, Interval: interval,
		Timeout: min(10*time.Second, max(interval/3, time.Second)), MaxInterval: min(8*interval, 5*time.Minute),
		MaxResponseTime: 2 * time.Second, Confirmations: 2}
}

var targetID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ParseConfig reads targets from a config file; defaultInterval applies where a target has
// none. A bad file is rejected whole, and the error names the target and the field.
func ParseConfig(r io.Reader, defaultInterval time.Duration) ([]Target, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read monitor config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var fc fileConfig
	if err := dec.Decode(&fc); err != nil {
		return nil, fmt.Errorf("monitor config: %s", jsonProblem(raw, err))
	}
	if dec.More() {
		return nil, errors.New("monitor config: more than one JSON value")
	}
	if len(fc.Targets) == 0 {
		return nil, errors.New(`monitor config: no targets (expected {"targets": [...]})`)
	}
	seen := map[string]bool{}
	var out []Target
	for i, ft := range fc.Targets {
		t, err := ft.target(defaultInterval)
		if err != nil {
			return nil, fmt.Errorf("monitor config: target %d (%q): %w", i+1, ft.ID, err)
		}
		if seen[t.ID] {
			return nil, fmt.Errorf("monitor config: target %d: field id: %q is used twice", i+1, t.ID)
		}
		seen[t.ID] = true
		out = append(out, t)
	}
	return out, nil
}

func (ft fileTarget) target(defaultInterval time.Duration) (Target, error) {
	if !targetID.MatchString(ft.ID) {
		return Target{}, errors.New("field id: use 1 to 40 lower-case letters, digits and hyphens")
	}
	if strings.TrimSpace(ft.Name) == "" || len(ft.Name) > 100 {
		return Target{}, errors.New("field name: required, at most 100 characters")
	}
	u, err := url.Parse(ft.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Target{}, errors.New("field url: not an http(s) URL") // it may hold credentials: not echoed
	}
	interval, err := duration("interval", ft.Interval, defaultInterval, time.Second)
	if err != nil {
		return Target{}, err
	}
	t := DefaultTarget(ft.ID, ft.Name, ft.URL, interval)
	switch m := strings.ToUpper(ft.Method); m {
	case "":
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions:
		t.Method = m
	default:
		return Target{}, fmt.Errorf("field method: %q is not GET, HEAD, POST or OPTIONS", ft.Method)
	}
	if t.Timeout, err = duration("timeout", ft.Timeout, t.Timeout, 100*time.Millisecond); err != nil {
		return Target{}, err
	}
	if t.MaxInterval, err = duration("max_interval", ft.MaxInterval, t.MaxInterval, interval); err != nil {
		return Target{}, err
	}
	if t.MaxResponseTime, err = duration("max_response_time", ft.MaxResponseTime, t.MaxResponseTime, time.Millisecond); err != nil {
		return Target{}, err
	}
	if t.Timeout > t.Interval {
		return Target{}, fmt.Errorf("field timeout: %s is longer than the interval %s (one probe in flight)", t.Timeout, t.Interval)
	}
	for _, code := range ft.Expect {
		if code < 100 || code > 599 {
			return Target{}, fmt.Errorf("field expect: %d is not an HTTP status code", code)
		}
	}
	t.Expect = ft.Expect
	switch {
	case ft.Confirmations == 0:
	case ft.Confirmations < 1 || ft.Confirmations > 10:
		return Target{}, fmt.Errorf("field confirmations: %d is not between 1 and 10", ft.Confirmations)
	default:
		t.Confirmations = ft.Confirmations
	}
	t.BodyContains = ft.BodyContains
	if (ft.JSONField == "") != (ft.JSONEquals == nil) {
		return Target{}, errors.New("field json_field: json_field and json_equals go together")
	}
	if ft.JSONField != "" {
		t.JSONField, t.JSONEquals = ft.JSONField, *ft.JSONEquals
	}
	return t, nil
}

func duration(field, s string, def, least time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("field %s: %q is not a duration like 30s", field, s)
	}
	if d < least || d > 24*time.Hour {
		return 0, fmt.Errorf("field %s: %s is not between %s and 24h", field, d, least)
	}
	return d, nil
}

// jsonProblem says where in raw a decoding error is, by line.
func jsonProblem(raw []byte, err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("line %d: %v", lineAt(raw, syntax.Offset), err)
	case errors.As(err, &typ):
		return fmt.Sprintf("line %d, field %s: expected %s", lineAt(raw, typ.Offset), typ.Field, typ.Type)
	}
	return err.Error()
}

func lineAt(raw []byte, offset int64) int {
	return bytes.Count(raw[:min(int(offset), len(raw))], []byte("\n")) + 1
}

// jsonFieldIs reports whether the JSON body has value want at path (dot-separated keys or
// array indexes); strings compare as they are, other values as their JSON text.
func jsonFieldIs(body []byte, path, want string) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	for key := range strings.SplitSeq(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			v = node[key]
		case []any:
			var i int
			if _, err := fmt.Sscanf(key, "%d", &i); err != nil || i < 0 || i >= len(node) {
				return false
			}
			v = node[i]
		default:
			return false
		}
	}
	if s, ok := v.(string); ok {
		return s == want
	}
	text, err := json.Marshal(v)
	return err == nil && string(text) == want
}
