// Package ibl makes the viewer's image-based lighting: a neutral studio
// environment (studio.go), prefiltered for a ladder of roughness levels
// with GGX importance sampling, its diffuse irradiance as nine spherical
// harmonics, and the split-sum BRDF lookup table (scale and bias of F0 by
// NdotV and roughness).
//
// The data is baked at build time (go generate runs ./gen) into
// lighting.bin, embedded here, so the viewer only inflates and decodes
// it at start-up. A test checks that the embedded data matches a fresh
// Bake. The package is pure Go and tested natively.
//
// Layout the shaders rely on (shaders/ibl.glsl):
//
//   - Atlas: a mip chain of equirectangular maps, level i of
//     (Width>>i)×(Height>>i) texels prefiltered for perceptual roughness
//     i/(Levels-1), level 0 mirror-sharp; the viewer uploads level i as
//     mip i of one RGB9_E5 texture and samples it with textureLod at
//     roughness×(Levels−1), so the GPU blends neighbouring levels. Texel
//     row r of a w×h level looks at polar angle θ = π(r+½)/h from +y,
//     column c at azimuth φ = 2π(c+½)/w − π, direction
//     (sin θ sin φ, cos θ, −sin θ cos φ).
//   - LUT: LUTSize×LUTSize pairs (scale, bias) as bytes; column i is
//     NdotV = (i+½)/LUTSize, row j is perceptual roughness (j+½)/LUTSize.
//   - SH: irradiance/π in world space as 9 RGB coefficients of the real
//     spherical harmonics in the order Y00, Y1-1, Y10, Y11, Y2-2, Y2-1,
//     Y20, Y21, Y22 (constants folded in, see IrradianceAt).
package ibl

import "math"

// Lighting is a baked environment.
type Lighting struct {
	Width, Height int // of level 0; level i is Width>>i × Height>>i
	Levels        int
	// Atlas holds the levels one after the other, rows top to bottom,
	// RGB float32 per texel, as Bake makes it; nil after Decode.
	Atlas []float32
	// Packed is the atlas in GL's RGB9_E5 (PackRGB9E5), as Decode reads
	// it and a WebGL2 RGB9_E5 texture takes it; nil after Bake.
	Packed []uint32
	// LUTSize is the side of the BRDF table; LUT holds two bytes
	// (scale, bias, each ×255) per entry, row by row.
	LUTSize int
	LUT     []byte
	// SH is the irradiance (divided by π) as spherical harmonics.
	SH [9][3]float32
}

// Roughness returns the perceptual roughness level i is prefiltered for.
func (l *Lighting) Roughness(level int) float64 {
	if l.Levels <= 1 {
		return 0
	}
	return float64(level) / float64(l.Levels-1)
}

// LevelSize returns the size of a level in texels.
func (l *Lighting) LevelSize(level int) (w, h int) {
	return l.Width >> level, l.Height >> level
}

// levelOffset is the index of a level's first texel.
func (l *Lighting) levelOffset(level int) int {
	n := 0
	for i := range level {
		w, h := l.LevelSize(i)
		n += w * h
	}
	return n
}

// Texels is the number of texels over all levels.
func (l *Lighting) Texels() int { return l.levelOffset(l.Levels) }

// Level returns the packed texels of one level (Packed must be set).
func (l *Lighting) Level(level int) []uint32 {
	w, h := l.LevelSize(level)
	o := l.levelOffset(level)
	return l.Packed[o : o+w*h]
}

// Texel returns the RGB radiance stored at column c, row r of level.
func (l *Lighting) Texel(level, c, r int) [3]float32 {
	w, _ := l.LevelSize(level)
	i := l.levelOffset(level) + r*w + c
	if l.Atlas == nil {
		r, g, b := UnpackRGB9E5(l.Packed[i])
		return [3]float32{r, g, b}
	}
	return [3]float32{l.Atlas[3*i], l.Atlas[3*i+1], l.Atlas[3*i+2]}
}

// IrradianceAt evaluates the SH irradiance (divided by π: the radiance a
// white Lambertian surface facing n reflects) for the unit normal n.
func (l *Lighting) IrradianceAt(n [3]float64) [3]float64 {
	b := shBasis(n)
	var out [3]float64
	for k := range 9 {
		for c := range 3 {
			out[c] += float64(l.SH[k][c]) * b[k]
		}
	}
	return out
}

// Direction returns the unit direction an equirectangular map of w×h
// texels looks at through the point (u, v) in texel units (u = c+½ is a
// texel centre).
func Direction(u, v float64, w, h int) [3]float64 {
	phi := 2*math.Pi*u/float64(w) - math.Pi
	theta := math.Pi * v / float64(h)
	st := math.Sin(theta)
	return [3]float64{st * math.Sin(phi), math.Cos(theta), -st * math.Cos(phi)}
}

// EquirectUV returns where direction d (unit length) lands on an
// equirectangular map, as fractions 0..1 of its width and height: the
// inverse of Direction.
func EquirectUV(d [3]float64) (u, v float64) {
	phi := math.Atan2(d[0], -d[2])
	u = phi/(2*math.Pi) + 0.5
	v = math.Acos(math.Max(-1, math.Min(1, d[1]))) / math.Pi
	return u, v
}

// shBasis evaluates the nine real SH basis functions at unit n.
func shBasis(n [3]float64) [9]float64 {
	x, y, z := n[0], n[1], n[2]
	return [9]float64{
		0.282095,
		0.488603 * y,
		0.488603 * z,
		0.488603 * x,
		1.092548 * x * y,
		1.092548 * y * z,
		0.315392 * (3*z*z - 1),
		1.092548 * x * z,
		0.546274 * (x*x - y*y),
	}
}
