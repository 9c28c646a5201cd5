package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/importer"
)

// importCommand reads one file into the store, in one transaction: a bad file changes
// nothing and the error names its line and field.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg := DefaultConfig()
	f := newEnvFlags("import", stderr, getenv)
	f.storeFlags(&cfg)
	if err := f.parse(args); err != nil {
		return err
	}
	if f.fs.NArg() != 2 {
		return usageError{"usage: apoportal import [--db FILE] registry|osm|gazetteer FILE"}
	}
	kind, path := f.fs.Arg(0), f.fs.Arg(1)
	if kind != "registry" && kind != "osm" && kind != "gazetteer" {
		return usageError{fmt.Sprintf("unknown import kind %q: registry, osm or gazetteer", kind)}
	}
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import %s: %w", kind, err)
	}
	defer file.Close()
	start := time.Now()
	db, err := openStore(ctx, cfg.DB, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	switch kind {
	case "gazetteer":
		pcs, err := importer.ReadGazetteer(file)
		if err != nil {
			return fmt.Errorf("import gazetteer %s: %w", path, err)
		}
		if err := db.ReplacePostcodes(ctx, pcs); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d postcodes from %s in %s\n", len(pcs), path, time.Since(start).Round(time.Millisecond))
	default:
		read := importer.ReadRegistry
		if kind == "osm" {
			read = importer.ReadOverpass
		}
		ps, err := read(file)
		if err != nil {
			return fmt.Errorf("import %s %s: %w", kind, path, err)
		}
		sum, err := db.ImportPharmacies(ctx, ps, data.Actor{Name: "cli", Source: "cli"}, kind+" "+path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d pharmacies from %s (%d new, %d updated) in %s\n",
			len(ps), path, sum.Inserted, sum.Updated, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
