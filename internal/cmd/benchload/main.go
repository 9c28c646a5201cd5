// Command benchload helps scripts/bench-serve.sh measure the portal:
//
//	benchload capture -base URL -prefix PREFIX [-paths FILE] [-encoding gzip] -out FILE
//	    asks the portal for PREFIX (or PREFIX + each line of FILE) twice, the second time a
//	    cache hit, and keeps each answer's status, headers (all but Date) and body in FILE.
//	benchload ceiling -addr ADDR -answers FILE
//	    answers every path captured in FILE with exactly the captured headers and body, from
//	    memory, as fast as Go's net/http can: the machine's ceiling for those bytes; with
//	    -bare, the body with its type, encoding and length alone (what headers cost).
//	benchload switch -base URL -token TOKEN[,TOKEN...] -pharmacy ID -plz PLZ -every 100ms -for 20s
//	    switches the pharmacy's participation every interval and measures how long until
//	    the public search API for PLZ shows it; prints "SWITCH n p50_ms p99_ms max_ms".
package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchload capture|ceiling|switch ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "capture":
		err = capture(os.Args[2:])
	case "ceiling":
		err = ceiling(os.Args[2:])
	case "switch":
		err = switcher(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

// answer is one captured response: what the ceiling writes for its path.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func capture(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ExitOnError)
	base := fs.String("base", "", "portal URL")
	prefix := fs.String("prefix", "/", "path (and query) asked for, or the part before each line of -paths")
	pathsFile := fs.String("paths", "", "file of suffixes, one a line (none: PREFIX alone)")
	encoding := fs.String("encoding", "", "Accept-Encoding sent, if any")
	out := fs.String("out", "", "file the answers are written to")
	fs.Parse(args)
	paths := []string{*prefix}
	if *pathsFile != "" {
		lines, err := os.ReadFile(*pathsFile)
		if err != nil {
			return err
		}
		paths = paths[:0]
		for _, l := range strings.Fields(string(lines)) {
			paths = append(paths, *prefix+l)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	get := func(path string) (answer, error) {
		req, err := http.NewRequest(http.MethodGet, *base+path, nil)
		if err != nil {
			return answer{}, err
		}
		if *encoding != "" {
			req.Header.Set("Accept-Encoding", *encoding)
		}
		res, err := client.Do(req)
		if err != nil {
			return answer{}, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		res.Header.Del("Date")
		return answer{Status: res.StatusCode, Header: res.Header, Body: body}, err
	}
	answers := make(map[string]answer, len(paths))
	var mu sync.Mutex
	work := make(chan string)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var failed error
			for path := range work {
				if failed != nil {
					continue
				}
				if _, failed = get(path); failed != nil {
					continue
				}
				var a answer
				if a, failed = get(path); failed == nil {
					mu.Lock()
					answers[path] = a
					mu.Unlock()
				}
			}
			errs <- failed
		}()
	}
	for _, p := range paths {
		work <- p
	}
	close(work)
	for range 4 {
		if err := <-errs; err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(answers); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return f.Close()
}

func ceiling(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address")
	file := fs.String("answers", "", "file of captured answers (benchload capture)")
	bare := fs.Bool("bare", false, "send only Content-Type, Content-Encoding and Content-Length of the captured headers")
	fs.Parse(args)
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	var answers map[string]answer
	err = gob.NewDecoder(f).Decode(&answers)
	f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", *file, err)
	}
	if *bare {
		for _, a := range answers {
			for k := range a.Header {
				if k != "Content-Type" && k != "Content-Encoding" && k != "Content-Length" {
					delete(a.Header, k)
				}
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		for k, v := range a.Header {
			h[k] = v
		}
		w.WriteHeader(a.Status)
		w.Write(a.Body)
	})}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func switcher(args []string) error {
	fs := flag.NewFlagSet("switch", flag.ExitOnError)
	base := fs.String("base", "", "portal URL")
	token := fs.String("token", "", "the pharmacy's API tokens, comma-separated (each may switch twice a second)")
	pharmacy := fs.String("pharmacy", "", "registry id")
	plz := fs.String("plz", "", "the pharmacy's PLZ")
	every := fs.Duration("every", 100*time.Millisecond, "interval between switches")
	total := fs.Duration("for", 20*time.Second, "how long to switch")
	fs.Parse(args)
	client := &http.Client{Timeout: 5 * time.Second}
	listed := func() (bool, error) {
		res, err := client.Get(*base + "/api/v1/pharmacies?certificates=true&limit=100&q=" + *plz)
		if err != nil {
			return false, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		return bytes.Contains(body, []byte(`"id":"`+*pharmacy+`"`)), err
	}
	tokens := strings.Split(*token, ",")
	var took []time.Duration
	on := true
	for i, end := 0, time.Now().Add(*total); time.Now().Before(end); i, on = i+1, !on {
		next := time.Now().Add(*every)
		req, _ := http.NewRequest(http.MethodPost, *base+"/api/v1/participation", strings.NewReader(fmt.Sprintf(`{"participating": %t}`, on)))
		req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			time.Sleep(time.Until(next))
			continue
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("switch answered %d", res.StatusCode)
		}
		for {
			got, err := listed()
			if err != nil {
				return err
			}
			if got == on {
				break
			}
			if time.Since(start) > 10*time.Second {
				return fmt.Errorf("switch not visible after 10 s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		took = append(took, time.Since(start))
		time.Sleep(time.Until(next))
	}
	if len(took) == 0 {
		return fmt.Errorf("no switch went through")
	}
	slices.Sort(took)
	msOf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("SWITCH %d %.1f %.1f %.1f\n", len(took), msOf(took[len(took)/2]), msOf(took[len(took)*99/100]), msOf(took[len(took)-1]))
	return nil
}
