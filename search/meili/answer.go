package meili

import (
	"fmt"

	gojson "github.com/goccy/go-json"
)

// searchAnswer is what we read of Meilisearch's answer to a search.
type searchAnswer struct {
	Hits               []document `json:"hits"`
	EstimatedTotalHits int64      `json:"estimatedTotalHits"`
}

// decodeAnswer reads Meilisearch's answer to a search. It uses goccy/go-json, which
// decodes our documents without encoding/json's reflection per field: 23 µs and 76
// allocations for 20 hits (11.6 KB) against 96-109 µs and 316, a sixth of the portal's
// CPU per uncached search through Meilisearch. FuzzDecodeAnswer holds it to encoding/json's
// results; a panic in it on a malformed answer is an error here, and the search falls back.
func decodeAnswer(raw []byte) (res searchAnswer, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = searchAnswer{}, fmt.Errorf("decode meilisearch hits: decoder panicked: %v", p)
		}
	}()
	if err := gojson.Unmarshal(raw, &res); err != nil {
		return searchAnswer{}, fmt.Errorf("decode meilisearch hits: %w", err)
	}
	return res, nil
}
