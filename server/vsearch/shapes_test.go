package vsearch

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"testing"

	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
)

// shapeMask is a test silhouette: an upright rectangle w × h (fractions of
// the tile) with a square notch cut from its top right when notch.
type shapeMask struct {
	w, h  float64
	notch bool
}

func (m shapeMask) covers(u, v float64) bool {
	// u, v in [-0.5, 0.5), centred.
	if math.Abs(u) > m.w/2 || math.Abs(v) > m.h/2 {
		return false
	}
	return !(m.notch && u > 0 && v < 0)
}

// sheet draws masks as a silhouette sheet of side-pixel tiles.
func sheet(side int, masks ...shapeMask) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, side*len(masks), side))
	for k, m := range masks {
		for y := range side {
			for x := range side {
				if m.covers((float64(x)+0.5)/float64(side)-0.5, (float64(y)+0.5)/float64(side)-0.5) {
					img.Pix[y*img.Stride+k*side+x] = 255
				}
			}
		}
	}
	return img
}

// cutout draws a mask as a cut-out product photo (transparent around it)
// of side pixels, in colour c.
func cutout(side int, m shapeMask, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			if m.covers((float64(x)+0.5)/float64(side)-0.5, (float64(y)+0.5)/float64(side)-0.5) {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	return img
}

func TestSilhouetteIgnoresScaleAndPlace(t *testing.T) {
	l := shapeMask{w: 0.4, h: 0.8, notch: true}
	bank, err := NewShapeBankSheet(sheet(64, l))
	if err != nil {
		t.Fatal(err)
	}
	// The same shape, larger and elsewhere in a bigger picture.
	big := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			if l.covers((float64(x)-40)/180-0.5, (float64(y)+0.5)/180-0.5) {
				big.Pix[y*big.Stride+x] = 1
			}
		}
	}
	s, ok := silhouetteOf(func(x, y int) bool { return big.Pix[y*big.Stride+x] == 1 }, 300, 200)
	if !ok {
		t.Fatal("no silhouette")
	}
	if m := bank.Match(&s); m < 0.9 {
		t.Errorf("same shape at another scale and place: match %.3f, want ≥ 0.9", m)
	}
	// Other proportions, and the shape mirrored, match less.
	for _, other := range []shapeMask{{w: 0.8, h: 0.4, notch: true}, {w: 0.4, h: 0.8}} {
		o, _ := silhouetteOf(func(x, y int) bool { return other.covers((float64(x)+0.5)/64-0.5, (float64(y)+0.5)/64-0.5) }, 64, 64)
		if m := bank.Match(&o); m > 0.8 {
			t.Errorf("%+v against %+v: match %.3f, want under 0.8", other, l, m)
		}
	}
	if _, ok := silhouetteOf(func(x, y int) bool { return false }, 10, 10); ok {
		t.Error("an empty mask has no silhouette")
	}
}

func TestShapeBankMatchesItsBestPose(t *testing.T) {
	tall, wide := shapeMask{w: 0.3, h: 0.9}, shapeMask{w: 0.9, h: 0.3}
	gray := sheet(48, tall, shapeMask{}, wide) // the middle tile is blank
	bank, err := NewShapeBankSheet(gray)
	if err != nil {
		t.Fatal(err)
	}
	// Any image type reads the same: the sheet as colour.
	rgba := image.NewNRGBA(gray.Bounds())
	draw.Draw(rgba, rgba.Bounds(), gray, image.Point{}, draw.Src)
	if again, err := NewShapeBankSheet(rgba); err != nil || !slices.Equal(again.poses, bank.poses) {
		t.Fatalf("the sheet as NRGBA: %v, want the same silhouettes", err)
	}
	if bank.Len() != 2 {
		t.Fatalf("%d silhouettes, want the 2 non-blank tiles", bank.Len())
	}
	for _, m := range []shapeMask{tall, wide} {
		s, _ := silhouetteOf(func(x, y int) bool { return m.covers((float64(x)+0.5)/100-0.5, (float64(y)+0.5)/100-0.5) }, 100, 100)
		if got := bank.Match(&s); got < 0.95 {
			t.Errorf("%+v: match %.3f, want its own pose's ≥ 0.95", m, got)
		}
	}
}

func TestNewShapeBankSheetRefusesWhatIsNotASheet(t *testing.T) {
	for name, img := range map[string]image.Image{
		"not whole tiles": image.NewGray(image.Rect(0, 0, 100, 64)),
		"tiles too small": image.NewGray(image.Rect(0, 0, 80, 8)),
		"tiles too large": image.NewGray(image.Rect(0, 0, 1024, 1024)),
		"too many tiles":  image.NewGray(image.Rect(0, 0, 16*(MaxShapePoses+1), 16)),
		"all blank":       image.NewGray(image.Rect(0, 0, 640, 64)),
	} {
		if _, err := NewShapeBankSheet(img); !errors.Is(err, ErrShapeSheet) {
			t.Errorf("%s: err = %v, want ErrShapeSheet", name, err)
		}
	}
}

func TestShapeScore(t *testing.T) {
	tall := shapeMask{w: 0.3, h: 0.9}
	bank, err := NewShapeBankSheet(sheet(64, tall))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := silhouetteOf(func(x, y int) bool { return tall.covers((float64(x)+0.5)/64-0.5, (float64(y)+0.5)/64-0.5) }, 64, 64)
	wide := shapeMask{w: 0.9, h: 0.3}
	other, _ := silhouetteOf(func(x, y int) bool { return wide.covers((float64(x)+0.5)/64-0.5, (float64(y)+0.5)/64-0.5) }, 64, 64)

	if got := ShapeScore(0.7, []Hypothesis{{}}, bank); got != 0.7 {
		t.Errorf("hypotheses without silhouettes: %v, want the score unchanged", got)
	}
	good := ShapeScore(0.7, []Hypothesis{{Shape: &other}, {Shape: &same}}, bank)
	bad := ShapeScore(0.7, []Hypothesis{{Shape: &other}}, bank)
	neutral := ShapeScore(0.7, []Hypothesis{{Shape: &other}}, nil)
	if want := float32(0.7 + maxShapeGain); math.Abs(float64(good-want)) > 1e-6 {
		t.Errorf("a hypothesis matching exactly: %v, want %v, the most the term adds (the best hypothesis counts)", good, want)
	}
	if !(bad < neutral && neutral < good) {
		t.Errorf("bad %v, no bank %v, good %v: want bad < no bank < good", bad, neutral, good)
	}
	if bad < 0.7-ShapeWeight*NeutralShapeMatch {
		t.Errorf("the shape term took %v off, more than ShapeWeight·NeutralShapeMatch", 0.7-bad)
	}
	if neutral != 0.7 {
		t.Errorf("no bank: %v, want the score unchanged", neutral)
	}
}

// TestServiceVerifiesShapes: two products look alike to the descriptor's
// colour and texture, and differ in proportions. The query is ranked by
// their shape banks: the product whose bank holds the query's silhouette
// comes first, whichever it is.
func TestServiceVerifiesShapes(t *testing.T) {
	ctx := context.Background()
	tall, squat := shapeMask{w: 0.3, h: 0.8, notch: true}, shapeMask{w: 0.5, h: 0.6, notch: true}
	brown := color.NRGBA{120, 80, 40, 255}
	s := NewService(NewDescriptor(), Options{})
	// Each product's only image is the same, so only shape tells them apart.
	view := cutout(128, shapeMask{w: 0.4, h: 0.7, notch: true}, brown)
	for _, sku := range []string{"tall", "squat"} {
		if err := s.IndexProduct(ctx, sku, "", 0, []image.Image{view}); err != nil {
			t.Fatal(err)
		}
	}
	banks := map[string]*ShapeBank{}
	for sku, m := range map[string]shapeMask{"tall": tall, "squat": squat} {
		b, err := NewShapeBankSheet(sheet(64, m))
		if err != nil {
			t.Fatal(err)
		}
		banks[sku] = b
	}
	search := func(query shapeMask) []Result {
		t.Helper()
		res, err := s.Search(ctx, cutout(160, query, brown), 2, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 {
			t.Fatalf("%d results", len(res))
		}
		return res
	}
	// Without banks the two tie (SKU order breaks it).
	if res := search(tall); res[0].Score != res[1].Score {
		t.Fatalf("without banks: %+v, want a tie", res)
	}
	s.SetShapes("tall", banks["tall"])
	s.SetShapes("squat", banks["squat"])
	if res := search(tall); res[0].SKU != "tall" || !(res[0].Score > res[1].Score) {
		t.Errorf("a tall query: %+v, want tall first", res)
	}
	if res := search(squat); res[0].SKU != "squat" || !(res[0].Score > res[1].Score) {
		t.Errorf("a squat query: %+v, want squat first", res)
	}
	if s.Shapes("tall") != banks["tall"] {
		t.Error("Shapes does not return the bank set")
	}

	// The banks are saved beside the index and loaded with it.
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, store, "vsearch/x.vsix"); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadService(ctx, NewDescriptor(), store, "vsearch/x.vsix", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for sku, b := range banks {
		got := loaded.Shapes(sku)
		if got == nil || got.Len() != b.Len() || got.poses[0] != b.poses[0] {
			t.Errorf("%s: loaded bank %+v, want %+v", sku, got, b)
		}
	}
	// An index whose banks file is gone is not trusted: it is rebuilt.
	if err := store.Delete(ctx, "vsearch/x.vsix.shapes"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadService(ctx, NewDescriptor(), store, "vsearch/x.vsix", Options{}); !errors.Is(err, ErrCorruptIndex) {
		t.Errorf("index without its banks: err = %v, want ErrCorruptIndex", err)
	}
	// Removing a product takes its bank too.
	s.Remove("tall")
	if s.Shapes("tall") != nil {
		t.Error("a removed product keeps its bank")
	}
}

func TestDecodeShapesRefusesDamage(t *testing.T) {
	b1, _ := NewShapeBankSheet(sheet(32, shapeMask{w: 0.5, h: 0.5}, shapeMask{w: 0.2, h: 0.9}))
	good := encodeShapes(map[string]*ShapeBank{"a": b1, "b": b1})
	back, err := decodeShapes(good)
	if err != nil || len(back) != 2 || back["b"].Len() != 2 {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if empty, err := decodeShapes(encodeShapes(nil)); err != nil || len(empty) != 0 {
		t.Fatalf("no banks: %v %v", empty, err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXX"), good[4:]...),
		"truncated": good[:len(good)-9],
		"bit flip":  flip(good, 20),
	} {
		if _, err := decodeShapes(data); !errors.Is(err, ErrCorruptIndex) {
			t.Errorf("%s: err = %v, want ErrCorruptIndex", name, err)
		}
	}
}

func FuzzDecodeShapes(f *testing.F) {
	b1, _ := NewShapeBankSheet(sheet(32, shapeMask{w: 0.5, h: 0.5}))
	// The fuzzer varies the body; the checksum is made to fit, so that
	// what is tried is the structure checks.
	for _, data := range [][]byte{encodeShapes(map[string]*ShapeBank{"a": b1, "b": b1}), encodeShapes(nil)} {
		f.Add(data[:len(data)-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli))
		banks, err := decodeShapes(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptIndex) {
				t.Fatalf("error %v does not wrap ErrCorruptIndex", err)
			}
			return
		}
		// What decodes survives a round trip, bank for bank.
		again, err := decodeShapes(encodeShapes(banks))
		if err != nil || len(again) != len(banks) {
			t.Fatalf("round trip: %d banks, %v; want %d", len(again), err, len(banks))
		}
		for sku, b := range banks {
			if b.Len() == 0 || b.Len() > MaxShapePoses || again[sku] == nil || again[sku].Len() != b.Len() {
				t.Fatalf("bank %q: %d silhouettes, %v after the round trip", sku, b.Len(), again[sku])
			}
		}
	})
}
