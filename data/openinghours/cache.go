package openinghours

import "sync"

// maxCached bounds a Cache: more distinct values than the registry has pharmacies.
const maxCached = 100_000

// Cache holds parsed values by their text, so that a value is parsed once however many
// pharmacies, cards and requests share it: when a pharmacy's hours change, its new value
// is parsed on first use.
type Cache struct {
	mu    sync.RWMutex
	hours map[string]*Hours
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{hours: map[string]*Hours{}} }

// Parse is Parse through the cache: nil when the value cannot be read (Unknown).
func (c *Cache) Parse(value string) *Hours {
	c.mu.RLock()
	h, ok := c.hours[value]
	c.mu.RUnlock()
	if ok {
		return h
	}
	h, err := Parse(value)
	if err != nil {
		h = nil
	}
	c.mu.Lock()
	if len(c.hours) < maxCached {
		c.hours[value] = h
	}
	c.mu.Unlock()
	return h
}
