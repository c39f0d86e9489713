package progressive

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// TestLoadLevelsKnownOpensCoarsestFirst: with the product's levels known
// from the catalog, the plan's coarsest level is the first stream opened
// and no level-0 probe (StopAfterMeta) comes before it.
func TestLoadLevelsKnownOpensCoarsestFirst(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d levels", n), func(t *testing.T) {
			op := &fakeOpener{version: 5, levels: levels(n)}
			l := &Loader{Open: op, Cache: &mapStore{data: map[string][]byte{}}}
			var got []int
			var last Progress
			err := l.LoadLevels(context.Background(), "chair", 5, op.lods(), func(lv Level) error {
				if lv.Meta.BoundsMax != [3]float64{1, 2, 1} || len(lv.Meta.LODs) != n {
					t.Errorf("level %d delivered with meta %+v", lv.Level, lv.Meta)
				}
				if lv.Data[0] != byte('a'+lv.Level) {
					t.Errorf("level %d delivered the wrong bytes", lv.Level)
				}
				if lv.Final != (lv.Level == 0) {
					t.Errorf("level %d final=%v", lv.Level, lv.Final)
				}
				got = append(got, lv.Level)
				return nil
			}, func(p Progress) { last = p })
			if err != nil {
				t.Fatal(err)
			}
			plan := Plan(op.lods())
			if !reflect.DeepEqual(got, plan) {
				t.Errorf("delivered %v, want the plan %v", got, plan)
			}
			if len(op.opens) != len(plan) {
				t.Fatalf("opened %d streams, want exactly the %d planned", len(op.opens), len(plan))
			}
			if first := op.opens[0]; first.LOD != n-1 || first.StopAfterMeta != nil || first.Resume != nil {
				t.Errorf("first open asks for level %d (probe %v), want the coarsest %d and no probe", first.LOD, first.StopAfterMeta != nil, n-1)
			}
			for i, req := range op.opens {
				if req.LOD != plan[i] || req.StopAfterMeta != nil {
					t.Errorf("open %d asks for level %d (probe %v), want level %d", i, req.LOD, req.StopAfterMeta != nil, plan[i])
				}
			}
			if last.LevelsDone != len(plan) || last.LevelsTotal != len(plan) || last.HeldBytes != last.TotalBytes {
				t.Errorf("last progress %+v is not complete", last)
			}
		})
	}
}

// TestLoadLevelsFallsBackToProbe: without usable levels (an older server,
// or a list without level 0) the loader probes level 0 as before.
func TestLoadLevelsFallsBackToProbe(t *testing.T) {
	for name, known := range map[string][]wire.LODInfo{
		"none":         nil,
		"no level 0":   {{Level: 1, SizeBytes: 10}, {Level: 2, SizeBytes: 5}},
		"duplicate":    {{Level: 0, SizeBytes: 10}, {Level: 0, SizeBytes: 5}},
		"out of range": {{Level: 0, SizeBytes: 10}, {Level: wire.MaxLODs, SizeBytes: 5}},
	} {
		t.Run(name, func(t *testing.T) {
			op := &fakeOpener{version: 5, levels: levels(3)}
			l := &Loader{Open: op}
			var got []int
			err := l.LoadLevels(context.Background(), "chair", 5, known, func(lv Level) error {
				got = append(got, lv.Level)
				return nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(op.opens) == 0 || op.opens[0].LOD != 0 || op.opens[0].StopAfterMeta == nil {
				t.Fatalf("opens %+v, want a level-0 probe first", op.opens)
			}
			if want := Plan(op.lods()); !reflect.DeepEqual(got, want) {
				t.Errorf("delivered %v, want %v", got, want)
			}
		})
	}
}
