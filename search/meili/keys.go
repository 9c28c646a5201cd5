package meili

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/meilisearch/meilisearch-go"
)

// The narrow keys the portal derives: one that can only search the index, one that can
// only maintain it. They are found again by name at every start.
const (
	searchKeyName = "apoportal-search"
	indexKeyName  = "apoportal-index"
)

var (
	searchActions = []string{"search"}
	indexActions  = []string{"documents.add", "documents.get", "documents.delete", "indexes.create", "indexes.get",
		"indexes.update", "indexes.delete", "indexes.swap", "settings.get", "settings.update", "tasks.get"}
)

// ensureKeys returns the search and indexing keys, creating them where missing. Given an
// admin key that cannot manage keys, it uses that key for indexing and searching alike.
func (e *Engine) ensureKeys(ctx context.Context) (searchKey, indexKey string, err error) {
	list, err := e.root.GetKeysWithContext(ctx, &meilisearch.KeysQuery{Limit: 1000})
	if err != nil {
		var me *meilisearch.Error
		if errors.As(err, &me) && me.StatusCode == http.StatusForbidden {
			return e.cfg.Key, e.cfg.Key, nil // an admin key: no narrower key can be made
		}
		return "", "", describe("list keys", err)
	}
	// The indexing key must reach all indexes: an index swap is a task without an index,
	// and Meilisearch shows such tasks only to keys on "*". Its actions stay narrow (no key
	// management, dumps or snapshots); the search key stays on our index alone.
	indexes := []string{"*"}
	if searchKey, err = e.ensureKey(ctx, list.Results, searchKeyName, searchActions, []string{e.cfg.Index}); err != nil {
		return "", "", err
	}
	if indexKey, err = e.ensureKey(ctx, list.Results, indexKeyName, indexActions, indexes); err != nil {
		return "", "", err
	}
	return searchKey, indexKey, nil
}

func (e *Engine) ensureKey(ctx context.Context, keys []meilisearch.Key, name string, actions, indexes []string) (string, error) {
	for _, k := range keys {
		if k.Name != name {
			continue
		}
		if sameSet(k.Actions, actions) && sameSet(k.Indexes, indexes) && k.ExpiresAt.IsZero() {
			return k.Key, nil
		}
		// Someone widened or narrowed it: replace it with what we need.
		if _, err := e.root.DeleteKeyWithContext(ctx, k.UID); err != nil {
			return "", describe("delete key "+name, err)
		}
	}
	k, err := e.root.CreateKeyWithContext(ctx, &meilisearch.Key{Name: name,
		Description: "created by apoportal", Actions: actions, Indexes: indexes})
	if err != nil {
		return "", describe("create key "+name, err)
	}
	if k.Key == "" {
		return "", fmt.Errorf("meilisearch created key %s without a value", name)
	}
	return k.Key, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
