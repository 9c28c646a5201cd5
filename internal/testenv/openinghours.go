package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// Judgement is opening_hours.js's reading of one value: Error when it refuses the value,
// else Changes: the state at the first instant asked and every change of it.
type Judgement struct {
	Error   string   `json:"error"`
	Changes []Change `json:"changes"`
}

// Change is the state (open, closed or unknown) from At on, and the comment then.
type Change struct {
	At      time.Time
	State   string
	Comment string
}

// UnmarshalJSON reads [ms, state, comment or null].
func (c *Change) UnmarshalJSON(b []byte) error {
	var raw [3]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	ms, ok1 := raw[0].(float64)
	state, ok2 := raw[1].(string)
	if !ok1 || !ok2 {
		return fmt.Errorf("change %s is not [ms, state, comment]", b)
	}
	c.At, c.State = time.UnixMilli(int64(ms)), state
	c.Comment, _ = raw[2].(string)
	return nil
}

// JudgeOpeningHours asks opening_hours.js (npm, pinned in package.json; run by node with
// TZ=Europe/Berlin) for each value's states from from to to, for a place in the Bundesland
// state (its public holidays).
func JudgeOpeningHours(t testing.TB, values []string, from, to time.Time, state string) []Judgement {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node not found (the machine's Node.js runs opening_hours.js)")
		return nil
	}
	root := repoRoot(t)
	modules := filepath.Join(root, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "opening_hours", "package.json")); err != nil {
		missing(t, "opening_hours.js not installed (make assets installs it from npm): %v", err)
		return nil
	}
	in, err := json.Marshal(map[string]any{"values": values, "from": from.UnixMilli(), "to": to.UnixMilli(), "state": state})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(root, "data", "openinghours", "testdata", "judge.js"))
	cmd.Env = append(os.Environ(), "TZ=Europe/Berlin", "NODE_MODULES="+modules)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("opening_hours.js: %v\n%s", err, stderr.String())
	}
	var judged []Judgement
	if err := json.Unmarshal(out, &judged); err != nil || len(judged) != len(values) {
		t.Fatalf("opening_hours.js answered %d judgements for %d values: %v", len(judged), len(values), err)
	}
	return judged
}

// StateAt is the judged state at t, when it next changes (zero: not before the end of what
// was judged) and the comment at t.
func (j Judgement) StateAt(t time.Time) (state string, next time.Time, comment string) {
	i := sort.Search(len(j.Changes), func(k int) bool { return j.Changes[k].At.After(t) }) - 1
	if i < 0 {
		i = 0
	}
	state, comment = j.Changes[i].State, j.Changes[i].Comment
	for k := i + 1; k < len(j.Changes); k++ {
		if j.Changes[k].State != state {
			return state, j.Changes[k].At, comment
		}
	}
	return state, time.Time{}, comment
}
