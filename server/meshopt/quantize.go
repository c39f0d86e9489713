package meshopt

import (
	"fmt"
	"math"
)

// PositionGrid maps positions to unsigned integers of Bits bits on a
// uniform grid: q = round((p − Offset) / Step). Decoding is
// p = Offset + q·Step, which a glTF node expresses exactly as a
// translation of Offset and a uniform scale of Step, so the integers can be
// stored as non-normalised UNSIGNED_SHORT positions (KHR_mesh_quantization).
type PositionGrid struct {
	Offset [3]float64
	Step   float64
	Bits   int
}

// NewPositionGrid returns a grid of bits bits (1..16) covering every
// position in sets with one uniform step (so that the decoding node's scale
// is uniform and normals need no correction).
func NewPositionGrid(bits int, sets ...[][3]float32) (PositionGrid, error) {
	if bits < 1 || bits > 16 {
		return PositionGrid{}, fmt.Errorf("%w: %d position bits is outside 1..16", ErrInvalid, bits)
	}
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, set := range sets {
		for _, p := range set {
			for c := range 3 {
				lo[c] = math.Min(lo[c], float64(p[c]))
				hi[c] = math.Max(hi[c], float64(p[c]))
			}
		}
	}
	if math.IsInf(lo[0], 1) {
		return PositionGrid{Step: 1, Bits: bits}, nil
	}
	extent := math.Max(hi[0]-lo[0], math.Max(hi[1]-lo[1], hi[2]-lo[2]))
	if !(extent > 0) || math.IsInf(extent, 0) {
		extent = 1
	}
	return PositionGrid{Offset: lo, Step: extent / float64(uint32(1)<<bits-1), Bits: bits}, nil
}

// Quantize returns p on the grid, clamped to its range.
func (g PositionGrid) Quantize(p [3]float32) [3]uint16 {
	maxQ := float64(uint32(1)<<g.Bits - 1)
	var q [3]uint16
	for c := range 3 {
		v := math.Round((float64(p[c]) - g.Offset[c]) / g.Step)
		q[c] = uint16(math.Max(0, math.Min(maxQ, v)))
	}
	return q
}

// Dequantize returns the position grid value q stands for.
func (g PositionGrid) Dequantize(q [3]uint16) [3]float64 {
	return [3]float64{g.Offset[0] + float64(q[0])*g.Step, g.Offset[1] + float64(q[1])*g.Step, g.Offset[2] + float64(q[2])*g.Step}
}

// QuantizeSnorm8 encodes v in [-1,1] as a normalised signed byte, the way
// glTF decodes it (max(c/127, −1)).
func QuantizeSnorm8(v float32) int8 {
	return int8(math.Max(-127, math.Min(127, math.Round(float64(v)*127))))
}

// QuantizeUnorm8 encodes v in [0,1] as a normalised unsigned byte.
func QuantizeUnorm8(v float32) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(float64(v)*255))))
}

// QuantizeUnorm16 encodes v in [0,1] as a normalised unsigned short.
func QuantizeUnorm16(v float64) uint16 {
	return uint16(math.Max(0, math.Min(65535, math.Round(v*65535))))
}

// QuantizeNormal encodes a unit vector as three normalised signed bytes,
// renormalising first so that decoded lengths stay as close to 1 as 8 bits
// allow. A zero vector encodes as +Z.
func QuantizeNormal(n [3]float32) [3]int8 {
	x, y, z := float64(n[0]), float64(n[1]), float64(n[2])
	l := math.Sqrt(x*x + y*y + z*z)
	if !(l > 0) || math.IsInf(l, 0) {
		return [3]int8{0, 0, 127}
	}
	best := [3]int8{}
	bestErr := math.Inf(1)
	// Try the rounding neighbours of each component and keep the
	// candidate whose decoded length is nearest 1 and direction closest.
	base := [3]float64{x / l * 127, y / l * 127, z / l * 127}
	for mask := range 8 {
		var cand [3]int8
		var dec [3]float64
		for c := range 3 {
			v := math.Floor(base[c])
			if mask&(1<<c) != 0 {
				v++
			}
			v = math.Max(-127, math.Min(127, v))
			cand[c] = int8(v)
			dec[c] = v / 127
		}
		dl := math.Sqrt(dec[0]*dec[0] + dec[1]*dec[1] + dec[2]*dec[2])
		if dl == 0 {
			continue
		}
		cos := (dec[0]*x + dec[1]*y + dec[2]*z) / (dl * l)
		e := math.Abs(dl-1) + (1 - cos)
		if e < bestErr {
			best, bestErr = cand, e
		}
	}
	return best
}
