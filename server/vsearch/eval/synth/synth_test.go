package synth

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vitrine-shop/vitrine/assets"
)

func TestShiftHueKnownValues(t *testing.T) {
	cases := []struct {
		r, g, b, hue, sat float64
		want              [3]float64
	}{
		{1, 0, 0, 120, 1, [3]float64{0, 1, 0}},
		{1, 0, 0, 240, 1, [3]float64{0, 0, 1}},
		{0, 0, 1, 120, 1, [3]float64{1, 0, 0}},
		{0.5, 0.5, 0.5, 90, 1, [3]float64{0.5, 0.5, 0.5}}, // grey has no hue
		{1, 0.5, 0.5, 0, 0, [3]float64{1, 1, 1}},          // desaturated
	}
	for _, c := range cases {
		r, g, b := shiftHue(c.r, c.g, c.b, c.hue, c.sat)
		got := [3]float64{r, g, b}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-9 {
				t.Errorf("shiftHue(%v,%v,%v,%v,%v) = %v, want %v", c.r, c.g, c.b, c.hue, c.sat, got, c.want)
				break
			}
		}
	}
}

// TestSceneMatchesCatalogDimensions checks the GLB conversion: every
// sample model's bounds are its catalog dimensions.
func TestSceneMatchesCatalogDimensions(t *testing.T) {
	products, err := loadProducts()
	if err != nil {
		t.Fatal(err)
	}
	list, _ := assets.Products()
	if len(products) != len(list) {
		t.Fatalf("%d products, catalog has %d", len(products), len(list))
	}
	for _, p := range products {
		size := [3]float64{p.hi[0] - p.lo[0], p.hi[1] - p.lo[1], p.hi[2] - p.lo[2]}
		want := [3]float64{p.DimensionsM.W, p.DimensionsM.H, p.DimensionsM.D}
		for i := range size {
			if math.Abs(size[i]-want[i]) > 1e-3 {
				t.Errorf("%s: size %v, catalog %v", p.SKU, size, want)
				break
			}
		}
	}
}

func TestQueryIsDeterministicAndBounded(t *testing.T) {
	products, err := loadProducts()
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Seed: 5, QueriesPerProduct: 12, QueryYawOffsetDeg: 30}
	render := func() []byte {
		img, _, quality, err := query(context.Background(), products[0], 4, opt, rand.New(rand.NewPCG(5, 4)))
		if err != nil {
			t.Fatal(err)
		}
		if quality < 30 || quality > 90 {
			t.Errorf("quality %d", quality)
		}
		b := img.Bounds()
		if b.Dx() < 192 || b.Dx() > 320 || b.Dy() < 192 || b.Dy() > 320 {
			t.Errorf("size %v", b)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if !bytes.Equal(render(), render()) {
		t.Error("the same seed gave two different queries")
	}
}

func TestTrainingSampleMaskIsTheObject(t *testing.T) {
	ctx := context.Background()
	for i := range 6 {
		img, mask, quality, err := TrainingSample(ctx, rand.New(rand.NewPCG(3, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != mask.Bounds() {
			t.Fatalf("photo %v, mask %v", img.Bounds(), mask.Bounds())
		}
		if quality < 25 || quality > 95 {
			t.Errorf("quality %d", quality)
		}
		covered := 0
		for _, v := range mask.Pix {
			if v >= 128 {
				covered++
			}
		}
		// The object fills 40–95% of the shorter side, so it covers a
		// real share of the picture, never all of it.
		if share := float64(covered) / float64(len(mask.Pix)); share < 0.005 || share > 0.9 {
			t.Errorf("sample %d: mask covers %.3f of the picture", i, share)
		}
		again, mask2, _, err := TrainingSample(ctx, rand.New(rand.NewPCG(3, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Pix, img.Pix) || !bytes.Equal(mask.Pix, mask2.Pix) {
			t.Errorf("sample %d is not deterministic", i)
		}
	}
}

func TestRandomObjectsAreVaried(t *testing.T) {
	sizes := map[int]bool{}
	for i := range 40 {
		sc := RandomObject(rand.New(rand.NewPCG(9, uint64(i))))
		lo, hi, ok := sc.Bounds()
		if !ok {
			t.Fatalf("object %d is empty", i)
		}
		for c := range 3 {
			if hi[c]-lo[c] > 4 || hi[c] < lo[c] {
				t.Errorf("object %d: extent %v…%v", i, lo, hi)
			}
		}
		sizes[len(sc.Meshes)] = true
	}
	if len(sizes) < 4 {
		t.Errorf("only %d different part counts in 40 objects", len(sizes))
	}
}

func TestObjectViewsShowOneObject(t *testing.T) {
	ctx := context.Background()
	cutouts, shots, qualities, err := ObjectViews(ctx, rand.New(rand.NewPCG(5, 1)), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(cutouts) != 3 || len(shots) != 2 || len(qualities) != 2 {
		t.Fatalf("%d views, %d photos, %d qualities; want 3, 2, 2", len(cutouts), len(shots), len(qualities))
	}
	for k, c := range cutouts {
		// A catalog view is a cut-out: transparent corners, an opaque
		// object in the middle.
		if c.NRGBAAt(0, 0).A != 0 || c.NRGBAAt(c.Rect.Dx()-1, c.Rect.Dy()-1).A != 0 {
			t.Errorf("view %d: corners are not transparent", k)
		}
		opaque := 0
		for i := 3; i < len(c.Pix); i += 4 {
			if c.Pix[i] == 255 {
				opaque++
			}
		}
		if opaque == 0 {
			t.Errorf("view %d shows nothing", k)
		}
		if k > 0 && bytes.Equal(c.Pix, cutouts[0].Pix) {
			t.Errorf("view %d is the same picture as view 0", k)
		}
	}
	again, _, _, err := ObjectViews(ctx, rand.New(rand.NewPCG(5, 1)), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again[2].Pix, cutouts[2].Pix) {
		t.Error("the same seed gave another object")
	}
}

// TestPhotometricAblations checks that NoExposure and NoCast change only
// the photometry: the same canvas, product mask and JPEG quality, other
// pixel values; and that the full query is the one with both left out
// times one factor per channel.
func TestPhotometricAblations(t *testing.T) {
	products, err := loadProducts()
	if err != nil {
		t.Fatal(err)
	}
	make1 := func(opt Options) (*image.RGBA, *image.Gray, int) {
		opt.Seed, opt.QueriesPerProduct, opt.QueryYawOffsetDeg = 5, 12, 30
		img, mask, quality, err := query(context.Background(), products[2], 3, opt, rand.New(rand.NewPCG(5, 3)))
		if err != nil {
			t.Fatal(err)
		}
		return img.(*image.RGBA), mask, quality
	}
	full, mask, quality := make1(Options{})
	for _, opt := range []Options{{NoExposure: true}, {NoCast: true}, {NoExposure: true, NoCast: true}} {
		img, m, q := make1(opt)
		if img.Bounds() != full.Bounds() || !bytes.Equal(m.Pix, mask.Pix) || q != quality {
			t.Errorf("%+v: size %v, quality %d, mask equal %v; want %v, %d, true", opt, img.Bounds(), q, bytes.Equal(m.Pix, mask.Pix), full.Bounds(), quality)
		}
		if bytes.Equal(img.Pix, full.Pix) {
			t.Errorf("%+v: the same pixels as with exposure and cast", opt)
		}
	}
	// Over pixels clipped in neither, full/plain is exposure × cast: one
	// ratio per channel, within the generator's ranges.
	plain, _, _ := make1(Options{NoExposure: true, NoCast: true})
	var ratio [3]float64
	var n [3]int
	for i := 0; i+3 < len(plain.Pix); i += 4 {
		for c := range 3 {
			p, f := plain.Pix[i+c], full.Pix[i+c]
			if p > 40 && p < 200 && f > 0 && f < 255 {
				ratio[c] += float64(f) / float64(p)
				n[c]++
			}
		}
	}
	for c := range 3 {
		if n[c] == 0 {
			t.Fatalf("channel %d: no unclipped pixels", c)
		}
		mean := ratio[c] / float64(n[c])
		if mean < 0.6 || mean > 1.45 {
			t.Errorf("channel %d: full/plain ratio %.3f, outside exposure × cast's 0.63–1.43", c, mean)
		}
		var spread float64
		for i := 0; i+3 < len(plain.Pix); i += 4 {
			p, f := plain.Pix[i+c], full.Pix[i+c]
			if p > 40 && p < 200 && f > 0 && f < 255 {
				d := float64(f)/float64(p) - mean
				spread += d * d
			}
		}
		if sd := math.Sqrt(spread / float64(n[c])); sd > 0.02 {
			t.Errorf("channel %d: full/plain ratio varies by %.3f; want one factor for the whole picture", c, sd)
		}
	}
}

// TestQueryFieldOfView: a wider query camera changes the product's
// projection (its mask) and nothing else of the query's draws: the same
// canvas size and JPEG quality; the default is the gallery's 30°.
func TestQueryFieldOfView(t *testing.T) {
	products, err := loadProducts()
	if err != nil {
		t.Fatal(err)
	}
	make1 := func(fov float64) (image.Image, *image.Gray, int) {
		opt := Options{Seed: 5, QueriesPerProduct: 12, QueryYawOffsetDeg: 30, QueryFovDeg: fov}
		img, mask, quality, err := query(context.Background(), products[0], 2, opt, rand.New(rand.NewPCG(5, 2)))
		if err != nil {
			t.Fatal(err)
		}
		return img, mask, quality
	}
	img0, mask0, q0 := make1(0)
	img30, mask30, _ := make1(viewFovDeg)
	if !bytes.Equal(mask0.Pix, mask30.Pix) || !bytes.Equal(img0.(*image.RGBA).Pix, img30.(*image.RGBA).Pix) {
		t.Error("QueryFovDeg 0 is not the gallery's field of view")
	}
	img70, mask70, q70 := make1(70)
	if img70.Bounds() != img0.Bounds() || q70 != q0 {
		t.Errorf("fov 70: size %v quality %d, want %v %d", img70.Bounds(), q70, img0.Bounds(), q0)
	}
	if bytes.Equal(mask70.Pix, mask0.Pix) {
		t.Error("a 70° camera draws the same product mask as a 30° one")
	}
}
