package vsearch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// GalleryCatalog is what a Gallery needs of the catalog.
type GalleryCatalog interface {
	List(ctx context.Context, q catalog.Query) (catalog.Page, error)
	Get(ctx context.Context, sku string) (catalog.Product, error)
	Generation() uint64
}

// maxGalleryImageBytes bounds one stored product image read for indexing.
const maxGalleryImageBytes = 16 << 20

// Gallery keeps a Service's index in step with the catalog — every ready
// product's photos and rendered views — persists it in the blob store so a
// restart or a second server loads it instead of re-embedding, and answers
// the protocol's search requests with catalog details filled in.
type Gallery struct {
	svc   *Service
	store blob.Store
	cat   GalleryCatalog
	log   *slog.Logger
	key   string

	mu      sync.Mutex       // serialises Sync and Save
	indexed map[string]int64 // sku → product version indexed

	cacheMu sync.Mutex
	similar map[string][]Neighbour // sku → its neighbours; cleared when the index changes
}

// Neighbour is a product that looks like another.
type Neighbour struct {
	SKU   string
	Score float64
}

// maxCachedSimilar bounds the products whose neighbours are cached.
const maxCachedSimilar = 100_000

// galleryState is stored beside the index: which product versions it holds.
type galleryState struct {
	Space   string           `json:"space"`
	Indexed map[string]int64 `json:"indexed"`
}

// OpenGallery loads the index of emb's space from store (starting empty
// when there is none, when it was made by another embedder or when it is
// corrupt; Sync then embeds every product again).
func OpenGallery(ctx context.Context, emb Embedder, store blob.Store, cat GalleryCatalog, log *slog.Logger) (*Gallery, error) {
	if log == nil {
		log = slog.Default()
	}
	key := "vsearch/" + sanitizeKey(SpaceOf(emb).String()) + ".vsix"
	g := &Gallery{store: store, cat: cat, log: log, key: key, indexed: map[string]int64{}}
	svc, err := LoadService(ctx, emb, store, key, Options{})
	switch {
	case err == nil:
		g.svc = svc
		g.loadState(ctx)
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, ErrSpaceMismatch):
		log.Info("vsearch: starting an empty index", "space", SpaceOf(emb).String(), "reason", err)
		g.svc = NewService(emb, Options{})
	case errors.Is(err, ErrCorruptIndex):
		// The index is derived data: every product is embedded again and
		// the next Sync overwrites the file.
		log.Warn("vsearch: the saved index is unreadable; rebuilding it", "key", key, "err", err)
		g.svc = NewService(emb, Options{})
	default:
		return nil, fmt.Errorf("vsearch: open gallery: %w", err)
	}
	return g, nil
}

func sanitizeKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '@' {
			return r
		}
		return '_'
	}, s)
}

func (g *Gallery) loadState(ctx context.Context) {
	rc, _, err := g.store.Get(ctx, g.key+".json")
	if err != nil {
		return // no state: every product is indexed again
	}
	defer rc.Close()
	var st galleryState
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&st); err != nil || st.Space != SpaceOf(g.svc.Embedder()).String() {
		return
	}
	g.indexed = st.Indexed
}

// Service is the gallery's search service.
func (g *Gallery) Service() *Service { return g.svc }

// Sync indexes every ready product whose version the index does not hold
// and removes products that are gone or no longer ready, then saves the
// index when anything changed. A product whose images cannot be read is
// logged and tried again at the next Sync.
func (g *Gallery) Sync(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	page, err := g.cat.List(ctx, catalog.Query{ReadyOnly: true, Limit: 1 << 30})
	if err != nil {
		return fmt.Errorf("vsearch: sync: %w", err)
	}
	changed := false
	live := make(map[string]bool, len(page.Products))
	for _, p := range page.Products {
		live[p.SKU] = true
		if v, ok := g.indexed[p.SKU]; ok && v == p.Version {
			continue
		}
		imgs := g.productImages(ctx, p)
		if len(imgs) == 0 {
			continue
		}
		if err := g.svc.IndexProduct(ctx, p.SKU, p.Category, p.Price, imgs); err != nil {
			g.log.Warn("vsearch: indexing failed", "sku", p.SKU, "err", err)
			continue
		}
		g.svc.SetShapes(p.SKU, g.productShapes(ctx, p))
		g.indexed[p.SKU] = p.Version
		changed = true
	}
	for sku := range g.indexed {
		if !live[sku] {
			g.svc.Remove(sku)
			delete(g.indexed, sku)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	g.cacheMu.Lock()
	g.similar = nil
	g.cacheMu.Unlock()
	return g.saveLocked(ctx)
}

func (g *Gallery) saveLocked(ctx context.Context) error {
	if err := g.svc.Save(ctx, g.store, g.key); err != nil {
		return fmt.Errorf("vsearch: save index: %w", err)
	}
	data, err := json.Marshal(galleryState{Space: SpaceOf(g.svc.Embedder()).String(), Indexed: g.indexed})
	if err != nil {
		return fmt.Errorf("vsearch: save index state: %w", err)
	}
	if err := g.store.Put(ctx, g.key+".json", bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("vsearch: save index state: %w", err)
	}
	g.removeStaleIndexes(ctx, time.Now())
	return nil
}

// staleIndexAge is how long an index of another version of the gallery's
// embedder may go unwritten before removeStaleIndexes deletes it. A server
// still running that version saves its index whenever the catalog
// changes; one gone for a week (a descriptor version replaced by the
// next) has left a copy of the whole index behind, 1.5 KB per vector.
const staleIndexAge = 7 * 24 * time.Hour

// removeStaleIndexes deletes the saved indexes (and their state files)
// of the gallery's embedder in other versions that were last written
// before now − staleIndexAge. Other embedders' indexes are left alone.
// Failures are logged: the index just saved is what matters.
func (g *Gallery) removeStaleIndexes(ctx context.Context, now time.Time) {
	prefix := "vsearch/" + sanitizeKey(g.svc.Embedder().Name()+"@")
	infos, err := g.store.List(ctx, prefix)
	if err != nil {
		g.log.Warn("vsearch: cannot list old indexes", "prefix", prefix, "err", err)
		return
	}
	for _, in := range infos {
		base := strings.TrimSuffix(strings.TrimSuffix(in.Key, ".json"), shapesSuffix)
		if base == g.key || !strings.HasSuffix(base, ".vsix") || now.Sub(in.Modified) < staleIndexAge {
			continue
		}
		if err := g.store.Delete(ctx, in.Key); err != nil {
			g.log.Warn("vsearch: cannot remove a stale index", "key", in.Key, "err", err)
			continue
		}
		g.log.Info("vsearch: removed a stale index", "key", in.Key, "last_written", in.Modified, "bytes", in.SizeBytes)
	}
}

// productImages decodes a product's photos and rendered views.
func (g *Gallery) productImages(ctx context.Context, p catalog.Product) []image.Image {
	keys := append([]string(nil), p.ViewKeys...)
	for _, im := range p.Images {
		keys = append(keys, im.Key)
	}
	var imgs []image.Image
	for _, key := range keys {
		img, err := g.readImage(ctx, key)
		if err != nil {
			g.log.Warn("vsearch: skipping a product image", "sku", p.SKU, "key", key, "err", err)
			continue
		}
		imgs = append(imgs, img)
	}
	return imgs
}

// productShapes reads a product's silhouette sheet; nil when it has none
// or it cannot be read (logged), so that the product is scored as one
// without a model (no shape term).
func (g *Gallery) productShapes(ctx context.Context, p catalog.Product) *ShapeBank {
	if p.ShapeKey == "" {
		return nil
	}
	img, err := g.readImage(ctx, p.ShapeKey)
	var bank *ShapeBank
	if err == nil {
		bank, err = NewShapeBankSheet(img)
	}
	if err != nil {
		g.log.Warn("vsearch: skipping a product's silhouettes", "sku", p.SKU, "key", p.ShapeKey, "err", err)
		return nil
	}
	return bank
}

func (g *Gallery) readImage(ctx context.Context, key string) (image.Image, error) {
	rc, _, err := g.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxGalleryImageBytes+1))
	if err != nil {
		return nil, err
	}
	return DecodeQueryImage(data, maxGalleryImageBytes, wire.MaxSearchImagePixels)
}

// Follow runs Sync whenever the catalog changes (checked every interval)
// until ctx ends.
func (g *Gallery) Follow(ctx context.Context, interval time.Duration) {
	seen := uint64(0)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if gen := g.cat.Generation(); gen != seen {
			if err := g.Sync(ctx); err != nil && ctx.Err() == nil {
				g.log.Warn("vsearch: sync failed", "err", err)
			} else {
				seen = gen
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SearchImage answers search.image for an uploaded image. Client errors
// come back as *wire.Error (invalid_image, too_large, bad_request).
func (g *Gallery) SearchImage(ctx context.Context, data []byte, req wire.SearchImage) (wire.SearchResults, error) {
	start := time.Now()
	if req.SHA256 != "" {
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != strings.ToLower(req.SHA256) {
			return wire.SearchResults{}, wire.Errorf(wire.CodeBadRequest, "the image's SHA-256 does not match the announced one")
		}
	}
	img, err := DecodeQueryImage(data, wire.MaxSearchImageBytes, wire.MaxSearchImagePixels)
	if err != nil {
		code := wire.CodeInvalidImage
		if errors.Is(err, ErrImageTooLarge) {
			code = wire.CodeTooLarge
		}
		return wire.SearchResults{}, &wire.Error{Code: code, Message: err.Error()}
	}
	hits, noProduct, err := g.svc.SearchPhoto(ctx, img, req.K, Filter{Category: req.Category, MaxPrice: req.PriceMax})
	if err != nil {
		return wire.SearchResults{}, fmt.Errorf("vsearch: search: %w", err)
	}
	res := g.results(ctx, req.Stream, hits, "", start)
	if noProduct {
		res.Hint = wire.HintNoProduct
	}
	return res, nil
}

// Similar answers "find similar" for a catalog product: its poster (or
// first photo) is the query, and the product itself is left out.
func (g *Gallery) Similar(ctx context.Context, req wire.SearchImage) (wire.SearchResults, error) {
	start := time.Now()
	p, err := g.cat.Get(ctx, req.SKU)
	if errors.Is(err, catalog.ErrNotFound) {
		return wire.SearchResults{}, wire.Errorf(wire.CodeNotFound, "no product %q", req.SKU)
	}
	if err != nil {
		return wire.SearchResults{}, err
	}
	key := p.PosterKey
	if key == "" && len(p.Images) > 0 {
		key = p.Images[0].Key
	}
	if key == "" {
		return wire.SearchResults{}, wire.Errorf(wire.CodeNotReady, "product %s has no picture to search with", req.SKU)
	}
	img, err := g.readImage(ctx, key)
	if err != nil {
		return wire.SearchResults{}, fmt.Errorf("vsearch: similar to %s: %w", req.SKU, err)
	}
	hits, err := g.svc.Search(ctx, img, req.K+1, Filter{Category: req.Category, MaxPrice: req.PriceMax})
	if err != nil {
		return wire.SearchResults{}, fmt.Errorf("vsearch: similar to %s: %w", req.SKU, err)
	}
	res := g.results(ctx, 0, hits, req.SKU, start)
	if len(res.Results) > req.K {
		res.Results = res.Results[:req.K]
	}
	return res, nil
}

// results fills catalog details into hits, leaving out skip and products
// that have gone since they were indexed.
func (g *Gallery) results(ctx context.Context, stream uint32, hits []Result, skip string, start time.Time) wire.SearchResults {
	out := wire.SearchResults{Stream: stream, Results: []wire.SearchResult{}, Embedder: SpaceOf(g.svc.Embedder()).String()}
	for _, h := range hits {
		if h.SKU == skip {
			continue
		}
		p, err := g.cat.Get(ctx, h.SKU)
		if err != nil {
			continue
		}
		out.Results = append(out.Results, wire.SearchResult{SKU: p.SKU, Score: float64(h.Score), Name: p.Name,
			PosterURL: catalog.MediaURL(p.PosterKey), Price: p.Price, Currency: p.Currency, Why: h.Why})
	}
	out.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return out
}

// Neighbours returns up to k products that look like sku, best first,
// from a cache the index's changes clear: the recommender asks on every
// recs.get, and embedding a picture each time would dominate its latency.
func (g *Gallery) Neighbours(ctx context.Context, sku string, k int) []Neighbour {
	g.cacheMu.Lock()
	cached, ok := g.similar[sku]
	g.cacheMu.Unlock()
	if !ok {
		res, err := g.Similar(ctx, wire.SearchImage{SKU: sku, K: wire.MaxSearchResults})
		if err != nil {
			return nil
		}
		for _, r := range res.Results {
			cached = append(cached, Neighbour{SKU: r.SKU, Score: r.Score})
		}
		g.cacheMu.Lock()
		if g.similar == nil || len(g.similar) >= maxCachedSimilar {
			g.similar = map[string][]Neighbour{}
		}
		g.similar[sku] = cached
		g.cacheMu.Unlock()
	}
	if len(cached) > k {
		cached = cached[:k]
	}
	return cached
}
