package segnet

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kernelReference is the tile product written from its definition.
func kernelReference(kc, ntaps int, a []float32, aStride, aTapStride int, b []float32, bStride int, bOffs []int, c *[64]float32) {
	for i := 0; i < 4; i++ {
		for j := 0; j < 16; j++ {
			var s float64
			for tap := 0; tap < ntaps; tap++ {
				for t := 0; t < kc; t++ {
					s += float64(a[tap*aTapStride+t*aStride+i]) * float64(b[bOffs[tap]+t*bStride+j])
				}
			}
			c[i*16+j] += float32(s)
		}
	}
}

func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	kernels := []struct {
		name string
		f    kernelFunc
	}{{"go", kernelGo}, {"active (" + kernelName + ")", kernel}}
	shapes := []struct{ kc, ntaps, aStride, aTapStride, bStride int }{
		{1, 1, 4, 0, 16},
		{2, 1, 4, 0, 16},
		{7, 1, 9, 0, 21},
		{64, 1, 4, 0, 16},
		{504, 1, 4, 0, 16},
		{6, 9, 4, 24, 100},
		{40, 9, 4, 160, 4356},
		{3, 2, 5, 40, 17},
	}
	for _, k := range kernels {
		for _, sh := range shapes {
			a := randomInput(rng, 1, 1, (sh.ntaps-1)*sh.aTapStride+(sh.kc-1)*sh.aStride+4)
			bOffs := make([]int, sh.ntaps)
			for tap := range bOffs {
				bOffs[tap] = rng.IntN(50)
			}
			b := randomInput(rng, 1, 1, 50+(sh.kc-1)*sh.bStride+16)
			var got, want [64]float32
			for i := range got {
				got[i] = float32(i)
				want[i] = float32(i)
			}
			k.f(sh.kc, sh.ntaps, a, sh.aStride, sh.aTapStride, b, sh.bStride, bOffs, &got)
			kernelReference(sh.kc, sh.ntaps, a, sh.aStride, sh.aTapStride, b, sh.bStride, bOffs, &want)
			for i := range got {
				tol := 1e-5 * math.Sqrt(float64(sh.kc*sh.ntaps)) * math.Max(1, math.Abs(float64(want[i])))
				if d := math.Abs(float64(got[i] - want[i])); d > tol {
					t.Errorf("%s %+v: c[%d] = %v, want %v", k.name, sh, i, got[i], want[i])
				}
			}
		}
	}
}

func BenchmarkKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const kc = 288
	a := randomInput(rng, 1, 4, kc)
	bb := randomInput(rng, 1, 16, kc)
	offs := []int{0}
	for _, k := range []struct {
		name string
		f    kernelFunc
	}{{"go", kernelGo}, {kernelName, kernel}} {
		b.Run(k.name, func(b *testing.B) {
			var c [64]float32
			for b.Loop() {
				k.f(kc, 1, a, 4, 0, bb, 16, offs, &c)
			}
			b.ReportMetric(float64(kc*64)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
