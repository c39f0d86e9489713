package placement

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMeasure times one request: the pose fit, its Necker-reversed
// alternative and the propagation of the noise to a distance.
func BenchmarkMeasure(b *testing.B) {
	req, err := DecodeMeasureRequest([]byte(benchMeasureBody))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Measure(req); err != nil {
			b.Fatal(err)
		}
	}
}

const benchMeasureBody = `{"image":{"w":1920,"h":1440},"reference":{"corners_px":[[800,900],[1100,900],[1150,1100],[750,1100]],"width_m":0.297,"height_m":0.21},"points_px":[[600,1300],[1300,1200]],"corner_sigma_px":0.5}`

// BenchmarkRefineCorners times sub-pixel refinement of an A4 sheet in a
// 960×720 photo.
func BenchmarkRefineCorners(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	sc := newScene(rng, 0.297, 0.210, ImageSize{W: 960, H: 720})
	photo := renderScene(sc, 0.01, rng)
	clicked := sc.ref.CornersPx
	for k := range clicked {
		clicked[k][0] += 2
		clicked[k][1] -= 2
	}
	for b.Loop() {
		if _, err := RefineCorners(photo, clicked, RefineOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
