package segnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// readoutLoss evaluates the network and returns Σ r[p]·logit[p],
// accumulated in float64 (a loss whose gradient with respect to the
// logits is r, isolating the backward pass from the training loss),
// together with the network's ReLU pattern: which activations are
// positive.
func readoutLoss(n *Net, ws *workspace, in, r []float32) (float64, []bool) {
	n.forward(ws, in, ws.logits)
	var s float64
	for p, v := range ws.logits {
		s += float64(r[p]) * float64(v)
	}
	var pattern []bool
	for _, a := range []tensor{ws.cat2, ws.e2, ws.cat1, ws.e4, ws.c1, ws.c2, ws.c3, ws.u1, ws.u2} {
		for _, v := range a.planes() {
			pattern = append(pattern, v > 0)
		}
	}
	return s, pattern
}

// equalPatterns reports whether two ReLU patterns agree.
func equalPatterns(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// numericalGradient returns a finite difference of the readout loss in
// parameter i. The network is piecewise linear in any one parameter,
// exactly linear while no ReLU changes sides, so a probe whose ReLU
// pattern equals the unperturbed one gives the derivative exactly up to
// rounding: the central difference when both probes keep the pattern,
// else a one-sided one. Steps are tried from the largest down, since
// larger steps keep float32 rounding small. ok is false when every probe
// crosses a kink.
func numericalGradient(n *Net, ws *workspace, in, r []float32, i int) (grad float64, ok bool) {
	f0, base := readoutLoss(n, ws, in, r)
	orig := n.params[i]
	defer func() {
		n.params[i] = orig
		n.repack()
	}()
	for _, eps := range []float32{1e-2, 3e-3, 1e-3, 3e-4, 1e-4} {
		// The realised steps are float32 differences, not eps.
		n.params[i] = orig + eps
		n.repack()
		up, pu := readoutLoss(n, ws, in, r)
		stepUp := float64(orig+eps) - float64(orig)
		n.params[i] = orig - eps
		n.repack()
		down, pd := readoutLoss(n, ws, in, r)
		stepDown := float64(orig) - float64(orig-eps)
		okUp, okDown := equalPatterns(base, pu), equalPatterns(base, pd)
		switch {
		case okUp && okDown:
			return (up - down) / (stepUp + stepDown), true
		case okUp:
			return (up - f0) / stepUp, true
		case okDown:
			return (f0 - down) / stepDown, true
		}
	}
	return 0, false
}

// checkGradient compares the backward pass's gradient of the readout
// loss with numerical gradients for the parameters idx and returns the
// relative error ‖numerical − analytic‖ / ‖numerical‖ (each term
// normalised by the larger magnitude), how many parameters it compared
// and how many of them had a non-zero gradient.
func checkGradient(t *testing.T, n *Net, w, h int, in, r []float32, idx []int) (rel float64, compared, nonzero int) {
	t.Helper()
	ws := newWorkspace(n, w, h, true)
	n.forward(ws, in, ws.logits)
	copy(ws.dOut, r)
	grad := make([]float32, len(n.params))
	n.backward(ws, grad)
	var diff2, norm2 float64
	for _, i := range idx {
		num, ok := numericalGradient(n, ws, in, r, i)
		if !ok {
			continue
		}
		compared++
		ana := float64(grad[i])
		if ana != 0 {
			nonzero++
		}
		diff2 += (num - ana) * (num - ana)
		norm2 += math.Max(num*num, ana*ana)
	}
	if norm2 == 0 {
		return 0, compared, nonzero
	}
	return math.Sqrt(diff2 / norm2), compared, nonzero
}

// paramRange names a contiguous range of n.params.
type paramRange struct {
	name      string
	off, size int
}

// paramRanges lists the weights and biases of every layer.
func paramRanges(n *Net) []paramRange {
	var out []paramRange
	for i := range n.convs {
		l := &n.convs[i]
		out = append(out, paramRange{l.name + ".w", l.wOff, len(l.w)}, paramRange{l.name + ".b", l.bOff, len(l.b)})
	}
	return append(out, paramRange{"out.w", n.outWOff, len(n.outW)}, paramRange{"out.b", n.outBOff, 1})
}

func TestGradientNumerical(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		w, h int
	}{
		// Odd widths exercise the padding of every packed operand; at
		// 16×12 the dilated taps reach both inside and outside the 4×3
		// context grid.
		{"16×12", Config{In: 2, E1: 3, E2: 4, E4: 5, Up1: 3, Up2: 2}, 16, 12},
		{"8×8", Config{In: 2, E1: 2, E2: 3, E4: 4, Up1: 2, Up2: 3}, 8, 8},
		// Rows longer than one 16-pixel segment, with a partial segment.
		{"40×4", Config{In: 3, E1: 4, E2: 2, E4: 3, Up1: 4, Up2: 2}, 40, 4},
	}
	for ci, tc := range cases {
		n, err := New(tc.cfg, uint64(7+ci))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, uint64(ci)))
		randomizeBiases(n, rng)
		in := randomInput(rng, n.cfg.In, tc.w, tc.h)
		r := randomInput(rng, 1, tc.w, tc.h)
		for _, pr := range paramRanges(n) {
			t.Run(tc.name+"/"+pr.name, func(t *testing.T) {
				idx := make([]int, pr.size)
				for k := range idx {
					idx[k] = pr.off + k
				}
				rel, compared, nonzero := checkGradient(t, n, tc.w, tc.h, in, r, idx)
				if compared < len(idx)/2 {
					t.Fatalf("only %d of %d parameters compared (the rest sit on ReLU kinks)", compared, len(idx))
				}
				if nonzero == 0 {
					t.Fatalf("all %d compared analytic gradients are zero: the check tests nothing", compared)
				}
				if rel > 1e-2 {
					t.Errorf("relative error %.3g over %d parameters", rel, compared)
				}
				t.Logf("relative error %.2g over %d parameters (%d non-zero)", rel, compared, nonzero)
			})
		}
	}
}

func TestLossGradient(t *testing.T) {
	const p = 40
	rng := rand.New(rand.NewPCG(8, 9))
	for _, tc := range []struct {
		name     string
		weighted bool
		dice     float32
	}{
		{"bce", false, 0},
		{"weighted bce", true, 0},
		{"bce+dice", false, 0.5},
		{"weighted bce+dice", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Sample{Target: make([]float32, p), W: p, H: 1}
			logits := make([]float32, p)
			for i := range logits {
				logits[i] = rng.Float32()*8 - 4
				s.Target[i] = float32(rng.IntN(3)) / 2
			}
			if tc.weighted {
				s.Weight = make([]float32, p)
				for i := range s.Weight {
					s.Weight[i] = rng.Float32() * 2
				}
			}
			g := make([]float32, p)
			lossGradient(logits, s, tc.dice, g)
			scratch := make([]float32, p)
			for i := range logits {
				const eps = 1e-2
				orig := logits[i]
				logits[i] = orig + eps
				up := lossGradient(logits, s, tc.dice, scratch)
				logits[i] = orig - eps
				down := lossGradient(logits, s, tc.dice, scratch)
				logits[i] = orig
				num := (up - down) / (2 * eps)
				if d := math.Abs(num - float64(g[i])); d > 1e-2*math.Abs(num)+1e-5 {
					t.Errorf("logit %d: analytic %g, numerical %g", i, g[i], num)
				}
			}
		})
	}
}

func TestLossExtremeLogits(t *testing.T) {
	s := Sample{Target: []float32{0, 1, 0, 1}, W: 4, H: 1}
	g := make([]float32, 4)
	loss := lossGradient([]float32{-200, 200, 200, -200}, s, 1, g)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.Fatalf("loss %v on extreme logits", loss)
	}
	if want := 0.25 * (200 + 200); math.Abs(loss-want) > 1.01 {
		t.Errorf("loss %v, want about %v", loss, want)
	}
	for i, v := range g {
		if !finite(v) {
			t.Errorf("gradient %d is %v", i, v)
		}
	}
	for _, x := range []float32{-1000, -80, 0, 80, 1000} {
		if s := Sigmoid(x); !(s >= 0 && s <= 1) {
			t.Errorf("Sigmoid(%v) = %v", x, s)
		}
	}
	if got := fmt.Sprint(Sigmoid(0)); got != "0.5" {
		t.Errorf("Sigmoid(0) = %s", got)
	}
}
