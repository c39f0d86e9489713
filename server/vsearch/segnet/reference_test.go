package segnet

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refConv is a direct float64 3×3 "same" convolution with ReLU, written
// from the definition to check the packed implementation against.
func refConv(x []float64, cin, w, h int, weights, bias []float32, cout, stride, dil int) []float64 {
	wo, ho := w/stride, h/stride
	y := make([]float64, cout*wo*ho)
	for co := 0; co < cout; co++ {
		for oy := 0; oy < ho; oy++ {
			for ox := 0; ox < wo; ox++ {
				s := float64(bias[co])
				for ci := 0; ci < cin; ci++ {
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							iy := oy*stride + (ky-1)*dil
							ix := ox*stride + (kx-1)*dil
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							s += float64(weights[((co*cin+ci)*3+ky)*3+kx]) * x[(ci*h+iy)*w+ix]
						}
					}
				}
				y[(co*ho+oy)*wo+ox] = math.Max(s, 0)
			}
		}
	}
	return y
}

// refUpsample is nearest-neighbour ×2 upsampling.
func refUpsample(x []float64, c, w, h int) []float64 {
	y := make([]float64, c*4*w*h)
	for ch := 0; ch < c; ch++ {
		for yy := 0; yy < 2*h; yy++ {
			for xx := 0; xx < 2*w; xx++ {
				y[(ch*2*h+yy)*2*w+xx] = x[(ch*h+yy/2)*w+xx/2]
			}
		}
	}
	return y
}

// refForward evaluates the network as the package documentation
// describes it, in float64 and without any packing.
func refForward(n *Net, in []float32, w, h int) []float64 {
	x := make([]float64, len(in))
	for i, v := range in {
		x[i] = float64(v)
	}
	cv := func(i int, x []float64, w, h int) []float64 {
		l := &n.convs[i]
		return refConv(x, l.cin, w, h, l.w, l.b, l.cout, l.stride, l.dil)
	}
	c := n.cfg
	e1 := cv(layerE1, x, w, h)
	e2 := cv(layerE2, e1, w, h)
	e3 := cv(layerE3, e2, w/2, h/2)
	e4 := cv(layerE4, e3, w/2, h/2)
	c1 := cv(layerC1, e4, w/4, h/4)
	c2 := cv(layerC2, c1, w/4, h/4)
	c3 := cv(layerC3, c2, w/4, h/4)
	u1 := cv(layerU1, append(refUpsample(c3, c.E4, w/4, h/4), e3...), w/2, h/2)
	u2 := cv(layerU2, append(refUpsample(u1, c.Up1, w/2, h/2), e1...), w, h)
	out := make([]float64, w*h)
	for p := range out {
		s := float64(n.outB[0])
		for ch := 0; ch < c.Up2; ch++ {
			s += float64(n.outW[ch]) * u2[ch*w*h+p]
		}
		out[p] = s
	}
	return out
}

// randomInput returns c planes of w×h uniform values in [-1, 1).
func randomInput(rng *rand.Rand, c, w, h int) []float32 {
	in := make([]float32, c*w*h)
	for i := range in {
		in[i] = rng.Float32()*2 - 1
	}
	return in
}

// randomizeBiases gives every bias a small random value so that tests
// exercise them (New starts them at zero).
func randomizeBiases(n *Net, rng *rand.Rand) {
	for i := range n.convs {
		for j := range n.convs[i].b {
			n.convs[i].b[j] = rng.Float32()*0.2 - 0.05
		}
	}
	n.outB[0] = 0.1
	n.repack()
}

func TestForwardMatchesReference(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		w, h int
	}{
		{"default 64×64", Config{}, 64, 64},
		{"default 48×32", Config{}, 48, 32},
		{"odd widths 20×8", Config{In: 2, E1: 3, E2: 5, E4: 6, Up1: 7, Up2: 2}, 20, 8},
		{"tiny 4×4", Config{In: 1, E1: 1, E2: 1, E4: 1, Up1: 1, Up2: 1}, 4, 4},
		{"wide segments 68×12", Config{In: 3, E1: 4, E2: 4, E4: 8, Up1: 4, Up2: 4}, 68, 12},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			n, err := New(tc.cfg, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			randomizeBiases(n, rng)
			in := randomInput(rng, n.cfg.In, tc.w, tc.h)
			got := make([]float32, tc.w*tc.h)
			if err := n.Forward(in, tc.w, tc.h, got); err != nil {
				t.Fatal(err)
			}
			want := refForward(n, in, tc.w, tc.h)
			var maxAbs, maxErr float64
			for p := range want {
				maxAbs = math.Max(maxAbs, math.Abs(want[p]))
				maxErr = math.Max(maxErr, math.Abs(float64(got[p])-want[p]))
			}
			if maxAbs == 0 {
				t.Fatalf("reference output is all zero: the case tests nothing")
			}
			if maxErr > 1e-4*math.Max(1, maxAbs) {
				t.Errorf("max |forward - reference| = %g (reference magnitude %g)", maxErr, maxAbs)
			}
		})
	}
}
