package accesslog

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apoportal/apoportal/data"
)

// A folder others may write to is refused, and a link planted as a day's file is not
// followed.
func TestFiles_RefusesAFolderOthersWriteAndLinks(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(shared, 24*time.Hour, time.Now); err == nil {
		t.Fatal("a world-writable folder was taken")
	}
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "elsewhere")
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, data.Berlin())
	if err := os.Symlink(target, filepath.Join(dir, "access-2026-12-04.log")); err != nil {
		t.Fatal(err)
	}
	f, err := Open(dir, 24*time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("line\n")); err == nil {
		t.Fatal("wrote through a planted link")
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("the link's target exists: %v", err)
	}
}

// Lines go to the file of their Berlin day (made for the portal's user alone); a day's file
// is deleted once the retention has passed since the day began, at the next prune or the
// next open, and never a file that is not the log's.
func TestFiles_ADayPerFileDeletedAfterTheRetention(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 28, 23, 30, 0, 0, data.Berlin()) // the night before the clocks go forward
	clock := func() time.Time { return now }
	for _, own := range []string{"notes.txt", "2020-01-01.log"} {
		if err := os.WriteFile(filepath.Join(dir, own), []byte("the operator's"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := Open(dir, 7*24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := f.Write([]byte("line\n")); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour) // 00:30, then 01:30 (CET) and, after the change, 03:30 (CEST)
	}
	files := func() []string {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		slices.Sort(names)
		return names
	}
	if got := files(); !slices.Equal(got, []string{"2020-01-01.log", "access-2026-03-28.log", "access-2026-03-29.log", "notes.txt"}) {
		t.Fatalf("files %v", got)
	}
	if st, _ := os.Stat(filepath.Join(dir, "access-2026-03-29.log")); st.Mode().Perm() != 0o600 {
		t.Fatalf("a day's file is %v, want 0600", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "access-2026-03-29.log")); string(b) != "line\nline\n" {
		t.Fatalf("29 March holds %q", b)
	}
	now = time.Date(2026, 4, 4, 23, 59, 0, 0, data.Berlin()) // 28 March began 7 days and 23 h ago
	if err := f.Prune(); err != nil {
		t.Fatal(err)
	}
	if got := files(); !slices.Equal(got, []string{"2020-01-01.log", "access-2026-03-29.log", "notes.txt"}) {
		t.Fatalf("after seven days: %v", got)
	}
	f.Close()
	now = time.Date(2026, 4, 5, 0, 59, 0, 0, data.Berlin()) // 29 March began 7 × 24 h ago at 01:00 (summer time since)
	if _, err := Open(dir, 7*24*time.Hour, clock); err != nil {
		t.Fatal(err)
	}
	if got := files(); !slices.Equal(got, []string{"2020-01-01.log", "access-2026-03-29.log", "notes.txt"}) {
		t.Fatalf("a minute before 29 March's seven days: %v", got)
	}
	now = now.Add(2 * time.Minute)
	if _, err := Open(dir, 7*24*time.Hour, clock); err != nil {
		t.Fatal(err)
	}
	if got := files(); !slices.Equal(got, []string{"2020-01-01.log", "notes.txt"}) {
		t.Fatalf("opened after 29 March's seven days: %v", got)
	}
}
