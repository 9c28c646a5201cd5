// Command benchload helps scripts/bench-serve.sh measure the portal:
//
//	benchload ceiling -addr ADDR -body FILE -type TYPE [-encoding gzip]
//	    serves FILE's bytes for every request, as fast as Go's net/http can: the machine's
//	    ceiling for one answer of that size.
//	benchload switch -base URL -token TOKEN[,TOKEN...] -pharmacy ID -plz PLZ -every 100ms -for 20s
//	    switches the pharmacy's participation every interval and measures how long until
//	    the public search API for PLZ shows it; prints "SWITCH n p50_ms p99_ms max_ms".
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchload ceiling|switch ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
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

func ceiling(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address")
	file := fs.String("body", "", "file whose bytes every answer carries")
	typ := fs.String("type", "text/html; charset=UTF-8", "Content-Type")
	encoding := fs.String("encoding", "", "Content-Encoding of the file, if any")
	fs.Parse(args)
	body, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", *typ)
		if *encoding != "" {
			h.Set("Content-Encoding", *encoding)
		}
		w.Write(body)
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
