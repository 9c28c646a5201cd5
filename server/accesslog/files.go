// Package accesslog keeps the access log, the only record of citizens' addresses, in a file
// per Berlin calendar day in a folder the operator names (--access-log), and deletes each
// day's file once the retention (--log-retention) has passed since the day began: a line is
// kept at most that long (and the prune's interval), as the privacy statement says.
package accesslog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apoportal/apoportal/data"
)

const prefix, suffix, dayLayout = "access-", ".log", "2006-01-02"

// Files is the access log's folder. Write and Prune are called by one goroutine (the
// access log's writer).
type Files struct {
	dir       string
	retention time.Duration
	now       func() time.Time
	day       string   // of the open file
	file      *os.File // nil until the first write
}

// Open opens the folder dir (made when missing, for the portal's user alone) and prunes it.
func Open(dir string, retention time.Duration, now func() time.Time) (*Files, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("access log: %s may be written by others (%v): give it to the portal's user alone (chmod 700)", dir, st.Mode().Perm())
	}
	f := &Files{dir: dir, retention: retention, now: now}
	if err := f.Prune(); err != nil {
		return nil, err
	}
	return f, nil
}

// Write appends p to today's file, opening it when the day has changed.
func (f *Files) Write(p []byte) (int, error) {
	day := f.now().In(data.Berlin()).Format(dayLayout)
	if f.file == nil || day != f.day {
		if f.file != nil {
			_ = f.file.Close()
		}
		// O_NOFOLLOW: a link planted in the folder does not redirect the log.
		file, err := os.OpenFile(filepath.Join(f.dir, prefix+day+suffix), os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			f.file = nil
			return 0, fmt.Errorf("access log: %w", err)
		}
		f.file, f.day = file, day
	}
	return f.file.Write(p)
}

// Prune deletes the files of the days that began more than the retention ago.
func (f *Files) Prune() error {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	cutoff := f.now().Add(-f.retention)
	var errs []error
	for _, e := range entries {
		name := e.Name()
		day, isLog := strings.CutPrefix(name, prefix)
		day, hasSuffix := strings.CutSuffix(day, suffix)
		if !isLog || !hasSuffix || !e.Type().IsRegular() {
			continue // not the log's: the operator's own files stay
		}
		start, err := time.ParseInLocation(dayLayout, day, data.Berlin())
		if err != nil || !start.Before(cutoff) {
			continue
		}
		if day == f.day && f.file != nil {
			_ = f.file.Close()
			f.file = nil
		}
		if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("access log: prune: %w", errors.Join(errs...))
	}
	return nil
}

// Close closes today's file.
func (f *Files) Close() error {
	if f.file == nil {
		return nil
	}
	return f.file.Close()
}
