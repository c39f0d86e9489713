package vsearch

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// cutCost is the capacity of the cut that puts the cells of side on the
// source's side.
func cutCost(source, sink, right, down []float32, w, h int, side []bool) float64 {
	var cost float64
	for c := range side {
		if side[c] {
			cost += float64(sink[c])
		} else {
			cost += float64(source[c])
		}
		x, y := c%w, c/w
		if x+1 < w && side[c] != side[c+1] {
			cost += float64(right[c])
		}
		if y+1 < h && side[c] != side[c+w] {
			cost += float64(down[c])
		}
	}
	return cost
}

func TestGridFlowFindsTheMinimumCut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, size := range [][2]int{{1, 1}, {3, 1}, {3, 3}, {4, 3}, {2, 5}} {
		w, h := size[0], size[1]
		n := w * h
		for trial := range 40 {
			source, sink := make([]float32, n), make([]float32, n)
			right, down := make([]float32, n), make([]float32, n)
			for c := range n {
				if rng.IntN(2) == 0 {
					source[c] = float32(rng.IntN(20))
				} else {
					sink[c] = float32(rng.IntN(20))
				}
				if c%w+1 < w {
					right[c] = float32(rng.IntN(12))
				}
				if c/w+1 < h {
					down[c] = float32(rng.IntN(12))
				}
			}
			g := newGridFlow(w, h)
			g.reset(source, sink, right, down)
			g.maxFlow()
			got := cutCost(source, sink, right, down, w, h, g.sourceSide())
			best := math.Inf(1)
			side := make([]bool, n)
			for bits := 0; bits < 1<<n; bits++ {
				for c := range side {
					side[c] = bits&(1<<c) != 0
				}
				best = math.Min(best, cutCost(source, sink, right, down, w, h, side))
			}
			if math.Abs(got-best) > 1e-3 {
				t.Fatalf("%dx%d trial %d: cut of cost %v, the minimum is %v", w, h, trial, got, best)
			}
		}
	}
}

// mergedShapeScene is a shaded red disc on grey with a flat green
// rectangle touching it.
func mergedShapeScene() *labImage {
	const side = 160
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			c := color.NRGBA{150, 150, 150, 255}
			if x >= 30 && x < 75 && y >= 40 && y < 120 {
				c = color.NRGBA{40, 160, 60, 255}
			}
			if d := math.Hypot(float64(x-100), float64(y-80)); d < 30 {
				shade := 1 - 0.3*d/30
				c = color.NRGBA{uint8(220 * shade), uint8(60 * shade), uint8(50 * shade), 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return toLab(img)
}

// maskOverlap counts the mask's pixels inside and outside the disc and
// inside the green rectangle next to it.
func maskOverlap(m []bool, w int) (disc, rect, total int) {
	for i, in := range m {
		if !in {
			continue
		}
		x, y := i%w, i/w
		total++
		if math.Hypot(float64(x-100), float64(y-80)) < 30 {
			disc++
		} else if x >= 30 && x < 75 && y >= 40 && y < 120 {
			rect++
		}
	}
	return
}

func TestRefineCut(t *testing.T) {
	const discArea = math.Pi * 30 * 30
	rectArea := 45 * 80
	inDisc := func(x, y int) bool { return math.Hypot(float64(x-100), float64(y-80)) < 30 }
	inRect := func(x, y int) bool { return x >= 30 && x < 75 && y >= 40 && y < 120 }
	for _, tc := range []struct {
		name string
		hyp  func(x, y int) bool
		// flatHint: the rectangle is given as certain background.
		flatHint bool
	}{
		// A hypothesis holding the product in pieces grows to all of it
		// (the gap has the product's colours and none of the
		// background's), and not into the rectangle.
		{"product in pieces", func(x, y int) bool { return inDisc(x, y) && (y < 70 || y >= 90) }, false},
		// A painted shape merged with the product and known to be flat is
		// cut away: its colour goes to the background's model.
		{"merged flat shape", func(x, y int) bool { return inDisc(x, y) || inRect(x, y) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			li := mergedShapeScene()
			hyp := make([]bool, li.w*li.h)
			var known []bool
			if tc.flatHint {
				known = make([]bool, li.w*li.h)
			}
			for i := range hyp {
				x, y := i%li.w, i/li.w
				hyp[i] = tc.hyp(x, y)
				if known != nil && inRect(x, y) && !inDisc(x, y) {
					known[i] = true
				}
			}
			cut := refineCut(li, hyp, known)
			if cut == nil {
				t.Fatal("no refinement")
			}
			disc, rect, total := maskOverlap(cut, li.w)
			if float64(disc) < 0.9*discArea || float64(rect) > 0.1*float64(rectArea) || float64(total-disc-rect) > 0.1*discArea {
				t.Errorf("refined mask: %d disc pixels (of %.0f), %d of the rectangle (of %d), %d elsewhere",
					disc, discArea, rect, rectArea, total-disc-rect)
			}
		})
	}
	// A mask with nothing to model returns nil rather than a guess.
	li := mergedShapeScene()
	if refineCut(li, make([]bool, li.w*li.h), nil) != nil {
		t.Error("an empty hypothesis was refined")
	}
}
