package meshopt

import (
	"fmt"
	"math"
	"strconv"
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
	// The step is rounded up to three significant digits (at most 1%
	// coarser) and each offset down within the slack that leaves, so that
	// the decoding node's numbers are short decimals: a coarse level of a
	// few kilobytes spends its bytes on the model, not on 0.00004272721650974004.
	maxQ := float64(uint32(1)<<bits - 1)
	step := shortDecimal(extent/maxQ, 3, math.Ceil)
	if !(step > 0) || math.IsInf(step, 0) {
		step = extent / maxQ
	}
	g := PositionGrid{Offset: lo, Step: step, Bits: bits}
	for c := range 3 {
		slack := step*maxQ - (hi[c] - lo[c])
		if slack > 0 {
			digits := -math.Floor(math.Log10(slack))
			if o := roundDecimal(lo[c], digits, math.Floor); o <= lo[c] && o+step*maxQ >= hi[c] {
				g.Offset[c] = o
			}
		}
	}
	return g, nil
}

// shortDecimal rounds v > 0 to sig significant digits with round
// (math.Ceil or math.Floor).
func shortDecimal(v float64, sig int, round func(float64) float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return v
	}
	return roundDecimal(v, float64(sig-1)-math.Floor(math.Log10(v)), round)
}

// roundDecimal rounds v to digits decimal places with round, returning
// the float64 nearest that short decimal.
func roundDecimal(v, digits float64, round func(float64) float64) float64 {
	if digits < -300 || digits > 300 {
		return v
	}
	scale := math.Pow(10, digits)
	r := round(v * scale)
	// Going through the decimal text gives the double nearest the short
	// decimal, which encodes back to the same short text.
	d := int(digits)
	if d < 0 {
		d = 0
	}
	out, err := strconv.ParseFloat(strconv.FormatFloat(r/scale, 'f', d, 64), 64)
	if err != nil {
		return v
	}
	return out
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
