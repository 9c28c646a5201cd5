package local

import (
	"sort"
	"strings"
)

// textIndex maps every folded word to the pharmacies that have it; words are sorted so all
// words starting with a prefix are one range.
type textIndex struct {
	words    []string
	postings [][]int32
}

func buildTextIndex(docs []doc) textIndex {
	byWord := map[string][]int32{}
	for i := range docs {
		for _, w := range docs[i].words {
			ids := byWord[w]
			if len(ids) == 0 || ids[len(ids)-1] != int32(i) {
				byWord[w] = append(ids, int32(i))
			}
		}
	}
	t := textIndex{words: make([]string, 0, len(byWord))}
	for w := range byWord {
		t.words = append(t.words, w)
	}
	sort.Strings(t.words)
	t.postings = make([][]int32, len(t.words))
	for i, w := range t.words {
		t.postings[i] = byWord[w]
	}
	return t
}

// match returns the pharmacies having, for every typed word, a word that starts with it.
func (t *textIndex) match(typed []string) map[int32]struct{} {
	var result map[int32]struct{}
	for _, w := range typed {
		found := map[int32]struct{}{}
		for i := sort.SearchStrings(t.words, w); i < len(t.words) && strings.HasPrefix(t.words[i], w); i++ {
			for _, id := range t.postings[i] {
				if result == nil {
					found[id] = struct{}{}
				} else if _, ok := result[id]; ok {
					found[id] = struct{}{}
				}
			}
		}
		result = found
		if len(result) == 0 {
			break
		}
	}
	return result
}
