package assetpipe

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// posterThresholds bound ImageDifference between each level's poster and
// the full model's, by level.
//
// Levels 1 and 2 must be near-indistinguishable. The coarsest level
// (about 300 triangles for these small models) is a stand-in shown while
// finer levels stream: its bound still catches collapses that wreck the
// shape (a vase flattened to a sheet scored 0.33, a mug turned cone 0.50).
var posterThresholds = []float64{0, 0.04, 0.12, 0.31}

// TestProcessSampleCatalog runs the whole pipeline on every sample model:
// every level passes the Khronos glTF-Validator with zero errors, the
// coarsest level is small, posters and views are transparent PNGs of the
// right size, and each level's poster stays close to the full model's.
func TestProcessSampleCatalog(t *testing.T) {
	ctx := context.Background()
	files := map[string][]byte{}
	for i, p := range sampleCatalog(t) {
		data, _ := readSample(t, p)
		// One model at the production sizes; the others smaller, to keep
		// the test quick (faithfulness is compared at 256 px).
		poster, posterSize, viewSize := PosterOptions{Size: 256, ViewSize: 64}, 256, 64
		if i == 0 {
			poster, posterSize, viewSize = PosterOptions{}, 512, 256
		}
		out, err := Process(ctx, data, ProcessInput{DeclaredM: p.DimensionsM, Placement: p.Placement, Budget: DefaultBudget(), Poster: poster})
		if err != nil {
			t.Fatalf("%s: %v", p.SKU, err)
		}
		rep := out.Report
		if rep.DimensionsMismatch || rep.Unit != "m" {
			t.Errorf("%s: sample should match its declared size in metres: %+v", p.SKU, rep)
		}
		if len(out.LODs) != 4 {
			t.Fatalf("%s: %d levels", p.SKU, len(out.LODs))
		}
		last := out.LODs[len(out.LODs)-1]
		if last.SizeBytes > 50<<10 {
			t.Errorf("%s: coarsest level is %d bytes, over 50 KiB", p.SKU, last.SizeBytes)
		}
		for i, l := range rep.LODs {
			files[p.SKU+"-lod"+string(rune('0'+i))] = out.LODs[i].GLB
			t.Logf("%s L%d: %6d tris %6d bytes (%5.1f%%) poster diff %.4f", p.SKU, l.Level, l.Triangles, l.SizeBytes, 100*float64(l.SizeBytes)/float64(len(data)), l.PosterDifference)
			if l.PosterDifference > posterThresholds[i] || math.IsNaN(l.PosterDifference) {
				t.Errorf("%s level %d: poster difference %.4f over %.2f", p.SKU, l.Level, l.PosterDifference, posterThresholds[i])
			}
			if i > 0 && l.Triangles > rep.LODs[i-1].Triangles {
				t.Errorf("%s level %d has more triangles than level %d", p.SKU, i, i-1)
			}
		}
		checkTransparentPNG(t, p.SKU+" poster", out.Poster, posterSize)
		if len(out.Views) != 8 {
			t.Errorf("%s: %d views", p.SKU, len(out.Views))
		}
		for _, v := range out.Views {
			checkTransparentPNG(t, p.SKU+" view", v, viewSize)
		}
		checkShapeSheet(t, p.SKU, out.Shapes, len(ShapePoses(p.Placement)))
		// Placement conventions hold on the normalised model.
		lo, hi := rep.BoundsMin, rep.BoundsMax
		switch p.Placement {
		case wire.PlacementFloor, wire.PlacementTable, wire.PlacementFeet:
			if math.Abs(lo[1]) > 1e-6 || math.Abs(lo[0]+hi[0]) > 1e-6 || math.Abs(lo[2]+hi[2]) > 1e-6 {
				t.Errorf("%s: %s item not standing on y=0 centred: %v %v", p.SKU, p.Placement, lo, hi)
			}
		case wire.PlacementWall:
			if math.Abs(lo[2]) > 1e-6 || math.Abs(lo[0]+hi[0]) > 1e-6 {
				t.Errorf("%s: wall item's back not on z=0: %v %v", p.SKU, lo, hi)
			}
		case wire.PlacementFace:
			if math.Abs(hi[2]) > 1e-6 {
				t.Errorf("%s: face item's front not on z=0: %v %v", p.SKU, lo, hi)
			}
		}
	}
	for name, r := range khronosValidate(t, files) {
		if r.Errors > 0 {
			t.Errorf("%s: %d Khronos validator errors:%s", name, r.Errors, errorsOf(r))
		}
	}
}

func checkTransparentPNG(t *testing.T, what string, data []byte, size int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if img.Bounds() != image.Rect(0, 0, size, size) {
		t.Errorf("%s: %v, want %d px square", what, img.Bounds(), size)
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("%s: corner is not transparent", what)
	}
	covered := 0
	for y := range size {
		for x := range size {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0 {
				covered++
			}
		}
	}
	if covered < size*size/50 {
		t.Errorf("%s: the model covers %d of %d pixels", what, covered, size*size)
	}
}

func TestProcessDetectsUnits(t *testing.T) {
	p := sampleCatalog(t)[0] // chair-oak, 0.45 × 0.9 × 0.52 m
	data, _ := readSample(t, p)
	tests := []struct {
		name     string
		declared wire.Dimensions
		unit     string
	}{
		{"metres", p.DimensionsM, "m"},
		// Declared 100× smaller: the model looks like centimetres.
		{"centimetres", wire.Dimensions{W: p.DimensionsM.W / 100, H: p.DimensionsM.H / 100, D: p.DimensionsM.D / 100}, "cm"},
		{"inches", wire.Dimensions{W: p.DimensionsM.W * 0.0254, H: p.DimensionsM.H * 0.0254, D: p.DimensionsM.D * 0.0254}, "in"},
	}
	for _, tt := range tests {
		out, err := Process(context.Background(), data, ProcessInput{DeclaredM: tt.declared, Placement: p.Placement, Poster: PosterOptions{Size: 64, ViewSize: 32, Views: -1}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Report.Unit != tt.unit || out.Report.DimensionsMismatch {
			t.Errorf("%s: unit %q mismatch %v (%.2f%%), want %q", tt.name, out.Report.Unit, out.Report.DimensionsMismatch, out.Report.MismatchPct, tt.unit)
		}
		if got := out.LODs[0].BoundsMax[1] - out.LODs[0].BoundsMin[1]; math.Abs(got-tt.declared.H)/tt.declared.H > 0.02 {
			t.Errorf("%s: level 0 is %.4f m tall, want %.4f", tt.name, got, tt.declared.H)
		}
	}
}

func TestProcessRefusesOverBudget(t *testing.T) {
	p := sampleCatalog(t)[0]
	data, _ := readSample(t, p)
	_, err := Process(context.Background(), data, ProcessInput{DeclaredM: p.DimensionsM, Budget: Budget{MaxTriangles: 1000, MaxTextureSide: 64}})
	var inv *InvalidModelError
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want *InvalidModelError", err)
	}
	codes := map[string]bool{}
	for _, is := range inv.Report.Issues {
		codes[is.Code] = true
		if is.Explanation == "" {
			t.Errorf("%s has no explanation", is.Code)
		}
	}
	if !codes["BUDGET_TRIANGLES"] || !codes["BUDGET_TEXTURE_SIZE"] {
		t.Errorf("issues %v; want BUDGET_TRIANGLES and BUDGET_TEXTURE_SIZE", codes)
	}
	_, err = Process(context.Background(), []byte("glTF\x02\x00\x00\x00"), ProcessInput{})
	if !errors.As(err, &inv) || len(inv.Report.Issues) == 0 || inv.Report.Issues[0].Pointer == "x" {
		t.Fatalf("truncated GLB: got %v", err)
	}
}

func TestModelProcessorPromotesPendingModel(t *testing.T) {
	ctx := context.Background()
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, store, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp := sampleCatalog(t)[0]
	data, _ := readSample(t, sp)
	if _, err := cat.Create(ctx, catalog.Product{SKU: sp.SKU, Name: "Chair", Category: "chairs", Currency: "EUR", DimensionsM: sp.DimensionsM, Placement: sp.Placement}); err != nil {
		t.Fatal(err)
	}
	pipe, err := NewInline(Config{Store: store, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	glb, model, err := pipe.Measure(data)
	if err != nil {
		t.Fatal(err)
	}
	model.Key = catalog.ProductPrefix(sp.SKU) + "models/upload.glb"
	if err := store.Put(ctx, model.Key, bytes.NewReader(glb), int64(len(glb)), blobPut()); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Update(ctx, sp.SKU, func(p *catalog.Product) error {
		p.Status, p.PendingModel = wire.StatusProcessing, &model
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mp := NewModelProcessor(ModelProcessorConfig{Store: store, Catalog: cat, Poster: PosterOptions{Size: 128, ViewSize: 64}})
	if err := mp.Process(ctx, sp.SKU); err != nil {
		t.Fatal(err)
	}
	prod, err := cat.Get(ctx, sp.SKU)
	if err != nil {
		t.Fatal(err)
	}
	if prod.Status != wire.StatusReady || prod.PendingModel != nil || prod.Model == nil {
		t.Fatalf("product not promoted: %+v", prod)
	}
	levels := prod.Model.Levels()
	if len(levels) != 4 {
		t.Fatalf("%d levels", len(levels))
	}
	for _, l := range levels {
		info, err := store.Stat(ctx, l.Key)
		if err != nil || info.SizeBytes != l.SizeBytes {
			t.Errorf("level %d: stored %v (%v), catalog says %d bytes", l.Level, info.SizeBytes, err, l.SizeBytes)
		}
	}
	if prod.PosterKey == "" || len(prod.ViewKeys) != 8 || prod.Model.SourceKey != model.Key {
		t.Errorf("poster %q, views %v, source %q; want 8 views and the upload %q", prod.PosterKey, prod.ViewKeys, prod.Model.SourceKey, model.Key)
	}
	// The silhouette sheet is stored under the product and referenced,
	// so the orphan sweep keeps it and a replaced model's is deleted.
	if !strings.HasPrefix(prod.ShapeKey, catalog.ProductPrefix(sp.SKU)+"shapes/") || !prod.Keys()[prod.ShapeKey] {
		t.Errorf("shape key %q", prod.ShapeKey)
	} else {
		rc, _, err := store.Get(ctx, prod.ShapeKey)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		checkShapeSheet(t, sp.SKU, data, len(ShapePoses(sp.Placement)))
	}
	if prod.Report == nil || len(prod.Report.Notes) == 0 {
		t.Errorf("report %+v", prod.Report)
	}
	// A second run has nothing pending and changes nothing.
	if err := mp.Process(ctx, sp.SKU); err != nil {
		t.Fatal(err)
	}

	// A model processed before shape sheets existed gets one from its
	// stored level 0, the same as processing renders; once.
	rendered := prod.ShapeKey
	if _, err := cat.Update(ctx, sp.SKU, func(p *catalog.Product) error { p.ShapeKey = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	if done, err := mp.BackfillShapes(ctx, sp.SKU); err != nil || !done {
		t.Fatalf("backfill: %v %v, want a sheet stored", done, err)
	}
	after, err := cat.Get(ctx, sp.SKU)
	if err != nil {
		t.Fatal(err)
	}
	if after.ShapeKey == "" || after.ShapeKey == rendered {
		t.Fatalf("backfilled shape key %q (processing's was %q)", after.ShapeKey, rendered)
	}
	read := func(key string) []byte {
		rc, _, err := store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		data, _ := io.ReadAll(rc)
		return data
	}
	checkShapeSheet(t, sp.SKU+" backfilled", read(after.ShapeKey), len(ShapePoses(sp.Placement)))
	if !bytes.Equal(read(after.ShapeKey), read(rendered)) {
		t.Error("the backfilled sheet differs from the one processing rendered")
	}
	if done, err := mp.BackfillShapes(ctx, sp.SKU); err != nil || done {
		t.Errorf("second backfill: %v %v, want nothing to do", done, err)
	}
}

func blobPut() blob.PutOptions { return blob.PutOptions{ContentType: "model/gltf-binary"} }
