package vsearch

import (
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// cutoutDisc is a light disc on a transparent background, as the asset
// pipeline stores a rendered view of a white product.
func cutoutDisc(side int, c color.NRGBA, cx, cy, r float64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			u, v := float64(x)/float64(side)-cx, float64(y)/float64(side)-cy
			if u*u+v*v < r*r {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	return img
}

func TestCutoutMaskIsTheProduct(t *testing.T) {
	// Near-white on a transparent background: flattened onto white it is
	// invisible to the border model, but its alpha says where it is.
	img := cutoutDisc(200, color.NRGBA{250, 250, 248, 255}, 0.5, 0.5, 0.25)
	small, cutout, err := smallCutout(img, workSide)
	if err != nil {
		t.Fatal(err)
	}
	if cutout == nil {
		t.Fatal("a picture with a transparent background is not treated as a cut-out")
	}
	fg := isolate(toLab(small), cutout)
	// The disc spans 0.25…0.75 of 160 working pixels: 40…120.
	for _, d := range []struct{ got, want int }{{fg.x0, 40}, {fg.y0, 40}, {fg.x1, 120}, {fg.y1, 120}} {
		if d.got < d.want-2 || d.got > d.want+2 {
			t.Fatalf("box (%d,%d)-(%d,%d), want (40,40)-(120,120) ±2", fg.x0, fg.y0, fg.x1, fg.y1)
		}
	}
	// An opaque picture, or one with only a sliver of transparency, is a
	// photograph.
	opaque := scene{w: 120, h: 100, shape: "disc", fg: color.NRGBA{200, 40, 40, 255}, cx: 0.5, cy: 0.4, r: 0.2}.draw()
	if _, m, _ := smallCutout(opaque, workSide); m != nil {
		t.Error("an opaque photograph was taken for a cut-out")
	}
	opaque.SetNRGBA(0, 0, color.NRGBA{})
	if _, m, _ := smallCutout(opaque, workSide); m != nil {
		t.Error("one transparent pixel made a photograph a cut-out")
	}
}

func TestOutlinePixelsDoNotColourTheProduct(t *testing.T) {
	w, h := 20, 20
	block := make([]bool, w*h)
	for y := 5; y < 15; y++ {
		for x := 5; x < 15; x++ {
			block[y*w+x] = true
		}
	}
	fg := boxed(block, w, h)
	if fg.colourWeight(5*w+5) != 0 || fg.colourWeight(10*w+10) != 1 {
		t.Errorf("block: outline weight %v, interior %v; want 0 and 1", fg.colourWeight(5*w+5), fg.colourWeight(10*w+10))
	}
	// A mask of thin parts only is all outline: it keeps its colour.
	line := make([]bool, w*h)
	for y := 2; y < 18; y++ {
		line[y*w+10] = true
	}
	if fg := boxed(line, w, h); fg.colourWeight(10*w+10) != 1 {
		t.Errorf("a one-pixel line lost its colour (weight %v)", fg.colourWeight(10*w+10))
	}
}

// clutterScene draws a red disc, shaded and textured as products are
// (a woven pattern), with a large flat green rectangle touching it, on a
// grey border.
func clutterScene() *image.NRGBA {
	const side = 160
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			c := color.NRGBA{150, 150, 150, 255}
			if x >= 20 && x < 70 && y >= 30 && y < 130 {
				c = color.NRGBA{40, 160, 60, 255}
			}
			u, v := float64(x-100), float64(y-80)
			if d := math.Hypot(u, v); d < 30 {
				shade := 1 - 0.3*d/30 // lit in the middle, darker to the rim
				if (x/3+y/3)%2 == 0 {
					shade *= 0.8
				}
				c = color.NRGBA{uint8(220 * shade), uint8(50 * shade), uint8(40 * shade), 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestHypothesesSeparateTheProductFromClutter(t *testing.T) {
	small, _ := smallNRGBA(clutterScene(), workSide)
	li := toLab(small)
	hyps, cues, err := hypotheses(li)
	if err != nil {
		t.Fatal(err)
	}
	if len(cues) != len(hyps) || cues[0][CueDisagree] != 0 {
		t.Fatalf("%d cues for %d hypotheses, first %v", len(cues), len(hyps), cues)
	}
	if len(hyps) < 2 || len(hyps) > maxHypotheses {
		t.Fatalf("%d hypotheses, want 2…%d", len(hyps), maxHypotheses)
	}
	lm, sure, err := learnedMask(li, rawForeground(li), flatRegions(li))
	if err != nil || lm == nil {
		t.Fatalf("learned mask %v, %v", lm != nil, err)
	}
	if !slices.Equal(boxed(lm, li.w, li.h).mask, hyps[0].mask) {
		t.Error("the first hypothesis is not the learned segmentation's mask")
	}
	generous := boxed(generousMask(sure, li.w, li.h), li.w, li.h).mask
	if !slices.ContainsFunc(hyps, func(fg foreground) bool { return slices.Equal(fg.mask, generous) }) {
		t.Error("no hypothesis is the learned segmentation's generous mask")
	}
	// isolate keeps the rectangle (as large and as central as the disc);
	// some hypothesis must be the disc alone: box (70,50)-(130,110).
	found := false
	for _, fg := range hyps {
		if abs(fg.x0-70) <= 2 && abs(fg.x1-130) <= 2 && abs(fg.y0-50) <= 2 && abs(fg.y1-110) <= 2 {
			found = true
		}
	}
	if !found {
		for i, fg := range hyps {
			t.Logf("hypothesis %d: box (%d,%d)-(%d,%d)", i, fg.x0, fg.y0, fg.x1, fg.y1)
		}
		t.Error("no hypothesis isolates the disc")
	}
	for i, a := range hyps {
		for _, b := range hyps[:i] {
			if slices.Equal(a.mask, b.mask) {
				t.Fatal("duplicate hypotheses")
			}
		}
	}
	// Only the first hypothesis may be mostly the flat rectangle.
	flat := flatRegions(li)
	for i, fg := range hyps[1:] {
		if s := flatShare(fg, flat); s >= flatRejectShare {
			t.Errorf("hypothesis %d is %.0f%% flat", i+1, 100*s)
		}
	}
}

func abs(x int) int { return max(x, -x) }

func TestEmbedQuery(t *testing.T) {
	ctx := context.Background()
	d := NewDescriptor()
	photo := clutterScene()
	qs, err := d.EmbedQuery(ctx, photo)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 2 {
		t.Fatalf("%d query vectors, want several hypotheses", len(qs))
	}
	for i, q := range qs {
		if len(q) != d.Dim() || math.Abs(float64(Dot(q, q))-1) > 1e-4 {
			t.Fatalf("hypothesis %d: len %d, norm² %v", i, len(q), Dot(q, q))
		}
	}
	cutout := cutoutDisc(120, color.NRGBA{200, 40, 40, 255}, 0.5, 0.5, 0.3)
	cut, err := d.EmbedQuery(ctx, cutout)
	if err != nil || len(cut) != 1 {
		t.Fatalf("a cut-out gave %d vectors (%v), want 1", len(cut), err)
	}
	if single, err := d.Embed(ctx, cutout); err != nil || !slices.Equal(single, cut[0]) {
		t.Errorf("a cut-out's query vector differs from Embed's (%v)", err)
	}
	if _, err := EmbedQuery(ctx, ColourHistogram{}, photo); err != nil {
		t.Fatalf("EmbedQuery with a plain Embedder: %v", err)
	}
}

// TestEmbedQueryBlocksInOrder checks the concurrent query path against
// a plain one: the same hypotheses, each described in its own place, the
// same cues, and the same again on a second run.
func TestEmbedQueryBlocksInOrder(t *testing.T) {
	ctx := context.Background()
	d := NewDescriptor()
	photos := []image.Image{clutterScene()}
	for _, name := range []string{"lamp-arc-brass/q01.jpg", "table-oak-160/q05.jpg", "glasses-tortoise/q03.jpg"} {
		data, err := os.ReadFile(filepath.Join("testdata/eval/queries", name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := DecodeQueryImage(data, 4<<20, 4096*4096)
		if err != nil {
			t.Fatal(err)
		}
		photos = append(photos, img)
	}
	for k, photo := range photos {
		got, cues, err := d.EmbedQueryBlocks(ctx, photo)
		if err != nil {
			t.Fatal(err)
		}
		li, cutout, err := d.prepare(ctx, photo)
		if err != nil || cutout != nil {
			t.Fatalf("photo %d: prepare: cut-out %v, %v", k, cutout != nil, err)
		}
		fgs, wantCues, err := hypotheses(li)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(fgs) || !slices.Equal(cues, wantCues) {
			t.Fatalf("photo %d: %d hypotheses, cues %v; want %d, %v", k, len(got), cues, len(fgs), wantCues)
		}
		for i, fg := range fgs {
			want, err := d.describe(li, fg)
			if err != nil {
				t.Fatal(err)
			}
			for b := range numBlocks {
				if !slices.Equal(got[i][b], want[b]) {
					t.Errorf("photo %d hypothesis %d block %d differs from its one-at-a-time description", k, i, b)
				}
			}
		}
		again, _, err := d.EmbedQueryBlocks(ctx, photo)
		if err != nil {
			t.Fatal(err)
		}
		for i := range again {
			for b := range numBlocks {
				if !slices.Equal(again[i][b], got[i][b]) {
					t.Errorf("photo %d hypothesis %d block %d: a second run differs", k, i, b)
				}
			}
		}
	}
}

// TestSearchTakesTheBestHypothesis indexes a red disc and a green
// rectangle as cut-outs; the cluttered photo shows both, and its disc
// hypothesis must find the disc.
func TestSearchTakesTheBestHypothesis(t *testing.T) {
	ctx := context.Background()
	s := NewService(NewDescriptor(), Options{})
	disc := cutoutDisc(160, color.NRGBA{200, 45, 40, 255}, 0.5, 0.5, 0.3)
	rect := image.NewNRGBA(image.Rect(0, 0, 160, 160))
	for y := 20; y < 140; y++ {
		for x := 50; x < 110; x++ {
			rect.SetNRGBA(x, y, color.NRGBA{40, 160, 60, 255})
		}
	}
	if err := s.IndexProduct(ctx, "disc", "toys", 1, []image.Image{disc}); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexProduct(ctx, "rect", "toys", 1, []image.Image{rect}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(ctx, clutterScene(), 2, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].SKU != "disc" || res[0].Score < res[1].Score {
		t.Fatalf("results %+v, want the disc first of 2", res)
	}
	// The merged score is the best over hypotheses of each one's score
	// less its penalty.
	hs, err := EmbedHypotheses(ctx, NewDescriptor(), clutterScene())
	if err != nil {
		t.Fatal(err)
	}
	attained := false
	for i, h := range hs {
		one, err := s.SearchHypotheses(ctx, []Hypothesis{h}, 2, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range one {
			if r.SKU != "disc" {
				continue
			}
			if r.Score > res[0].Score+1e-6 {
				t.Errorf("hypothesis %d scores the disc %v, merged search %v", i, r.Score, res[0].Score)
			}
			attained = attained || r.Score > res[0].Score-1e-6
		}
	}
	if !attained {
		t.Errorf("no hypothesis scores the disc the merged search's %v", res[0].Score)
	}
	if _, err := s.SearchVectors(ctx, nil, 2, Filter{}); err == nil {
		t.Error("a search with no query vectors was accepted")
	}
}

// BenchmarkEmbedQuery measures decoding plus EmbedQuery (every hypothesis)
// of the committed query images, what a photo search costs before the
// index: go test -run '^$' -bench EmbedQuery -benchtime 500x ./server/vsearch/
func BenchmarkEmbedQuery(b *testing.B) {
	var images [][]byte
	paths, _ := filepath.Glob("testdata/eval/queries/*/*.jpg")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		images = append(images, data)
	}
	if len(images) == 0 {
		b.Skip("no committed query images")
	}
	ctx := context.Background()
	d := NewDescriptor()
	lat := make([]time.Duration, 0, b.N)
	hyps := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		img, err := DecodeQueryImage(images[i%len(images)], 4<<20, 4096*4096)
		if err != nil {
			b.Fatal(err)
		}
		qs, err := d.EmbedQuery(ctx, img)
		if err != nil {
			b.Fatal(err)
		}
		hyps += len(qs)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(hyps)/float64(b.N), "hypotheses/query")
}

// TestNoProductFound: a picture with no product in it — a blank wall, a
// plain gradient — is described as a whole and says so, so that the
// shopper can be told; a photo of a product, or a cut-out, is not.
func TestNoProductFound(t *testing.T) {
	ctx := context.Background()
	d := NewDescriptor()
	blank := image.NewNRGBA(image.Rect(0, 0, 300, 240))
	ramp := image.NewNRGBA(image.Rect(0, 0, 240, 320))
	for y := range 320 {
		for x := range 300 {
			if x < 240 {
				ramp.SetNRGBA(x, y, color.NRGBA{uint8(120 + y/8), uint8(110 + y/8), 100, 255})
			}
			if y < 240 {
				blank.SetNRGBA(x, y, color.NRGBA{214, 206, 190, 255})
			}
		}
	}
	for name, img := range map[string]image.Image{"blank": blank, "gradient": ramp} {
		hs, err := d.EmbedHypotheses(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		if !NoProductFound(hs) {
			t.Errorf("%s picture: a product was found (%d hypotheses)", name, len(hs))
		}
	}
	for name, img := range map[string]image.Image{
		"clutter": clutterScene(),
		"cut-out": cutoutDisc(120, color.NRGBA{200, 40, 40, 255}, 0.5, 0.5, 0.3),
	} {
		hs, err := d.EmbedHypotheses(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		if NoProductFound(hs) {
			t.Errorf("%s: no product found", name)
		}
		for i, h := range hs {
			if h.Whole {
				t.Errorf("%s: hypothesis %d stands for no product", name, i)
			}
		}
	}
	if NoProductFound(nil) {
		t.Error("no hypotheses at all counted as a picture without a product")
	}
}
