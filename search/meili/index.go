package meili

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/apoportal/apoportal/data"
	"github.com/meilisearch/meilisearch-go"
)

// Source is the store as the engine follows it.
type Source interface {
	PharmaciesChangedSince(ctx context.Context, seq int64) ([]data.Pharmacy, int64, error)
	SearchCursor(ctx context.Context, engine string) (int64, error)
	SetSearchCursor(ctx context.Context, engine string, seq int64) error
}

const batchSize = 5000

// indexSettings are the settings our queries rely on. "sort" ranks first so that a geo sort
// orders by distance even when the query has words (FIELD-NOTES).
func indexSettings() *meilisearch.Settings {
	return &meilisearch.Settings{
		RankingRules:         []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
		SearchableAttributes: []string{"name", "city", "postcode", "street"},
		FilterableAttributes: []string{"_geo", "participating", "paused_until_ts", "confirmed_at_ts", "services", "postcode"},
		SortableAttributes:   []string{"_geo"},
		Pagination:           &meilisearch.Pagination{MaxTotalHits: maxTotalHits},
	}
}

// ensureIndex creates the index if it is missing and applies our settings where they
// drifted.
func ensureIndex(ctx context.Context, c meilisearch.ServiceManager, uid string) error {
	if _, err := c.GetIndexWithContext(ctx, uid); err != nil {
		var me *meilisearch.Error
		if !errors.As(err, &me) || me.StatusCode != http.StatusNotFound {
			return describe("get index", err)
		}
		task, err := c.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})
		if err != nil {
			return describe("create index", err)
		}
		if err := wait(ctx, c, task.TaskUID); err != nil {
			return err
		}
	}
	_, err := applySettings(ctx, c, uid)
	return err
}

// applySettings compares the index's settings with ours and updates them if they differ;
// it reports whether they had drifted.
func applySettings(ctx context.Context, c meilisearch.ServiceManager, uid string) (drifted bool, err error) {
	want := indexSettings()
	have, err := c.Index(uid).GetSettingsWithContext(ctx)
	if err == nil && slices.Equal(have.RankingRules, want.RankingRules) &&
		slices.Equal(have.SearchableAttributes, want.SearchableAttributes) &&
		sameSet(have.FilterableAttributes, want.FilterableAttributes) &&
		sameSet(have.SortableAttributes, want.SortableAttributes) &&
		have.Pagination != nil && have.Pagination.MaxTotalHits == want.Pagination.MaxTotalHits {
		return false, nil
	}
	task, err := c.Index(uid).UpdateSettingsWithContext(ctx, want)
	if err != nil {
		return true, describe("update settings", err)
	}
	return true, wait(ctx, c, task.TaskUID)
}

// wait waits for a task and fails unless it succeeded (WaitForTask returns no error for a
// failed task).
func wait(ctx context.Context, c meilisearch.ServiceManager, taskUID int64) error {
	task, err := c.WaitForTaskWithContext(ctx, taskUID, 20*time.Millisecond)
	if err != nil {
		return describe("wait for task", err)
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return fmt.Errorf("meilisearch task %d (%s) %s: %s", taskUID, task.Type, task.Status, task.Error.Code)
	}
	return nil
}

func (e *Engine) indexer() (meilisearch.ServiceManager, error) {
	c := e.index.Load()
	if c == nil {
		return nil, errors.New("meilisearch not prepared")
	}
	return *c, nil
}

func addDocuments(ctx context.Context, c meilisearch.ServiceManager, uid string, ps []data.Pharmacy) error {
	pk := "id"
	for start := 0; start < len(ps); start += batchSize {
		batch := ps[start:min(start+batchSize, len(ps))]
		docs := make([]document, len(batch))
		for i, p := range batch {
			docs[i] = newDocument(p)
		}
		task, err := c.Index(uid).AddDocumentsWithContext(ctx, docs, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return describe("add documents", err)
		}
		if err := wait(ctx, c, task.TaskUID); err != nil {
			return err
		}
	}
	return nil
}

// Reindex builds a new index from the store and swaps it in atomically, so searches never
// see a half-built index; then it deletes the old one. It returns how many pharmacies it
// indexed.
func (e *Engine) Reindex(ctx context.Context, src Source) (int, error) {
	c, err := e.indexer()
	if err != nil {
		return 0, err
	}
	ps, seq, err := src.PharmaciesChangedSince(ctx, 0)
	if err != nil {
		return 0, err
	}
	tmp := fmt.Sprintf("%s_%d", e.cfg.Index, e.now().UnixNano())
	if err := ensureIndex(ctx, c, tmp); err != nil {
		return 0, err
	}
	if err := addDocuments(ctx, c, tmp, ps); err != nil {
		return 0, err
	}
	task, err := c.SwapIndexesWithContext(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{e.cfg.Index, tmp}}})
	if err != nil {
		return 0, describe("swap indexes", err)
	}
	if err := wait(ctx, c, task.TaskUID); err != nil {
		return 0, err
	}
	if task, err := c.DeleteIndexWithContext(ctx, tmp); err != nil {
		return 0, describe("delete old index", err)
	} else if err := wait(ctx, c, task.TaskUID); err != nil {
		return 0, err
	}
	// Changes made during the rebuild went to the old index: send them again.
	if err := src.SetSearchCursor(ctx, e.cfg.Cursor, seq); err != nil {
		return 0, err
	}
	e.cursor.Store(seq)
	e.synced.Store(true)
	return len(ps), nil
}

// Sync sends what changed in the store since the cursor and moves the cursor once
// Meilisearch has applied it. When Meilisearch is down nothing is lost: the changes stay
// behind the cursor until the next Sync succeeds, and until then the engine is not Ready,
// so it does not answer with what it missed.
func (e *Engine) Sync(ctx context.Context, src Source) (int, error) {
	n, err := e.sync(ctx, src)
	e.synced.Store(err == nil)
	return n, err
}

func (e *Engine) sync(ctx context.Context, src Source) (int, error) {
	c, err := e.indexer()
	if err != nil {
		return 0, err
	}
	cursor, err := src.SearchCursor(ctx, e.cfg.Cursor)
	if err != nil {
		return 0, err
	}
	ps, next, err := src.PharmaciesChangedSince(ctx, cursor)
	if err != nil {
		return 0, err
	}
	if len(ps) > 0 {
		if err := addDocuments(ctx, c, e.cfg.Index, ps); err != nil {
			return 0, err
		}
		if err := src.SetSearchCursor(ctx, e.cfg.Cursor, next); err != nil {
			return 0, err
		}
	}
	e.cursor.Store(next)
	return len(ps), nil
}

// CheckSettings re-applies our settings if someone changed them.
func (e *Engine) CheckSettings(ctx context.Context) (drifted bool, err error) {
	c, err := e.indexer()
	if err != nil {
		return false, err
	}
	return applySettings(ctx, c, e.cfg.Index)
}

// Follow keeps Meilisearch in step with the store until ctx ends: it prepares the engine
// (keys, index, settings) as soon as Meilisearch answers, syncs every interval, re-checks
// the settings every settingsEvery, and backs off while Meilisearch fails.
func (e *Engine) Follow(ctx context.Context, src Source, interval, settingsEvery time.Duration, onError func(error)) {
	delay := interval
	lastSettings := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		err := e.followOnce(ctx, src, &lastSettings, settingsEvery)
		switch {
		case err == nil:
			delay = interval
		case ctx.Err() != nil:
			return
		default:
			onError(err)
			delay = min(2*delay, 5*time.Second)
		}
	}
}

func (e *Engine) followOnce(ctx context.Context, src Source, lastSettings *time.Time, settingsEvery time.Duration) error {
	if e.search.Load() == nil {
		if err := e.Prepare(ctx); err != nil {
			return err
		}
	}
	if time.Since(*lastSettings) >= settingsEvery {
		*lastSettings = time.Now()
		if _, err := e.CheckSettings(ctx); err != nil {
			return err
		}
	}
	_, err := e.Sync(ctx, src)
	return err
}
