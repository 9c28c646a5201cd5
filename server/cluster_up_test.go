//go:build cluster

// make cluster: the whole tier on loopback for a person to try, until Ctrl-C.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/apoportal/apoportal/data/postgres"
	"github.com/apoportal/apoportal/internal/fixture"
	"github.com/apoportal/apoportal/internal/testenv"
)

// TestClusterUp starts etcd, two PostgreSQL under Patroni, three portals each with a
// Meilisearch of its own, and nginx in front, loads the shared registry, prints the
// addresses, and stops everything on Ctrl-C (SIGINT) or SIGTERM.
func TestClusterUp(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cluster := testenv.StartCluster(t)
	db := cluster.URL("apoportal")
	store, err := postgres.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, pcs := fixture.SharedRegistry(t)
	fixture.Fill(t, store, ps, pcs)
	store.Close()
	var meilis []*testenv.Meilisearch
	for range 3 {
		meilis = append(meilis, testenv.StartMeilisearch(t))
	}
	n := 0
	rs := startReplicas(t, db, 3, func(c *Config) {
		c.TrustedProxies, c.CookieSecure = "127.0.0.1/32", false
		c.MeiliURL, c.MeiliKey = meilis[n].URL, meilis[n].MasterKey
		n++
	})
	var upstreams []string
	for _, r := range rs {
		upstreams = append(upstreams, strings.TrimPrefix(r.base, "http://"))
	}
	edge := testenv.StartNginx(t, upstreams)
	fmt.Printf("\napoportal cluster on loopback, shared registry (%d pharmacies):\n", len(ps))
	fmt.Printf("  the portal through nginx:  %s/\n", edge.URL)
	for i, r := range rs {
		fmt.Printf("  portal %d:                  %s/   (Meilisearch %s)\n", i+1, r.base, meilis[i].URL)
	}
	for _, node := range cluster.Nodes {
		fmt.Printf("  PostgreSQL %s:            127.0.0.1:%d, Patroni http://127.0.0.1:%d/\n", node.Name, node.PGPort, node.APIPort)
	}
	fmt.Printf("  the store's URL:           %s\n", storeName(db))
	fmt.Printf("Ctrl-C stops everything.\n\n")
	<-ctx.Done()
	fmt.Println("stopping")
}
