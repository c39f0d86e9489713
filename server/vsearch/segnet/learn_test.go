package segnet

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// discSample draws a w×h RGB picture: a random-coloured background with
// a few flat rectangles scattered on it, a filled disc of another colour
// somewhere near the middle, and rectangles of their own colours touching
// the disc, drawn before it, so that the disc is whole. The target is the
// disc: telling it from the rectangles that touch it takes its shape,
// not its colour or its connectedness.
func discSample(rng *rand.Rand, w, h int) Sample {
	s := Sample{In: make([]float32, 3*w*h), Target: make([]float32, w*h), W: w, H: h}
	colour := func() [3]float32 {
		return [3]float32{rng.Float32()*2 - 1, rng.Float32()*2 - 1, rng.Float32()*2 - 1}
	}
	paint := func(x0, y0, x1, y1 int, c [3]float32) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			for x := max(x0, 0); x < min(x1, w); x++ {
				for ch := range 3 {
					s.In[(ch*h+y)*w+x] = c[ch]
				}
			}
		}
	}
	paint(0, 0, w, h, colour())
	for range 1 + rng.IntN(3) {
		x, y := rng.IntN(w), rng.IntN(h)
		paint(x, y, x+2+rng.IntN(w/3), y+2+rng.IntN(h/3), colour())
	}
	side := float64(min(w, h))
	r := side * (0.12 + 0.12*rng.Float64())
	cx := float64(w)/2 + (rng.Float64()-0.5)*side*0.4
	cy := float64(h)/2 + (rng.Float64()-0.5)*side*0.4
	for range 1 + rng.IntN(3) {
		// A rectangle reaching from outside the disc to just inside it.
		angle := rng.Float64() * 2 * math.Pi
		ex, ey := cx+r*0.8*math.Cos(angle), cy+r*0.8*math.Sin(angle)
		rw, rh := 2+rng.IntN(int(r)+2), 2+rng.IntN(int(r)+2)
		x0, y0 := int(ex), int(ey)
		if math.Cos(angle) < 0 {
			x0 -= rw
		}
		if math.Sin(angle) < 0 {
			y0 -= rh
		}
		paint(x0, y0, x0+rw, y0+rh, colour())
	}
	disc := colour()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			if dx*dx+dy*dy <= r*r {
				s.Target[y*w+x] = 1
				for ch := range 3 {
					s.In[(ch*h+y)*w+x] = disc[ch]
				}
			}
		}
	}
	return s
}

// meanIoU is the mean over samples of the intersection over union of the
// predicted (logit > 0) and target (> 0.5) foregrounds.
func meanIoU(t testing.TB, n *Net, samples []Sample) float64 {
	t.Helper()
	var sum float64
	for _, s := range samples {
		logits := make([]float32, s.W*s.H)
		if err := n.Forward(s.In, s.W, s.H, logits); err != nil {
			t.Fatal(err)
		}
		inter, union := 0, 0
		for i, l := range logits {
			p, q := l > 0, s.Target[i] > 0.5
			if p && q {
				inter++
			}
			if p || q {
				union++
			}
		}
		if union > 0 {
			sum += float64(inter) / float64(union)
		} else {
			sum++
		}
	}
	return sum / float64(len(samples))
}

// hflip is an Augment that mirrors half the samples left to right.
func hflip(rng *rand.Rand, s Sample) Sample {
	if rng.IntN(2) == 0 {
		return s
	}
	f := Sample{In: make([]float32, len(s.In)), Target: make([]float32, len(s.Target)), W: s.W, H: s.H}
	for row := 0; row < len(s.In)/s.W; row++ {
		for x := 0; x < s.W; x++ {
			f.In[row*s.W+x] = s.In[row*s.W+s.W-1-x]
		}
	}
	for y := 0; y < s.H; y++ {
		for x := 0; x < s.W; x++ {
			f.Target[y*s.W+x] = s.Target[y*s.W+s.W-1-x]
		}
	}
	return f
}

func TestLearnsDiscs(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network for several seconds")
	}
	const side = 32
	rng := rand.New(rand.NewPCG(2024, 1))
	train := make([]Sample, 400)
	for i := range train {
		train[i] = discSample(rng, side, side)
	}
	held := make([]Sample, 100)
	for i := range held {
		held[i] = discSample(rng, side, side)
	}
	n, err := New(Config{In: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := meanIoU(t, n, held)
	start := time.Now()
	err = n.Train(context.Background(), train, TrainOptions{
		Epochs: 12, Batch: 8, LR: 3e-3, Seed: 1, Augment: hflip,
		Progress: func(epoch int, loss float64) {
			t.Logf("epoch %d: loss %.4f, held-out IoU %.3f (%v)", epoch, loss, meanIoU(t, n, held), time.Since(start).Round(time.Millisecond))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	after := meanIoU(t, n, held)
	t.Logf("held-out IoU: untrained %.3f, trained %.3f, training took %v", before, after, time.Since(start).Round(time.Millisecond))
	if before > 0.4 {
		t.Errorf("untrained IoU %.3f: the task is too easy to show learning", before)
	}
	if after < 0.8 {
		t.Errorf("trained IoU %.3f, want > 0.8", after)
	}
}
