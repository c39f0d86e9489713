// Package progressive loads a product's model level by level: the
// coarsest level of detail first, shown as soon as it is decoded, then
// finer levels, each swapped in when it arrives. Levels already seen come
// from a cache keyed by SKU, product version and level, so a revisit
// streams nothing. It is pure Go: the browser's Cache Storage and the
// vitrine.v1 client are behind small interfaces, and the whole flow is
// tested natively.
package progressive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wire"
)

// stepRatio is the most a coarser level on the ladder may weigh compared
// with the next finer level on it: with 1/4, every level shown before the
// finest costs at most a third more bytes in total.
const stepRatio = 4

// Plan returns the levels to load, coarsest first and finest (level 0)
// last: the coarsest level, then each finer level that weighs at most a
// quarter of the next finer one kept, so early levels stay cheap. Levels
// are identified by LODInfo.Level; an empty list plans just level 0.
func Plan(lods []wire.LODInfo) []int {
	if len(lods) == 0 {
		return []int{0}
	}
	sorted := append([]wire.LODInfo(nil), lods...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Level < sorted[j].Level })
	// Walk from the finest towards the coarsest, keeping a ladder.
	ladder := []wire.LODInfo{sorted[0]}
	for _, l := range sorted[1:] {
		last := ladder[len(ladder)-1]
		if l.SizeBytes > 0 && l.SizeBytes*stepRatio <= last.SizeBytes {
			ladder = append(ladder, l)
		}
	}
	coarsest := sorted[len(sorted)-1]
	if ladder[len(ladder)-1].Level != coarsest.Level && coarsest.SizeBytes < ladder[len(ladder)-1].SizeBytes {
		// The coarsest always leads, even when it saves less than the
		// step ratio over its neighbour on the ladder: replace that one.
		ladder[len(ladder)-1] = coarsest
		if len(ladder) == 1 {
			ladder = []wire.LODInfo{sorted[0], coarsest}
		}
	}
	plan := make([]int, 0, len(ladder))
	for i := len(ladder) - 1; i >= 0; i-- {
		plan = append(plan, ladder[i].Level)
	}
	return plan
}

// Store is a cache of byte blobs by key: the browser's Cache Storage in
// the viewer, a map in tests. Get returns ok false for a missing key.
type Store interface {
	Get(ctx context.Context, key string) (data []byte, ok bool, err error)
	Put(ctx context.Context, key string, data []byte) error
}

// Opener streams one level of a model; *client.Client satisfies it.
type Opener interface {
	Open(ctx context.Context, req client.ModelRequest) (client.Model, error)
}

// LevelKey is the cache key of one level of a product version's model: a
// same-origin URL path, as Cache Storage keys are requests.
func LevelKey(sku string, version int64, level int) string {
	return "/vitrine-cache/v1/model/" + url.PathEscape(sku) + "/" + strconv.FormatInt(version, 10) + "/lod" + strconv.Itoa(level) + ".glb"
}

// ManifestKey is the cache key of a product version's manifest.
func ManifestKey(sku string, version int64) string {
	return "/vitrine-cache/v1/model/" + url.PathEscape(sku) + "/" + strconv.FormatInt(version, 10) + "/manifest.json"
}

// Manifest records what the cache holds of one product version: the
// meta of the levels (bounds, dimensions, every level's size) and the
// SHA-256 of each level held, checked when a level is read back.
type Manifest struct {
	SKU     string         `json:"sku"`
	Version int64          `json:"version"`
	Meta    wire.ModelMeta `json:"meta"`
	// Held maps a level to the hex SHA-256 of its cached GLB.
	Held map[int]string `json:"held"`
}

// maxManifestBytes bounds a manifest read back from the cache.
const maxManifestBytes = 64 << 10

// Level is one decoded-ready level handed to the caller.
type Level struct {
	Meta      wire.ModelMeta // meta of the stream (or of the cached manifest)
	Level     int
	Data      []byte // the verified GLB
	FromCache bool
	Final     bool // no finer level follows
}

// Progress reports a load's advance across all its levels.
type Progress struct {
	HeldBytes, TotalBytes int64 // over the levels streamed (cached ones excluded)
	LevelsDone            int   // levels delivered
	LevelsTotal           int   // levels planned
}

// Loader loads models through an Opener and a Store (which may be nil).
type Loader struct {
	Open  Opener
	Cache Store
	// OnCacheError, when set, hears cache failures, which never fail a
	// load (the model is streamed instead).
	OnCacheError func(error)
}

// ErrCorruptCache reports a cached level whose bytes do not match the
// manifest; the level is streamed again.
var ErrCorruptCache = errors.New("progressive: cached level does not match its manifest")

// Load delivers the model of sku at product version (0 when unknown,
// which skips the cache lookup), coarsest planned level first. deliver is
// called in order, on Load's goroutine; an error from it ends the load.
// progress, when set, may be called from the client's read goroutine and
// must not block.
func (l *Loader) Load(ctx context.Context, sku string, version int64, deliver func(Level) error, progress func(Progress)) error {
	return l.LoadLevels(ctx, sku, version, nil, deliver, progress)
}

// LoadLevels is Load for a product whose levels of detail are already
// known (wire.Product.LODs from catalog.list or catalog.get): it plans
// the ladder from them and opens the coarsest level first, without
// probing level 0 for its model.meta. With no levels (an older server),
// or a list without level 0 or longer than wire.MaxLODs, it probes as
// Load does. A cached manifest's levels take precedence.
func (l *Loader) LoadLevels(ctx context.Context, sku string, version int64, known []wire.LODInfo, deliver func(Level) error, progress func(Progress)) error {
	if !usableLevels(known) {
		known = nil
	}
	var man *Manifest
	if version > 0 {
		man = l.manifest(ctx, sku, version)
	}
	var lods []wire.LODInfo
	var baseMeta wire.ModelMeta
	var partial *client.Partial
	var partialLevel = -1
	finestCached := -1
	if man != nil {
		baseMeta = man.Meta
		lods = man.Meta.LODs
		// Show the finest cached level straight away.
		for _, lv := range Plan(lods) {
			if _, ok := man.Held[lv]; ok {
				finestCached = lv
			}
		}
		if finestCached < 0 {
			for lv := range man.Held {
				if finestCached < 0 || lv < finestCached {
					finestCached = lv
				}
			}
		}
	}
	if finestCached >= 0 {
		data, err := l.cachedLevel(ctx, man, finestCached)
		if err != nil {
			l.cacheErr(err)
			finestCached = -1
		} else {
			meta := man.Meta
			meta.LOD, meta.SizeBytes = finestCached, int64(len(data))
			final := finestCached == 0 || len(lods) == 0
			if err := deliver(Level{Meta: meta, Level: finestCached, Data: data, FromCache: true, Final: final}); err != nil {
				return err
			}
			if final {
				return nil
			}
		}
	}
	if lods == nil && known != nil {
		lods = known
		baseMeta.LODs = known
	}
	if lods == nil {
		// Ask for the finest level and learn the ladder from its meta;
		// with coarser levels, stop it and keep what it sent for later.
		m, err := l.Open.Open(ctx, client.ModelRequest{
			SKU:           sku,
			StopAfterMeta: func(meta wire.ModelMeta) bool { return len(meta.LODs) > 1 },
			Progress: func(held, total int64) {
				if progress != nil {
					progress(Progress{HeldBytes: held, TotalBytes: total, LevelsTotal: 1})
				}
			},
		})
		switch {
		case errors.Is(err, client.ErrStopped):
			lods, baseMeta, partial, partialLevel = m.Meta.LODs, m.Meta, m.Partial, m.Meta.LOD
		case err != nil:
			return fmt.Errorf("progressive: %s: %w", sku, err)
		default:
			l.remember(ctx, sku, m.Meta, m.Data)
			if progress != nil {
				progress(Progress{HeldBytes: m.Meta.SizeBytes, TotalBytes: m.Meta.SizeBytes, LevelsDone: 1, LevelsTotal: 1})
			}
			return deliver(Level{Meta: m.Meta, Level: m.Meta.LOD, Data: m.Data, Final: true})
		}
	}
	var plan []int
	for _, lv := range Plan(lods) {
		if finestCached < 0 || lv < finestCached {
			plan = append(plan, lv)
		}
	}
	sizes := make(map[int]int64, len(lods))
	for _, lod := range lods {
		sizes[lod.Level] = lod.SizeBytes
	}
	var total, before int64
	for _, lv := range plan {
		total += sizes[lv]
	}
	for i, lv := range plan {
		req := client.ModelRequest{
			SKU: sku,
			LOD: lv,
			Progress: func(held, _ int64) {
				if progress != nil {
					progress(Progress{HeldBytes: before + held, TotalBytes: total, LevelsDone: i, LevelsTotal: len(plan)})
				}
			},
		}
		if lv == partialLevel {
			req.Resume = partial
		}
		m, err := l.Open.Open(ctx, req)
		if err != nil {
			return fmt.Errorf("progressive: %s level %d: %w", sku, lv, err)
		}
		before += sizes[lv]
		if m.Meta.LODs == nil {
			m.Meta.LODs = baseMeta.LODs
		}
		l.remember(ctx, sku, m.Meta, m.Data)
		if progress != nil {
			progress(Progress{HeldBytes: before, TotalBytes: total, LevelsDone: i + 1, LevelsTotal: len(plan)})
		}
		if err := deliver(Level{Meta: m.Meta, Level: lv, Data: m.Data, Final: i == len(plan)-1}); err != nil {
			return err
		}
	}
	return nil
}

// usableLevels reports whether known lists levels a plan can be made
// from: at most wire.MaxLODs distinct, non-negative levels including
// level 0.
func usableLevels(known []wire.LODInfo) bool {
	if len(known) == 0 || len(known) > wire.MaxLODs {
		return false
	}
	seen := make(map[int]bool, len(known))
	for _, l := range known {
		if l.Level < 0 || l.Level >= wire.MaxLODs || seen[l.Level] {
			return false
		}
		seen[l.Level] = true
	}
	return seen[0]
}

func (l *Loader) cacheErr(err error) {
	if l.OnCacheError != nil && err != nil {
		l.OnCacheError(err)
	}
}

// manifest reads the cached manifest of sku at version, or nil.
func (l *Loader) manifest(ctx context.Context, sku string, version int64) *Manifest {
	if l.Cache == nil {
		return nil
	}
	data, ok, err := l.Cache.Get(ctx, ManifestKey(sku, version))
	if err != nil || !ok {
		l.cacheErr(err)
		return nil
	}
	if len(data) > maxManifestBytes {
		l.cacheErr(fmt.Errorf("progressive: manifest of %s is %d bytes", sku, len(data)))
		return nil
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		l.cacheErr(fmt.Errorf("progressive: manifest of %s: %w", sku, err))
		return nil
	}
	if m.SKU != sku || m.Version != version || len(m.Held) == 0 || len(m.Meta.LODs) > wire.MaxLODs {
		return nil
	}
	return &m
}

// cachedLevel reads a level back and checks it against the manifest.
func (l *Loader) cachedLevel(ctx context.Context, man *Manifest, level int) ([]byte, error) {
	data, ok, err := l.Cache.Get(ctx, LevelKey(man.SKU, man.Version, level))
	if err != nil {
		return nil, fmt.Errorf("progressive: reading cached %s level %d: %w", man.SKU, level, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s level %d is missing", ErrCorruptCache, man.SKU, level)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != man.Held[level] {
		return nil, fmt.Errorf("%w: %s level %d", ErrCorruptCache, man.SKU, level)
	}
	return data, nil
}

// remember stores a streamed level and updates the manifest. Failures
// are reported, never returned: the cache is an optimisation.
func (l *Loader) remember(ctx context.Context, sku string, meta wire.ModelMeta, data []byte) {
	if l.Cache == nil || meta.Version <= 0 {
		return
	}
	man := l.manifest(ctx, sku, meta.Version)
	if man == nil {
		man = &Manifest{SKU: sku, Version: meta.Version, Held: map[int]string{}}
	}
	man.Meta = meta
	man.Meta.Stream, man.Meta.FromChunk = 0, 0
	sum := sha256.Sum256(data)
	if err := l.Cache.Put(ctx, LevelKey(sku, meta.Version, meta.LOD), data); err != nil {
		l.cacheErr(fmt.Errorf("progressive: caching %s level %d: %w", sku, meta.LOD, err))
		return
	}
	man.Held[meta.LOD] = hex.EncodeToString(sum[:])
	encoded, err := json.Marshal(man)
	if err == nil {
		err = l.Cache.Put(ctx, ManifestKey(sku, meta.Version), encoded)
	}
	if err != nil {
		l.cacheErr(fmt.Errorf("progressive: caching the manifest of %s: %w", sku, err))
	}
}
