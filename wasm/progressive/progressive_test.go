package progressive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wire"
)

func TestPlan(t *testing.T) {
	lod := func(level int, size int64) wire.LODInfo { return wire.LODInfo{Level: level, SizeBytes: size} }
	tests := []struct {
		name string
		lods []wire.LODInfo
		want []int
	}{
		{"no levels listed", nil, []int{0}},
		{"one level", []wire.LODInfo{lod(0, 1000)}, []int{0}},
		{"two levels", []wire.LODInfo{lod(0, 1000), lod(1, 100)}, []int{1, 0}},
		{"coarse barely smaller still leads", []wire.LODInfo{lod(0, 1000), lod(1, 600)}, []int{1, 0}},
		{"coarse not smaller is skipped", []wire.LODInfo{lod(0, 1000), lod(1, 1000)}, []int{0}},
		{"geometric ladder keeps all", []wire.LODInfo{lod(0, 6400), lod(1, 1600), lod(2, 400), lod(3, 100)}, []int{3, 2, 1, 0}},
		{"dense ladder skips middles", []wire.LODInfo{lod(0, 1000), lod(1, 500), lod(2, 250), lod(3, 125), lod(4, 60)}, []int{4, 2, 0}},
		{"middle kept when cheap enough", []wire.LODInfo{lod(0, 10000), lod(1, 5000), lod(2, 2000), lod(3, 100)}, []int{3, 2, 0}},
		{"unsorted input", []wire.LODInfo{lod(2, 100), lod(0, 10000), lod(1, 1000)}, []int{2, 1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Plan(tc.lods); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan = %v, want %v", got, tc.want)
			}
		})
	}
}

// mapStore is a Store in memory that counts reads and writes.
type mapStore struct {
	mu   sync.Mutex
	data map[string][]byte
}

func (s *mapStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.data[key]
	return bytes.Clone(d), ok, nil
}

func (s *mapStore) Put(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = bytes.Clone(data)
	return nil
}

// fakeOpener serves levels of one product; it honours StopAfterMeta.
type fakeOpener struct {
	version int64
	levels  [][]byte // by level
	opens   []client.ModelRequest
}

func (f *fakeOpener) lods() []wire.LODInfo {
	out := make([]wire.LODInfo, len(f.levels))
	for i, l := range f.levels {
		out[i] = wire.LODInfo{Level: i, SizeBytes: int64(len(l))}
	}
	return out
}

func (f *fakeOpener) Open(_ context.Context, req client.ModelRequest) (client.Model, error) {
	f.opens = append(f.opens, req)
	if req.LOD >= len(f.levels) {
		return client.Model{}, fmt.Errorf("no level %d", req.LOD)
	}
	data := f.levels[req.LOD]
	meta := wire.ModelMeta{SKU: "chair", Version: f.version, LOD: req.LOD, LODs: f.lods(), SizeBytes: int64(len(data)),
		BoundsMin: [3]float64{-1, 0, -1}, BoundsMax: [3]float64{1, 2, 1}}
	if req.StopAfterMeta != nil && req.StopAfterMeta(meta) {
		return client.Model{Meta: meta}, client.ErrStopped
	}
	if req.Progress != nil {
		req.Progress(meta.SizeBytes, meta.SizeBytes)
	}
	return client.Model{Meta: meta, Data: data}, nil
}

func levels(n int) [][]byte {
	out := make([][]byte, n)
	size := 4096
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
		size /= 5
	}
	return out
}

type delivered struct {
	level     int
	fromCache bool
	final     bool
}

func load(t *testing.T, l *Loader, version int64) []delivered {
	t.Helper()
	var got []delivered
	var last Progress
	err := l.Load(context.Background(), "chair", version, func(lv Level) error {
		if lv.Meta.BoundsMax != [3]float64{1, 2, 1} {
			t.Errorf("level %d delivered with bounds %v", lv.Level, lv.Meta.BoundsMax)
		}
		if len(lv.Data) == 0 || lv.Data[0] != byte('a'+lv.Level) {
			t.Errorf("level %d delivered the wrong bytes", lv.Level)
		}
		got = append(got, delivered{lv.Level, lv.FromCache, lv.Final})
		return nil
	}, func(p Progress) {
		if p.HeldBytes > p.TotalBytes || p.LevelsDone > p.LevelsTotal {
			t.Errorf("progress %+v overflows", p)
		}
		last = p
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 0 && !got[len(got)-1].fromCache && last.LevelsDone != last.LevelsTotal {
		t.Errorf("last progress %+v is not complete", last)
	}
	return got
}

func TestLoadProgressiveThenCached(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d levels", n), func(t *testing.T) {
			op := &fakeOpener{version: 7, levels: levels(n)}
			store := &mapStore{data: map[string][]byte{}}
			l := &Loader{Open: op, Cache: store, OnCacheError: func(err error) { t.Errorf("cache: %v", err) }}

			first := load(t, l, 7)
			plan := Plan(op.lods())
			if len(first) != len(plan) {
				t.Fatalf("first visit delivered %v, want the plan %v", first, plan)
			}
			for i, lv := range plan {
				if first[i] != (delivered{level: lv, final: i == len(plan)-1}) {
					t.Errorf("delivery %d = %+v, want level %d", i, first[i], lv)
				}
			}
			if first[0].level != n-1 {
				t.Errorf("first level shown is %d, want the coarsest %d", first[0].level, n-1)
			}
			wantOpens := len(plan)
			if n > 1 {
				wantOpens++ // the probe that learns the levels
			}
			if len(op.opens) != wantOpens {
				t.Errorf("first visit opened %d streams, want %d", len(op.opens), wantOpens)
			}

			// The revisit comes from the cache: no stream at all.
			op.opens = nil
			second := load(t, l, 7)
			if want := []delivered{{level: 0, fromCache: true, final: true}}; !reflect.DeepEqual(second, want) {
				t.Errorf("revisit delivered %+v, want %+v", second, want)
			}
			if len(op.opens) != 0 {
				t.Errorf("revisit opened %d streams, want none", len(op.opens))
			}

			// A new product version misses the cache.
			op.version = 8
			third := load(t, l, 8)
			if len(op.opens) == 0 || third[0].fromCache {
				t.Errorf("a new version was served from the cache: %+v", third)
			}
		})
	}
}

func TestLoadCorruptCacheStreamsAgain(t *testing.T) {
	op := &fakeOpener{version: 3, levels: levels(1)}
	store := &mapStore{data: map[string][]byte{}}
	var cacheErrs []error
	l := &Loader{Open: op, Cache: store, OnCacheError: func(err error) { cacheErrs = append(cacheErrs, err) }}
	load(t, l, 3)
	store.data[LevelKey("chair", 3, 0)][10] ^= 1
	op.opens = nil
	got := load(t, l, 3)
	if len(op.opens) != 1 || got[0].fromCache {
		t.Errorf("corrupt cache: delivered %+v after %d opens, want one stream", got, len(op.opens))
	}
	if len(cacheErrs) != 1 || !errors.Is(cacheErrs[0], ErrCorruptCache) {
		t.Errorf("cache errors %v, want one ErrCorruptCache", cacheErrs)
	}
}

func TestLoadCoarseCachedStreamsOnlyFiner(t *testing.T) {
	op := &fakeOpener{version: 1, levels: levels(3)}
	store := &mapStore{data: map[string][]byte{}}
	l := &Loader{Open: op, Cache: store}
	load(t, l, 1)
	// Forget the finest level: the coarse one shows from the cache and
	// only the finest is streamed.
	delete(store.data, LevelKey("chair", 1, 0))
	man := l.manifest(context.Background(), "chair", 1)
	delete(man.Held, 0)
	l.remember(context.Background(), "chair", wire.ModelMeta{Version: 1, LOD: 1, LODs: op.lods(), BoundsMin: [3]float64{-1, 0, -1}, BoundsMax: [3]float64{1, 2, 1}}, op.levels[1])
	store.data[ManifestKey("chair", 1)] = nil
	l.remember(context.Background(), "chair", wire.ModelMeta{Version: 1, LOD: 1, LODs: op.lods(), BoundsMin: [3]float64{-1, 0, -1}, BoundsMax: [3]float64{1, 2, 1}}, op.levels[1])
	op.opens = nil
	got := load(t, l, 1)
	want := []delivered{{level: 1, fromCache: true}, {level: 0, final: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %+v, want %+v", got, want)
	}
	if len(op.opens) != 1 || op.opens[0].LOD != 0 {
		t.Errorf("opens %+v, want one of level 0", op.opens)
	}
}

func TestKeys(t *testing.T) {
	if got, want := LevelKey("sofa/1 a", 12, 2), "/vitrine-cache/v1/model/sofa%2F1%20a/12/lod2.glb"; got != want {
		t.Errorf("LevelKey = %q, want %q", got, want)
	}
	if got, want := ManifestKey("mug", 3), "/vitrine-cache/v1/model/mug/3/manifest.json"; got != want {
		t.Errorf("ManifestKey = %q, want %q", got, want)
	}
}
