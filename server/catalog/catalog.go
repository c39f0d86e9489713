// Package catalog keeps Vitrine's products. Each product is one JSON
// manifest in the blob store, so every server pointed at the same store
// serves the same catalog; each server holds an in-memory copy that it
// refreshes from the store.
package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/wire"
)

// Blob key layout.
const (
	// ManifestPrefix holds one manifest per product: catalog/products/<sku>.json.
	ManifestPrefix = "catalog/products/"
	// MediaPrefix holds every product's files: products/<sku>/….
	MediaPrefix = "products/"
	// maxManifestBytes bounds a manifest read back from the store.
	maxManifestBytes = 1 << 20
)

// ManifestKey is the blob key of sku's manifest.
func ManifestKey(sku string) string { return ManifestPrefix + sku + ".json" }

// ProductPrefix is the blob key prefix of all of sku's files.
func ProductPrefix(sku string) string { return MediaPrefix + sku + "/" }

// ErrExists is returned by Create when the SKU is taken.
var ErrExists = errors.New("catalog: product exists")

// Catalog is the set of products, backed by a blob.Store. It is safe for
// concurrent use. Writes go to the store first and then to memory, so a
// failed write changes nothing.
type Catalog struct {
	store blob.Store
	log   *slog.Logger
	now   func() time.Time

	writeMu sync.Mutex // serialises read-modify-write of manifests
	mu      sync.RWMutex
	bySKU   map[string]*entry
	gen     atomic.Uint64 // bumped on every change to bySKU
}

type entry struct {
	product Product
	// stamp identifies the stored manifest version this entry was read
	// from, so Refresh reloads only what changed.
	stamp string
}

// Options configures Open.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Open loads every manifest from store.
func Open(ctx context.Context, store blob.Store, opts Options) (*Catalog, error) {
	c := &Catalog{store: store, log: opts.Logger, now: opts.Now, bySKU: map[string]*entry{}}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("catalog: open: %w", err)
	}
	return c, nil
}

func stampOf(info blob.Info) string {
	return fmt.Sprintf("%d/%d/%s", info.SizeBytes, info.Modified.UnixNano(), info.ETag)
}

// Refresh reloads manifests that changed in the store since the last load,
// and forgets products whose manifest is gone. Another server's writes
// become visible here through Refresh.
func (c *Catalog) Refresh(ctx context.Context) error {
	infos, err := c.store.List(ctx, ManifestPrefix)
	if err != nil {
		return fmt.Errorf("catalog: list manifests: %w", err)
	}
	seen := make(map[string]bool, len(infos))
	for _, info := range infos {
		sku := strings.TrimSuffix(strings.TrimPrefix(info.Key, ManifestPrefix), ".json")
		if !ValidSKU(sku) || !strings.HasSuffix(info.Key, ".json") {
			c.log.Warn("catalog: ignoring unexpected manifest key", "key", info.Key)
			continue
		}
		seen[sku] = true
		stamp := stampOf(info)
		c.mu.RLock()
		e := c.bySKU[sku]
		c.mu.RUnlock()
		if e != nil && e.stamp == stamp {
			continue
		}
		p, info2, err := c.read(ctx, sku)
		if errors.Is(err, ErrNotFound) {
			continue // deleted between List and Get
		}
		if err != nil {
			return err
		}
		c.mu.Lock()
		if cur := c.bySKU[sku]; cur == nil || cur.product.Version <= p.Version {
			c.bySKU[sku] = &entry{product: p, stamp: stampOf(info2)}
			c.gen.Add(1)
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	for sku := range c.bySKU {
		if !seen[sku] {
			delete(c.bySKU, sku)
			c.gen.Add(1)
		}
	}
	c.mu.Unlock()
	return nil
}

// Follow refreshes the catalog every interval until ctx ends, so changes
// made by other servers on the same store appear here.
func (c *Catalog) Follow(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("catalog: refresh failed", "err", err)
			}
		}
	}
}

// read loads sku's manifest straight from the store.
func (c *Catalog) read(ctx context.Context, sku string) (Product, blob.Info, error) {
	rc, info, err := c.store.Get(ctx, ManifestKey(sku))
	if errors.Is(err, blob.ErrNotFound) {
		return Product{}, info, fmt.Errorf("catalog: read %s: %w", sku, ErrNotFound)
	}
	if err != nil {
		return Product{}, info, fmt.Errorf("catalog: read %s: %w", sku, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
	if err != nil {
		return Product{}, info, fmt.Errorf("catalog: read %s: %w", sku, err)
	}
	if len(data) > maxManifestBytes {
		return Product{}, info, fmt.Errorf("catalog: read %s: manifest over %d bytes", sku, maxManifestBytes)
	}
	var p Product
	if err := json.Unmarshal(data, &p); err != nil {
		return Product{}, info, fmt.Errorf("catalog: decode manifest %s: %w", sku, err)
	}
	if p.SKU != sku {
		return Product{}, info, fmt.Errorf("catalog: manifest %s names sku %q", sku, p.SKU)
	}
	return p, info, nil
}

// write stores p's manifest and updates memory.
func (c *Catalog) write(ctx context.Context, p Product) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("catalog: encode %s: %w", p.SKU, err)
	}
	key := ManifestKey(p.SKU)
	if err := c.store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("catalog: write %s: %w", p.SKU, err)
	}
	stamp := ""
	if info, err := c.store.Stat(ctx, key); err == nil {
		stamp = stampOf(info)
	}
	c.mu.Lock()
	c.bySKU[p.SKU] = &entry{product: p, stamp: stamp}
	c.gen.Add(1)
	c.mu.Unlock()
	return nil
}

// Get returns sku's product from memory, falling back to the store for a
// product another server created since the last refresh.
func (c *Catalog) Get(ctx context.Context, sku string) (Product, error) {
	c.mu.RLock()
	e := c.bySKU[sku]
	c.mu.RUnlock()
	if e != nil {
		return clone(e.product), nil
	}
	if !ValidSKU(sku) {
		return Product{}, fmt.Errorf("catalog: get %q: %w", sku, ErrNotFound)
	}
	p, info, err := c.read(ctx, sku)
	if err != nil {
		return Product{}, err
	}
	c.mu.Lock()
	if c.bySKU[sku] == nil {
		c.bySKU[sku] = &entry{product: p, stamp: stampOf(info)}
		c.gen.Add(1)
	}
	c.mu.Unlock()
	return clone(p), nil
}

// Create stores a new product at version 1. It fails with ErrExists when
// the SKU is taken and ErrInvalid when the metadata is invalid.
func (c *Catalog) Create(ctx context.Context, p Product) (Product, error) {
	var created Product
	err := c.modify(ctx, p.SKU, true, func(cur *Product, exists bool) error {
		if exists {
			return fmt.Errorf("catalog: create %s: %w", p.SKU, ErrExists)
		}
		p.Status = wire.StatusPending
		p.Model, p.PendingModel, p.Report = nil, nil, nil
		p.Images, p.PosterKey = nil, ""
		p.Created = c.now().UTC()
		*cur = p
		return nil
	}, &created)
	return created, err
}

// Update applies fn to the current version of sku read from the store
// (not memory, so concurrent servers do not overwrite each other's
// earlier writes), bumps the version and stores the result. fn may return
// an error to abandon the update.
func (c *Catalog) Update(ctx context.Context, sku string, fn func(p *Product) error) (Product, error) {
	var updated Product
	err := c.modify(ctx, sku, false, func(cur *Product, _ bool) error { return fn(cur) }, &updated)
	return updated, err
}

func (c *Catalog) modify(ctx context.Context, sku string, mayCreate bool, fn func(p *Product, exists bool) error, out *Product) error {
	if !ValidSKU(sku) {
		return fmt.Errorf("catalog: %q: %w: bad sku", sku, ErrInvalid)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	cur, _, err := c.read(ctx, sku)
	exists := err == nil
	if err != nil && !(errors.Is(err, ErrNotFound) && mayCreate) {
		return err
	}
	before := cur.Status
	version := cur.Version
	if err := fn(&cur, exists); err != nil {
		return err
	}
	cur.SKU = sku
	if problems := cur.Validate(); len(problems) > 0 {
		return fmt.Errorf("catalog: %s: %w: %s", sku, ErrInvalid, strings.Join(problems, "; "))
	}
	if exists && !ValidTransition(before, cur.Status) {
		return fmt.Errorf("catalog: %s: %w: status cannot go from %s to %s", sku, ErrInvalid, before, cur.Status)
	}
	cur.Version = version + 1
	cur.Updated = c.now().UTC()
	if err := c.write(ctx, cur); err != nil {
		return err
	}
	*out = clone(cur)
	return nil
}

// ValidTransition reports whether a product may move from status from to
// status to: pending → processing → ready | failed, and any settled product
// back to processing when a new model arrives. Staying put is allowed.
func ValidTransition(from, to string) bool {
	if from == to {
		return true
	}
	switch from {
	case wire.StatusPending:
		return to == wire.StatusProcessing
	case wire.StatusProcessing:
		return to == wire.StatusReady || to == wire.StatusFailed
	case wire.StatusReady, wire.StatusFailed:
		return to == wire.StatusProcessing
	}
	return false
}

// Delete removes sku's manifest and then its files. A crash between the
// two leaves only unreferenced files, which SweepOrphans removes.
func (c *Catalog) Delete(ctx context.Context, sku string) error {
	if !ValidSKU(sku) {
		return fmt.Errorf("catalog: delete %q: %w", sku, ErrNotFound)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.store.Stat(ctx, ManifestKey(sku)); errors.Is(err, blob.ErrNotFound) {
		c.mu.Lock()
		delete(c.bySKU, sku)
		c.mu.Unlock()
		return fmt.Errorf("catalog: delete %s: %w", sku, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("catalog: delete %s: %w", sku, err)
	}
	if err := c.store.Delete(ctx, ManifestKey(sku)); err != nil {
		return fmt.Errorf("catalog: delete %s: %w", sku, err)
	}
	c.mu.Lock()
	delete(c.bySKU, sku)
	c.gen.Add(1)
	c.mu.Unlock()
	infos, err := c.store.List(ctx, ProductPrefix(sku))
	if err != nil {
		return fmt.Errorf("catalog: delete %s files: %w", sku, err)
	}
	for _, info := range infos {
		if err := c.store.Delete(ctx, info.Key); err != nil {
			return fmt.Errorf("catalog: delete %s: %w", info.Key, err)
		}
	}
	return nil
}

// List returns the page of products q selects, sorted by name then SKU.
func (c *Catalog) List(_ context.Context, q Query) (Page, error) {
	if q.Offset < 0 {
		return Page{}, fmt.Errorf("catalog: list: %w: negative offset", ErrInvalid)
	}
	if q.Limit <= 0 {
		q.Limit = wire.DefaultPageSize
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	var matched []Product
	categories := map[string]bool{}
	c.mu.RLock()
	for _, e := range c.bySKU {
		p := &e.product
		if q.Merchant != "" && p.Merchant != q.Merchant {
			continue
		}
		if q.ReadyOnly && (p.Status != wire.StatusReady || p.Model == nil) {
			continue
		}
		categories[p.Category] = true
		if q.Category != "" && p.Category != q.Category {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(p.Name), text) {
			continue
		}
		matched = append(matched, *p)
	}
	c.mu.RUnlock()
	sort.Slice(matched, func(i, j int) bool {
		a, b := matched[i], matched[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.SKU < b.SKU
	})
	page := Page{Total: len(matched)}
	for cat := range categories {
		page.Categories = append(page.Categories, cat)
	}
	sort.Strings(page.Categories)
	if q.Offset < len(matched) {
		end := min(q.Offset+q.Limit, len(matched))
		for _, p := range matched[q.Offset:end] {
			page.Products = append(page.Products, clone(p))
		}
		if end < len(matched) {
			page.NextOffset = end
		}
	}
	return page, nil
}

// Generation changes whenever the set of products or any product
// changes, so followers can tell when to rebuild what they derive from it.
func (c *Catalog) Generation() uint64 { return c.gen.Load() }

// Len is the number of products held.
func (c *Catalog) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.bySKU)
}

// clone deep-copies the slices and pointers of p so callers cannot alter
// the catalog's copy.
func clone(p Product) Product {
	p.Model = cloneModel(p.Model)
	p.PendingModel = cloneModel(p.PendingModel)
	if p.Report != nil {
		r := *p.Report
		r.Problems = append([]string(nil), r.Problems...)
		r.Notes = append([]string(nil), r.Notes...)
		p.Report = &r
	}
	p.Images = append([]Image(nil), p.Images...)
	p.ViewKeys = append([]string(nil), p.ViewKeys...)
	if p.Frame != nil {
		f := *p.Frame
		p.Frame = &f
	}
	return p
}

func cloneModel(m *Model) *Model {
	if m == nil {
		return nil
	}
	c := *m
	c.LODs = append([]LOD(nil), m.LODs...)
	return &c
}
