package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/apoportal/apoportal/search/meili"
)

// reindexCommand rebuilds the Meilisearch index from the store and swaps it in.
func reindexCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg := DefaultConfig()
	f := newEnvFlags("reindex", stderr, getenv)
	f.storeFlags(&cfg)
	f.meiliFlags(&cfg)
	if err := f.parse(args); err != nil {
		return err
	}
	if cfg.MeiliURL == "" {
		return usageError{"reindex needs --meili-url and APOPORTAL_MEILI_KEY"}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg.DB, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	e := meili.New(cfg.meili(), nil)
	if err := e.Prepare(ctx); err != nil {
		return err
	}
	start := time.Now()
	n, err := e.Reindex(ctx, db)
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(stdout, "reindexed %d pharmacies in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
