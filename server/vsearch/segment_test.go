package vsearch

import (
	"context"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

func TestSegmentationInputPlanes(t *testing.T) {
	in, err := SegmentationInput(context.Background(), clutterScene())
	if err != nil {
		t.Fatal(err)
	}
	const plane = segSide * segSide
	if len(in) != segChannels*plane {
		t.Fatalf("%d values, want %d", len(in), segChannels*plane)
	}
	for i, v := range in {
		if v < -3 || v > 3 || v != v {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	// The coordinate planes run from -1 to 1 left to right and top to
	// bottom.
	x, y := SegmentationCoordinatePlanes[0], SegmentationCoordinatePlanes[1]
	if in[x*plane] > -0.9 || in[x*plane+segSide-1] < 0.9 || in[y*plane] > -0.9 || in[y*plane+plane-1] < 0.9 {
		t.Errorf("coordinate planes wrong: %v %v %v %v", in[x*plane], in[x*plane+segSide-1], in[y*plane], in[y*plane+plane-1])
	}
	if _, err := SegmentationInput(context.Background(), image.NewNRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("an empty picture gave an input")
	}
}

// The embedded network must segment photographs it was not trained on:
// procedural objects from another seed than segtrain's, with their true
// masks. An untrained network scores about 0.08 here.
func TestLearnedSegmentationFindsTheObject(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 24 photographs")
	}
	ctx := context.Background()
	var sum float64
	const n = 24
	for i := range n {
		img, mask, _, err := synth.TrainingSample(ctx, rand.New(rand.NewPCG(424242, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		small, err := smallNRGBA(img, workSide)
		if err != nil {
			t.Fatal(err)
		}
		li := toLab(small)
		prob, err := learnedProbability(li, rawForeground(li), flatRegions(li))
		if err != nil {
			t.Fatal(err)
		}
		truth := imaging.Resize(mask, li.w, li.h, imaging.Box)
		inter, union := 0, 0
		for k, p := range prob {
			a, b := p >= 0.5, truth.Pix[4*k] >= 128
			if a && b {
				inter++
			}
			if a || b {
				union++
			}
		}
		sum += float64(inter) / float64(max(union, 1))
	}
	if iou := sum / n; iou < 0.6 {
		t.Errorf("mean IoU %.3f with the true masks, want ≥ 0.6", iou)
	} else {
		t.Logf("mean IoU %.3f", iou)
	}
}

// A pixel-wide line scores its contrast whatever its direction; the edge
// between two flat regions scores nothing.
func TestLineResponseFindsThinLinesNotEdges(t *testing.T) {
	const w, h = 20, 20
	li := &labImage{w: w, h: h, l: make([]float32, w*h), a: make([]float32, w*h), b: make([]float32, w*h)}
	for i := range li.l {
		li.l[i] = 60
	}
	for y := range h {
		li.l[y*w+5] = 20 // a dark vertical line
		for x := 12; x < w; x++ {
			li.l[y*w+x] = 90 // a bright region to the right: an edge at x = 12
		}
	}
	for x := 6; x < 11; x++ {
		li.l[15*w+x] = 80 // a bright horizontal line
	}
	r := lineResponse(li)
	if got := r[8*w+5]; got != 40 {
		t.Errorf("dark line scores %v, want 40", got)
	}
	if got := r[15*w+8]; got != 20 {
		t.Errorf("bright line scores %v, want 20", got)
	}
	for _, x := range []int{11, 12, 13} {
		if got := r[8*w+x]; got != 0 {
			t.Errorf("edge pixel x=%d scores %v, want 0", x, got)
		}
	}
}
