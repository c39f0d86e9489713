package placement

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRefineCornersRendered renders sheets in perspective on a textured
// floor, clicks their corners with up to ±3 px error and checks that
// refinement brings them to sub-pixel precision, and that the reported
// precision is honest.
func TestRefineCornersRendered(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	img := ImageSize{W: 960, H: 720}
	var clickSq, refinedSq, reportedSq float64
	var n int
	for i := 0; i < 12; i++ {
		w, h := 0.297, 0.210
		if i%3 == 2 {
			w, h = 1.0, 0.6
		}
		sc := newScene(rng, w, h, img)
		photo := renderScene(sc, 0.01, rng)
		clicked := sc.ref.CornersPx
		for k := range clicked {
			clicked[k][0] += (rng.Float64()*2 - 1) * 3
			clicked[k][1] += (rng.Float64()*2 - 1) * 3
		}
		got, err := RefineCorners(photo, clicked, RefineOptions{})
		if err != nil {
			t.Fatalf("scene %d: RefineCorners: %v", i, err)
		}
		for k := 0; k < 4; k++ {
			truth := sc.ref.CornersPx[k]
			clickSq += sqDist(clicked[k], truth)
			refinedSq += sqDist(got.CornersPx[k], truth)
			reportedSq += 2 * got.CornerSigmaPx[k] * got.CornerSigmaPx[k]
			n++
		}
		if got.ResidualPx <= 0 || got.ResidualPx > 0.5 {
			t.Errorf("scene %d: residual %.3f px; want a sharp straight edge (0-0.5 px)", i, got.ResidualPx)
		}
	}
	clickRMS := math.Sqrt(clickSq / float64(n))
	refinedRMS := math.Sqrt(refinedSq / float64(n))
	reportedRMS := math.Sqrt(reportedSq / float64(n))
	t.Logf("corner error: clicked RMS %.2f px, refined RMS %.3f px (reported %.3f px)", clickRMS, refinedRMS, reportedRMS)
	if refinedRMS > 0.25 {
		t.Errorf("refined corner RMS error %.3f px; want ≤ 0.25 px", refinedRMS)
	}
}

func sqDist(a, b [2]float64) float64 {
	return (a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1])
}

func TestRefineCornersNoEdges(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	_, err := RefineCorners(flat, [4][2]float64{{50, 50}, {150, 50}, {150, 150}, {50, 150}}, RefineOptions{})
	if !errors.Is(err, ErrNoEdges) {
		t.Fatalf("RefineCorners on a flat image: %v; want ErrNoEdges", err)
	}
	_, err = RefineCorners(flat, [4][2]float64{{50, 50}, {150, 50}, {50, 150}, {150, 150}}, RefineOptions{})
	if !errors.Is(err, ErrNonConvex) {
		t.Fatalf("RefineCorners with crossed corners: %v; want ErrNonConvex", err)
	}
}
