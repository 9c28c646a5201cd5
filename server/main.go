// Command apoportal is the pharmacy locator and status portal: one binary whose
// subcommands serve the portal and import the registry.
//
//	apoportal serve  [--addr 127.0.0.1:8080] [--db FILE|postgres://…] [--demo] ...
//	apoportal import [--db FILE|postgres://…] registry|osm|gazetteer FILE
//	apoportal reindex [--db FILE] --meili-url URL
//	apoportal migrate-store --from FILE --to postgres://…
//	apoportal account create-operator|create-pharmacy|disable|token ...
//	apoportal healthcheck [--addr ADDR]
//
// serve is the default subcommand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // opening hours are in Europe/Berlin, also where the system has no zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "apoportal:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  apoportal serve  [--addr ADDR] [--db FILE] [--demo] [--meili-url URL] ... (the default)
  apoportal import [--db FILE] registry|osm|gazetteer FILE
  apoportal reindex [--db FILE] --meili-url URL                          (key in APOPORTAL_MEILI_KEY)
  apoportal migrate-store --from FILE --to postgres://…                  (copies SQLite into an empty PostgreSQL)
  apoportal account create-operator|create-pharmacy|disable|token ...
  apoportal healthcheck [--addr ADDR]                                    (for containers)
Run "apoportal SUBCOMMAND --help" for the flags and their APOPORTAL_* variables.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	err := runCommand(ctx, args, stdout, stderr, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the flag package printed the help
	}
	return err
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stderr, getenv)
	case "import":
		return importCommand(ctx, args, stdout, stderr, getenv)
	case "account":
		return accountCommand(ctx, args, stdout, stderr, getenv)
	case "reindex":
		return reindexCommand(ctx, args, stdout, stderr, getenv)
	case "migrate-store":
		return migrateStoreCommand(ctx, args, stdout, stderr, getenv)
	case "healthcheck":
		return healthcheckCommand(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown subcommand %q\n%s", cmd, usage)}
}
