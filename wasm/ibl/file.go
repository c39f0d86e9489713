package ibl

import (
	"bytes"
	"compress/flate"
	_ "embed" // lighting.bin
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

//go:generate go run ./gen -o lighting.bin

// embedded is the bake of DefaultOptions, written by ./gen.
//
//go:embed lighting.bin
var embedded []byte

// Embedded decodes the lighting baked into the package.
func Embedded() (*Lighting, error) {
	l, err := Decode(embedded)
	if err != nil {
		return nil, fmt.Errorf("ibl: embedded lighting.bin (run go generate ./wasm/ibl): %w", err)
	}
	return l, nil
}

// ErrFormat is wrapped by every error about a malformed lighting file.
var ErrFormat = errors.New("ibl: malformed lighting file")

// File layout, little-endian: the magic "VIBL", uint16 version, uint16
// width, height, levels, LUT size, 27 float32 SH coefficients (k-major,
// RGB), then one DEFLATE stream holding the atlas as RGB9_E5 (uint32 a
// texel, level 0 first, each level half the size of the one before: the
// texture format WebGL2 filters and the viewer uploads as mips without
// decoding) followed by the LUT bytes.
const (
	fileMagic   = "VIBL"
	fileVersion = 3
	headerBytes = 4 + 2 + 4*2 + 27*4
)

// Encode writes l in the lighting file format.
func Encode(l *Lighting) ([]byte, error) {
	if !l.sizesValid() {
		return nil, fmt.Errorf("ibl: cannot encode a %d×%d lighting of %d levels with a %d LUT", l.Width, l.Height, l.Levels, l.LUTSize)
	}
	packed := l.Packed
	if packed == nil {
		if len(l.Atlas) != l.Texels()*3 {
			return nil, errors.New("ibl: atlas length does not match the sizes")
		}
		packed = make([]uint32, len(l.Atlas)/3)
		for i := range packed {
			packed[i] = PackRGB9E5(l.Atlas[3*i], l.Atlas[3*i+1], l.Atlas[3*i+2])
		}
	}
	if len(packed) != l.Texels() || len(l.LUT) != l.LUTSize*l.LUTSize*2 {
		return nil, errors.New("ibl: atlas or LUT length does not match the sizes")
	}
	var buf bytes.Buffer
	buf.WriteString(fileMagic)
	le := binary.LittleEndian
	for _, v := range []int{fileVersion, l.Width, l.Height, l.Levels, l.LUTSize} {
		buf.Write(le.AppendUint16(nil, uint16(v)))
	}
	for k := range 9 {
		for c := range 3 {
			buf.Write(le.AppendUint32(nil, math.Float32bits(l.SH[k][c])))
		}
	}
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("ibl: deflate: %w", err)
	}
	body := make([]byte, 0, 4*len(packed)+len(l.LUT))
	for _, p := range packed {
		body = le.AppendUint32(body, p)
	}
	body = append(body, l.LUT...)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("ibl: deflate: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("ibl: deflate: %w", err)
	}
	return buf.Bytes(), nil
}

// sizesValid reports whether l's sizes are within bounds, every level
// at least 1×1.
func (l *Lighting) sizesValid() bool {
	return l.Width >= 1 && l.Height >= 1 && l.Width <= maxSide && l.Height <= maxSide &&
		l.Levels >= 1 && l.Levels <= 16 && l.Width>>(l.Levels-1) >= 1 && l.Height>>(l.Levels-1) >= 1 &&
		l.LUTSize >= 1 && l.LUTSize <= 256
}

// Decode reads a lighting file, checking every size before allocating.
// The result holds the atlas packed (Packed), as the GPU takes it.
func Decode(data []byte) (*Lighting, error) {
	if len(data) < headerBytes || string(data[:4]) != fileMagic {
		return nil, fmt.Errorf("%w: no VIBL header", ErrFormat)
	}
	le := binary.LittleEndian
	u16 := func(i int) int { return int(le.Uint16(data[4+2*i:])) }
	if v := u16(0); v != fileVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrFormat, v, fileVersion)
	}
	l := &Lighting{Width: u16(1), Height: u16(2), Levels: u16(3), LUTSize: u16(4)}
	if !l.sizesValid() {
		return nil, fmt.Errorf("%w: %d×%d in %d levels, LUT %d", ErrFormat, l.Width, l.Height, l.Levels, l.LUTSize)
	}
	off := 4 + 2*5
	for k := range 9 {
		for c := range 3 {
			v := math.Float32frombits(le.Uint32(data[off:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: SH coefficient is not finite", ErrFormat)
			}
			l.SH[k][c] = v
			off += 4
		}
	}
	texels := l.Texels()
	body := make([]byte, texels*4+l.LUTSize*l.LUTSize*2)
	zr := flate.NewReader(bytes.NewReader(data[off:]))
	if _, err := io.ReadFull(zr, body); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrFormat, err)
	}
	if n, _ := zr.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("%w: body longer than its sizes", ErrFormat)
	}
	l.Packed = make([]uint32, texels)
	for i := range l.Packed {
		l.Packed[i] = le.Uint32(body[4*i:])
	}
	l.LUT = body[texels*4:]
	return l, nil
}

// RGB9E5 constants (OpenGL ES 3.0 §3.8.3): 9-bit mantissas, a 5-bit
// exponent with bias 15.
const (
	rgb9e5Mantissa = 9
	rgb9e5Bias     = 15
	rgb9e5Max      = 65408 // (2⁹−1)/2⁹ · 2¹⁶
)

// PackRGB9E5 encodes non-negative linear RGB as GL's RGB9_E5, rounding
// to nearest; negative and NaN channels become 0, large ones saturate.
func PackRGB9E5(r, g, b float32) uint32 {
	clampc := func(v float32) float64 {
		if !(v > 0) {
			return 0
		}
		return math.Min(float64(v), rgb9e5Max)
	}
	rc, gc, bc := clampc(r), clampc(g), clampc(b)
	maxc := math.Max(rc, math.Max(gc, bc))
	if maxc == 0 {
		return 0
	}
	exp := int(math.Max(-rgb9e5Bias-1, math.Floor(math.Log2(maxc)))) + 1 + rgb9e5Bias
	scale := math.Ldexp(1, exp-rgb9e5Bias-rgb9e5Mantissa)
	if math.Floor(maxc/scale+0.5) == 1<<rgb9e5Mantissa {
		exp++
		scale *= 2
	}
	q := func(v float64) uint32 { return uint32(math.Min(511, math.Floor(v/scale+0.5))) }
	return q(rc) | q(gc)<<9 | q(bc)<<18 | uint32(exp)<<27
}

// UnpackRGB9E5 decodes PackRGB9E5's value.
func UnpackRGB9E5(p uint32) (r, g, b float32) {
	scale := math.Ldexp(1, int(p>>27)-rgb9e5Bias-rgb9e5Mantissa)
	return float32(float64(p&511) * scale), float32(float64(p>>9&511) * scale), float32(float64(p>>18&511) * scale)
}
