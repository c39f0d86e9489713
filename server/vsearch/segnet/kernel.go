package segnet

// The network's arithmetic is a handful of small matrix products, each
// cut into 4×16 output tiles computed by one kernel:
//
//	c[i*16+j] += Σ_{tap<ntaps} Σ_{t<kc} a[tap*aTapStride + t*aStride + i]
//	                                   · b[bOffs[tap] + t*bStride + j]
//
// for i < 4, j < 16. The taps let a 3×3 convolution read its zero-padded
// input in place: tap τ's rows of b are the input planes shifted by that
// tap's offset. Strides are in elements and must not be negative.
//
// kernel is the portable Go version unless an architecture file installs
// a faster one at init.
var (
	kernel     kernelFunc = kernelGo
	kernelName            = "go"
)

// kernelFunc is the signature shared by the tile kernels.
type kernelFunc func(kc, ntaps int, a []float32, aStride, aTapStride int, b []float32, bStride int, bOffs []int, c *[64]float32)

// kernelGo is the portable tile kernel. It keeps the tile in memory (L1)
// and streams rank-1 updates into it: the Go compiler spills
// register-blocked variants, which measured slower.
func kernelGo(kc, ntaps int, a []float32, aStride, aTapStride int, b []float32, bStride int, bOffs []int, c *[64]float32) {
	c0 := (*[16]float32)(c[0:16])
	c1 := (*[16]float32)(c[16:32])
	c2 := (*[16]float32)(c[32:48])
	c3 := (*[16]float32)(c[48:64])
	for tap := 0; tap < ntaps; tap++ {
		ai, bi := tap*aTapStride, bOffs[tap]
		for t := 0; t < kc; t++ {
			av := (*[4]float32)(a[ai : ai+4])
			bv := (*[16]float32)(b[bi : bi+16])
			ai += aStride
			bi += bStride
			a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
			for j, v := range bv {
				c0[j] += a0 * v
				c1[j] += a1 * v
				c2[j] += a2 * v
				c3[j] += a3 * v
			}
		}
	}
}
