package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/apoportal/apoportal/server/monitor"
	"github.com/apoportal/apoportal/server/status"
	"github.com/apoportal/apoportal/views/i18n"
)

// monitorTargets are what the monitor probes: the targets of --monitor-config, the national
// service of --national-url (its URL wins over the file's), and the portal's own parts.
func (a *App) monitorTargets() ([]monitor.Target, error) {
	var targets []monitor.Target
	if a.cfg.MonitorConfig != "" {
		f, err := os.Open(a.cfg.MonitorConfig)
		if err != nil {
			return nil, fmt.Errorf("monitor config: %w", err)
		}
		defer f.Close()
		if targets, err = monitor.ParseConfig(f, a.cfg.ProbeInterval); err != nil {
			return nil, fmt.Errorf("%s: %w", a.cfg.MonitorConfig, err)
		}
	}
	if a.cfg.NationalURL != "" {
		i := slices.IndexFunc(targets, func(t monitor.Target) bool { return t.ID == status.National })
		if i < 0 {
			targets = append([]monitor.Target{monitor.DefaultTarget(status.National, i18n.Key("Zentraler Ausstellungsserver"), "", a.cfg.ProbeInterval)}, targets...)
			i = 0
		}
		targets[i].URL = a.cfg.NationalURL
	}
	return append(targets, a.portalParts()...), nil
}

// portalParts are the portal's own parts as monitor targets: the store and the search
// engines. A store that refuses writes and a Meilisearch that answers but has not caught
// up with the store are impaired.
func (a *App) portalParts() []monitor.Target {
	part := func(id, name string, check func(context.Context) error) monitor.Target {
		t := monitor.DefaultTarget(id, name, "", a.cfg.ProbeInterval)
		t.Check = check
		return t
	}
	parts := []monitor.Target{
		part("store", i18n.Key("Datenbank"), func(ctx context.Context) error {
			if a.store.Ping(ctx) != nil {
				return errors.New("database does not answer")
			}
			if refusal := a.store.Refusal(); refusal != nil {
				return fmt.Errorf("%w: reads are served, changes are refused: %w", monitor.ErrDegraded, refusal)
			}
			return nil
		}),
		part("search-local", i18n.Key("Suche (eingebettet)"), func(context.Context) error {
			if a.engine.Len() == 0 {
				return fmt.Errorf("%w: no pharmacies indexed", monitor.ErrDegraded)
			}
			return nil
		}),
	}
	if a.meili != nil {
		parts = append(parts, part("search-meilisearch", i18n.Key("Suche (Meilisearch)"), func(ctx context.Context) error {
			switch {
			case a.meili.Healthy(ctx) != nil:
				return errors.New("meilisearch does not answer; the embedded search answers instead")
			case !a.meili.Ready():
				return fmt.Errorf("%w: Meilisearch is catching up with the database", monitor.ErrDegraded)
			}
			return nil
		}))
	}
	return parts
}
