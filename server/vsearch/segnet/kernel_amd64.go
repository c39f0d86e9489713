//go:build amd64 && !purego

package segnet

// On amd64 CPUs with AVX2 and FMA (and an OS that saves the YMM state)
// the tile kernel is the assembly kernelAVX2Asm: eight YMM accumulators
// hold the 4×16 tile, and each step is two loads, four broadcasts and
// eight fused multiply-adds. Build with -tags purego to use the Go kernel.

// cpuid executes CPUID with the given leaf and sub-leaf.
func cpuid(leaf, subLeaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv0 returns XCR0, the mask of register state the OS saves.
func xgetbv0() (eax, edx uint32)

// kernelAVX2Asm is kernelGo's computation for kc, ntaps ≥ 1 and operands
// the caller has bounds-checked.
//
//go:noescape
func kernelAVX2Asm(kc, ntaps int, a *float32, aStride, aTapStride int, b *float32, bStride int, bOffs *int, c *[64]float32)

// kernelAVX2 checks that every element the product reads lies inside a
// and b, then runs kernelAVX2Asm.
func kernelAVX2(kc, ntaps int, a []float32, aStride, aTapStride int, b []float32, bStride int, bOffs []int, c *[64]float32) {
	if kc <= 0 || ntaps <= 0 {
		return
	}
	if aStride < 0 || aTapStride < 0 || bStride < 0 {
		panic("segnet: negative kernel stride")
	}
	bOffs = bOffs[:ntaps]
	_ = a[(ntaps-1)*aTapStride+(kc-1)*aStride+3]
	last := (kc-1)*bStride + 15
	for _, o := range bOffs {
		_ = b[o]
		_ = b[o+last]
	}
	kernelAVX2Asm(kc, ntaps, &a[0], aStride, aTapStride, &b[0], bStride, &bOffs[0], c)
}

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
func hasAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	// XCR0 bits 1 and 2: the OS saves SSE and AVX (YMM) state.
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

func init() {
	if hasAVX2FMA() {
		kernel = kernelAVX2
		kernelName = "avx2"
	}
}
