package vsearch

import (
	"context"
	"math"
	"testing"
)

// rectMask is a w×h mask set on [x0,x1)×[y0,y1).
func rectMask(w, h, x0, y0, x1, y1 int) []bool {
	m := make([]bool, w*h)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			m[y*w+x] = true
		}
	}
	return m
}

func TestHypothesisCues(t *testing.T) {
	const w, h = 100, 100
	centre := boxed(rectMask(w, h, 30, 30, 70, 70), w, h)
	corner := boxed(rectMask(w, h, 0, 0, 20, 20), w, h)
	flat := rectMask(w, h, 0, 0, 10, 20) // half the corner square
	near := func(got float32, want float64) bool { return math.Abs(float64(got)-want) < 1e-4 }

	c := hypothesisCues(centre, centre, flat, w, h)
	for i, want := range [NumCues]float64{0, 0, 0, 0, 0, 1, 0} {
		if !near(c[i], want) {
			t.Errorf("centred square: cue %s = %v, want %v", CueNames[i], c[i], want)
		}
	}
	c = hypothesisCues(corner, centre, flat, w, h)
	offCentre := math.Hypot(0.4, 0.4) / math.Sqrt(0.5)
	for i, want := range [NumCues]float64{offCentre, 0.5, 1, 0.5, 0.6, 1, 0.6} {
		if !near(c[i], want) {
			t.Errorf("corner square: cue %s = %v, want %v", CueNames[i], c[i], want)
		}
	}
	if p := HypothesisPenalty(c, DefaultPenaltyWeights); p <= HypothesisPenalty(hypothesisCues(centre, centre, flat, w, h), DefaultPenaltyWeights) {
		t.Errorf("a small flat shape in the corner (penalty %v) is not less plausible than a centred square", p)
	}
}

// TestSearchHypothesesPenalty: a product matched exactly by a heavily
// penalised hypothesis ranks below one matched well by a plausible one,
// and scores its similarity less the penalty.
func TestSearchHypothesesPenalty(t *testing.T) {
	ctx := context.Background()
	d := NewDescriptor()
	s := NewService(d, Options{})
	unit := func(i int) []float32 {
		v := make([]float32, d.Dim())
		v[i] = 1
		return v
	}
	mix := make([]float32, d.Dim())
	mix[1], mix[2] = 0.9, float32(math.Sqrt(1-0.81))
	if err := s.Index().Add("shape", "toys", 1, [][]float32{unit(0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Index().Add("product", "toys", 1, [][]float32{unit(1)}); err != nil {
		t.Fatal(err)
	}
	hs := []Hypothesis{{Vector: unit(0), Penalty: 0.3}, {Vector: mix}}
	res, err := s.SearchHypotheses(ctx, hs, 2, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].SKU != "product" || res[1].SKU != "shape" {
		t.Fatalf("results %+v, want product then shape", res)
	}
	if math.Abs(float64(res[0].Score)-0.9) > 1e-5 || math.Abs(float64(res[1].Score)-0.7) > 1e-5 {
		t.Errorf("scores %v, %v; want 0.9 and 1 − 0.3", res[0].Score, res[1].Score)
	}
	// Without penalties (SearchVectors) the exact match wins.
	res, err = s.SearchVectors(ctx, [][]float32{unit(0), mix}, 2, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].SKU != "shape" {
		t.Errorf("SearchVectors ranks %s first, want shape", res[0].SKU)
	}
	for _, p := range []float32{-0.1, float32(math.NaN()), float32(math.Inf(1))} {
		if _, err := s.SearchHypotheses(ctx, []Hypothesis{{Vector: mix, Penalty: p}}, 2, Filter{}); err == nil {
			t.Errorf("penalty %v accepted", p)
		}
	}
}

// TestEmbedHypothesesMatchesEmbedQuery: the vectors EmbedHypotheses pairs
// with penalties are EmbedQuery's, in order, and the first (isolate's
// mask, agreeing with itself) carries no disagreement.
func TestEmbedHypothesesMatchesEmbedQuery(t *testing.T) {
	ctx := context.Background()
	d := NewDescriptor()
	img := clutterScene()
	qs, err := d.EmbedQuery(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := EmbedHypotheses(ctx, d, img)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != len(qs) {
		t.Fatalf("%d hypotheses, %d query vectors", len(hs), len(qs))
	}
	for i := range hs {
		if Dot(hs[i].Vector, qs[i]) < 0.99999 {
			t.Errorf("hypothesis %d's vector differs from EmbedQuery's", i)
		}
		if hs[i].Penalty < 0 || math.IsNaN(float64(hs[i].Penalty)) {
			t.Errorf("hypothesis %d: penalty %v", i, hs[i].Penalty)
		}
	}
	plain, err := EmbedHypotheses(ctx, ColourHistogram{}, img)
	if err != nil || len(plain) != 1 || plain[0].Penalty != 0 {
		t.Errorf("an embedder without hypotheses: %d hypotheses, err %v", len(plain), err)
	}
}
