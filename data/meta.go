package data

import (
	"context"
	"fmt"
	"strconv"
)

// KeyValues is a store's table of facts about itself: text values by key.
type KeyValues interface {
	// MetaValue is the value of key; "" when there is none.
	MetaValue(ctx context.Context, key string) (string, error)
	// SetMetaValue sets key to value, in a write transaction of its own.
	SetMetaValue(ctx context.Context, key, value string) error
	// AddMetaValue sets key to value unless it has one.
	AddMetaValue(ctx context.Context, key, value string) error
}

// MetaOn implements Meta over a store's KeyValues, the same on every engine.
type MetaOn struct{ KV KeyValues }

const (
	metaDemo         = "demo"
	metaSearchCursor = "search_cursor:"
	metaSecret       = "secret:"
)

// MarkDemo records that the store holds the generated demo registry, so every page can
// say so.
func (m MetaOn) MarkDemo(ctx context.Context) error { return m.KV.SetMetaValue(ctx, metaDemo, "1") }

// IsDemo reports whether the store holds the demo registry.
func (m MetaOn) IsDemo(ctx context.Context) (bool, error) {
	v, err := m.KV.MetaValue(ctx, metaDemo)
	return v == "1", err
}

// SearchCursor returns the change sequence number up to which the named search engine has
// confirmed the store's changes; 0 when it has none. Together with the pharmacies' change
// sequence it is a durable outbox: changes stay in the store until the engine confirms them.
func (m MetaOn) SearchCursor(ctx context.Context, engine string) (int64, error) {
	v, err := m.KV.MetaValue(ctx, metaSearchCursor+engine)
	if err != nil || v == "" {
		return 0, err
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("search cursor of %s: %q: %w", engine, v, err)
	}
	return seq, nil
}

// SetSearchCursor records that the named engine holds every change up to seq.
func (m MetaOn) SetSearchCursor(ctx context.Context, engine string, seq int64) error {
	return m.KV.SetMetaValue(ctx, metaSearchCursor+engine, strconv.FormatInt(seq, 10))
}

// Secret returns the named random secret of the store (32 bytes, made on first use by
// whichever process asks first), the same for every process on the store: the key that
// signs device cookies, for one. It is kept in the store, never shown or logged. A store
// that refuses writes still reads a secret it has.
func (m MetaOn) Secret(ctx context.Context, name string) ([]byte, error) {
	v, err := m.KV.MetaValue(ctx, metaSecret+name)
	if err != nil {
		return nil, err
	}
	if v == "" {
		if err := m.KV.AddMetaValue(ctx, metaSecret+name, NewSecret()); err != nil {
			return nil, fmt.Errorf("make secret %s: %w", name, err)
		}
		if v, err = m.KV.MetaValue(ctx, metaSecret+name); err != nil {
			return nil, err
		}
	}
	return DecodeSecret(name, v)
}
