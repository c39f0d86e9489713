package progressive

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestParsePreview(t *testing.T) {
	tests := []struct {
		query   string
		level   int
		ok      bool
		wantErr bool
	}{
		{"", 0, false, false},
		{"utm_source=mail", 0, false, false},
		{"lod=0", 0, true, false},
		{"lod=2", 2, true, false},
		{"x=1&lod=3", 3, true, false},
		{"lod=", 0, false, true},
		{"lod=-1", 0, false, true},
		{"lod=two", 0, false, true},
		{"lod=8", 0, false, true}, // wire.MaxLODs levels: 0 … 7
		{"lod=%zz", 0, false, true},
	}
	for _, tc := range tests {
		level, ok, err := ParsePreview(tc.query)
		if level != tc.level || ok != tc.ok || (err != nil) != tc.wantErr {
			t.Errorf("ParsePreview(%q) = %d, %v, %v; want %d, %v, error %v", tc.query, level, ok, err, tc.level, tc.ok, tc.wantErr)
		}
		if tc.wantErr && err != nil && !errors.Is(err, ErrNoSuchLevel) && tc.query != "lod=%zz" {
			t.Errorf("ParsePreview(%q) error %v is not ErrNoSuchLevel", tc.query, err)
		}
	}
}

func TestPreviewPlan(t *testing.T) {
	lods := []wire.LODInfo{{Level: 0, SizeBytes: 6400}, {Level: 1, SizeBytes: 1600}, {Level: 2, SizeBytes: 400}}
	for _, level := range []int{0, 1, 2} {
		got, err := PreviewPlan(lods, level)
		if err != nil || !reflect.DeepEqual(got, []int{level}) {
			t.Errorf("PreviewPlan(level %d) = %v, %v; want just [%d], not the ladder %v", level, got, err, level, Plan(lods))
		}
	}
	if got, err := PreviewPlan(nil, 5); err != nil || !reflect.DeepEqual(got, []int{5}) {
		t.Errorf("PreviewPlan with unknown levels = %v, %v; want [5]", got, err)
	}
	if _, err := PreviewPlan(lods, 3); !errors.Is(err, ErrNoSuchLevel) {
		t.Errorf("PreviewPlan of a missing level: error %v, want ErrNoSuchLevel", err)
	}
}

func TestLevelLabel(t *testing.T) {
	lods := []wire.LODInfo{{Level: 0, Triangles: 48000}, {Level: 1, Triangles: 12480}, {Level: 2, Triangles: 1}, {Level: 3, Triangles: 980}}
	tests := []struct {
		meta wire.ModelMeta
		want string
	}{
		{wire.ModelMeta{LOD: 1, LODs: lods}, "Level 1 of 4, 12,480 triangles"},
		{wire.ModelMeta{LOD: 0, LODs: lods}, "Level 0 of 4, 48,000 triangles"},
		{wire.ModelMeta{LOD: 2, LODs: lods}, "Level 2 of 4, 1 triangle"},
		{wire.ModelMeta{LOD: 3, LODs: lods}, "Level 3 of 4, 980 triangles"},
		{wire.ModelMeta{LOD: 0, LODs: []wire.LODInfo{{Level: 0, Triangles: 1234567}}}, "Level 0 of 1, 1,234,567 triangles"},
		{wire.ModelMeta{LOD: 0}, "Level 0 of 1"},
	}
	for _, tc := range tests {
		if got := LevelLabel(tc.meta); got != tc.want {
			t.Errorf("LevelLabel(level %d) = %q, want %q", tc.meta.LOD, got, tc.want)
		}
	}
}

func TestPreviewStreamsOnlyThatLevelAndCachesNothing(t *testing.T) {
	for _, level := range []int{0, 1, 3} {
		op := &fakeOpener{version: 5, levels: levels(4)}
		store := &mapStore{data: map[string][]byte{}}
		l := &Loader{Open: op, Cache: store, OnCacheError: func(err error) { t.Errorf("cache: %v", err) }}
		var got []delivered
		var last Progress
		err := l.Preview(context.Background(), "chair", level, func(lv Level) error {
			if lv.Data[0] != byte('a'+lv.Level) {
				t.Errorf("level %d delivered the wrong bytes", lv.Level)
			}
			got = append(got, delivered{lv.Level, lv.FromCache, lv.Final})
			return nil
		}, func(p Progress) { last = p })
		if err != nil {
			t.Fatal(err)
		}
		if want := []delivered{{level: level, final: true}}; !reflect.DeepEqual(got, want) {
			t.Errorf("preview of level %d delivered %+v, want %+v", level, got, want)
		}
		if len(op.opens) != 1 || op.opens[0].LOD != level || op.opens[0].StopAfterMeta != nil {
			t.Errorf("preview of level %d opened %+v, want one stream of that level", level, op.opens)
		}
		if len(store.data) != 0 {
			t.Errorf("preview of level %d wrote %d cache entries, want none", level, len(store.data))
		}
		if last.LevelsDone != 1 || last.LevelsTotal != 1 || last.HeldBytes != last.TotalBytes {
			t.Errorf("last progress %+v, want one level complete", last)
		}
	}

	// A previously cached model does not stand in for the level asked.
	op := &fakeOpener{version: 5, levels: levels(3)}
	store := &mapStore{data: map[string][]byte{}}
	l := &Loader{Open: op, Cache: store}
	load(t, l, 5)
	op.opens = nil
	var shown []int
	if err := l.Preview(context.Background(), "chair", 2, func(lv Level) error {
		if lv.FromCache {
			t.Errorf("preview came from the cache")
		}
		shown = append(shown, lv.Level)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shown, []int{2}) || len(op.opens) != 1 {
		t.Errorf("preview after a cached visit showed %v after %d opens, want [2] after one", shown, len(op.opens))
	}

	// A level the model lacks fails with the opener's error.
	if err := l.Preview(context.Background(), "chair", 6, func(Level) error { return nil }, nil); err == nil {
		t.Errorf("preview of a missing level succeeded")
	}
}
