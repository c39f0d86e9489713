package ibl

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Options size a bake.
type Options struct {
	Width, Height int // of level 0; each further level halves both
	Levels        int // roughness levels, at least 2
	// SourceScale is the source map's resolution over level 0's; the
	// source is rendered with SuperSample² rays per texel.
	SourceScale int
	SuperSample int
	// Samples is the number of GGX samples per prefiltered texel.
	Samples int
	// LUTSize and LUTSamples size the BRDF table.
	LUTSize, LUTSamples int
}

// DefaultOptions is what ./gen bakes into lighting.bin.
var DefaultOptions = Options{
	Width: 256, Height: 128, Levels: 6,
	SourceScale: 2, SuperSample: 3,
	Samples:    160,
	LUTSize:    32,
	LUTSamples: 512,
}

// maxSide bounds every dimension a bake or a decoded file may have.
const maxSide = 2048

func (o Options) check() error {
	switch {
	case o.Width < 4 || o.Height < 2 || o.Width > maxSide || o.Height > maxSide:
		return fmt.Errorf("ibl: level size %d×%d out of range", o.Width, o.Height)
	case o.Levels < 2 || o.Levels > 16 || o.Width>>(o.Levels-1) < 2 || o.Height>>(o.Levels-1) < 1:
		return fmt.Errorf("ibl: %d levels of a %d×%d map, want 2..16 down to 2×1", o.Levels, o.Width, o.Height)
	case o.SourceScale < 1 || o.SourceScale > 8 || o.SuperSample < 1 || o.SuperSample > 8:
		return errors.New("ibl: source scale and supersampling must be 1..8")
	case o.Samples < 1 || o.Samples > 1<<14 || o.LUTSamples < 1 || o.LUTSamples > 1<<14:
		return errors.New("ibl: sample counts must be 1..16384")
	case o.LUTSize < 2 || o.LUTSize > 256:
		return fmt.Errorf("ibl: LUT size %d, want 2..256", o.LUTSize)
	}
	return nil
}

// Bake renders the studio and prefilters it. It is deterministic: the
// same options give the same data (up to floating-point contraction on
// platforms that fuse multiply-adds).
func Bake(o Options) (*Lighting, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	src := renderSource(o.Width*o.SourceScale, o.Height*o.SourceScale, o.SuperSample)
	mips := buildMips(src)
	l := &Lighting{Width: o.Width, Height: o.Height, Levels: o.Levels, LUTSize: o.LUTSize}
	l.Atlas = make([]float32, l.Texels()*3)
	for level := range o.Levels {
		prefilterLevel(l, level, mips, o.Samples)
	}
	l.SH = projectSH(src)
	l.LUT = brdfLUT(o.LUTSize, o.LUTSamples)
	return l, nil
}

// envMap is an equirectangular RGB float map.
type envMap struct {
	w, h int
	pix  []float64 // 3 per texel
}

func (m *envMap) at(c, r int) []float64 {
	c %= m.w
	if c < 0 {
		c += m.w
	}
	r = max(0, min(m.h-1, r))
	i := (r*m.w + c) * 3
	return m.pix[i : i+3]
}

// bilinear samples m at texel coordinates (u, v), wrapping horizontally.
func (m *envMap) bilinear(u, v float64) [3]float64 {
	u -= 0.5
	v -= 0.5
	c0, r0 := int(math.Floor(u)), int(math.Floor(v))
	fu, fv := u-float64(c0), v-float64(r0)
	var out [3]float64
	for _, t := range [4]struct {
		dc, dr int
		w      float64
	}{{0, 0, (1 - fu) * (1 - fv)}, {1, 0, fu * (1 - fv)}, {0, 1, (1 - fu) * fv}, {1, 1, fu * fv}} {
		p := m.at(c0+t.dc, r0+t.dr)
		for k := range 3 {
			out[k] += t.w * p[k]
		}
	}
	return out
}

// parallelRows runs f for every row in [0, h) on all CPUs; each row is
// independent, so the result does not depend on scheduling.
func parallelRows(h int, f func(r int)) {
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	rows := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rows {
				f(r)
			}
		}()
	}
	for r := range h {
		rows <- r
	}
	close(rows)
	wg.Wait()
}

// renderSource renders the studio into a w×h map with ss² rays per texel.
func renderSource(w, h, ss int) *envMap {
	m := &envMap{w: w, h: h, pix: make([]float64, w*h*3)}
	parallelRows(h, func(r int) {
		for c := range w {
			var sum [3]float64
			for j := range ss {
				for i := range ss {
					u := float64(c) + (float64(i)+0.5)/float64(ss)
					v := float64(r) + (float64(j)+0.5)/float64(ss)
					rad := StudioRadiance(Direction(u, v, w, h))
					for k := range 3 {
						sum[k] += rad[k]
					}
				}
			}
			p := m.pix[(r*w+c)*3:]
			for k := range 3 {
				p[k] = sum[k] / float64(ss*ss)
			}
		}
	})
	return m
}

// buildMips halves the map until it is 4 texels wide, averaging 2×2.
func buildMips(src *envMap) []*envMap {
	mips := []*envMap{src}
	for m := src; m.w >= 8 && m.h >= 4; {
		n := &envMap{w: m.w / 2, h: m.h / 2, pix: make([]float64, m.w/2*(m.h/2)*3)}
		// Rows are weighted by their solid angle (sin θ), so a texel
		// near a pole does not count as much as one at the horizon.
		rowWeight := func(r int) float64 { return math.Sin(math.Pi * (float64(r) + 0.5) / float64(m.h)) }
		for r := range n.h {
			w0, w1 := rowWeight(2*r), rowWeight(2*r+1)
			for c := range n.w {
				p := n.pix[(r*n.w+c)*3:]
				for k := range 3 {
					top := m.at(2*c, 2*r)[k] + m.at(2*c+1, 2*r)[k]
					bottom := m.at(2*c, 2*r+1)[k] + m.at(2*c+1, 2*r+1)[k]
					p[k] = (w0*top + w1*bottom) / (2 * (w0 + w1))
				}
			}
		}
		mips = append(mips, n)
		m = n
	}
	return mips
}

// sampleMips samples the chain at direction d and fractional mip lod.
func sampleMips(mips []*envMap, d [3]float64, lod float64) [3]float64 {
	lod = math.Max(0, math.Min(float64(len(mips)-1), lod))
	u, v := EquirectUV(d)
	l0 := int(math.Floor(lod))
	l1 := min(l0+1, len(mips)-1)
	f := lod - float64(l0)
	a := mips[l0].bilinear(u*float64(mips[l0].w), v*float64(mips[l0].h))
	if f == 0 || l1 == l0 {
		return a
	}
	b := mips[l1].bilinear(u*float64(mips[l1].w), v*float64(mips[l1].h))
	return [3]float64{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1]), a[2] + f*(b[2]-a[2])}
}

// hammersley returns the i-th of n points of the Hammersley set.
func hammersley(i, n int) (float64, float64) {
	b := uint32(i)
	b = (b << 16) | (b >> 16)
	b = ((b & 0x55555555) << 1) | ((b & 0xAAAAAAAA) >> 1)
	b = ((b & 0x33333333) << 2) | ((b & 0xCCCCCCCC) >> 2)
	b = ((b & 0x0F0F0F0F) << 4) | ((b & 0xF0F0F0F0) >> 4)
	b = ((b & 0x00FF00FF) << 8) | ((b & 0xFF00FF00) >> 8)
	return float64(i) / float64(n), float64(b) * (1.0 / 4294967296.0)
}

// importanceGGX returns a half vector in tangent space (z along the
// normal) for the GGX distribution of alpha = roughness².
func importanceGGX(xi1, xi2, alpha float64) [3]float64 {
	phi := 2 * math.Pi * xi1
	cosTheta := math.Sqrt((1 - xi2) / (1 + (alpha*alpha-1)*xi2))
	sinTheta := math.Sqrt(math.Max(0, 1-cosTheta*cosTheta))
	return [3]float64{sinTheta * math.Cos(phi), sinTheta * math.Sin(phi), cosTheta}
}

// ggxD is the GGX (Trowbridge-Reitz) normal distribution.
func ggxD(nDotH, alpha float64) float64 {
	a2 := alpha * alpha
	f := nDotH*nDotH*(a2-1) + 1
	return a2 / (math.Pi * f * f)
}

// basis returns two unit vectors completing n to an orthonormal frame.
func basis(n [3]float64) (t, b [3]float64) {
	up := [3]float64{0, 0, 1}
	if math.Abs(n[2]) > 0.999 {
		up = [3]float64{1, 0, 0}
	}
	t = normalize(cross(up, n))
	b = cross(n, t)
	return t, b
}

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func normalize(a [3]float64) [3]float64 {
	l := math.Sqrt(dot(a, a))
	return [3]float64{a[0] / l, a[1] / l, a[2] / l}
}

// prefilterLevel fills one level of l. Level 0 is the source averaged
// down to the level's size; the others integrate the GGX lobe with the
// split-sum assumption n = v = r (Karis 2013), sampling lower mips where
// a sample stands for a larger solid angle (filtered importance
// sampling, Křivánek and Colbert 2008), which keeps a few hundred
// samples free of noise.
func prefilterLevel(l *Lighting, level int, mips []*envMap, samples int) {
	w, h := l.LevelSize(level)
	offset := l.levelOffset(level)
	base := mips[0]
	rough := l.Roughness(level)
	alpha := rough * rough
	texelSolidAngle := 4 * math.Pi / float64(base.w*base.h)
	// The mip whose size equals the level's, for level 0.
	scaleMip := 0
	for scaleMip+1 < len(mips) && mips[scaleMip].w > w {
		scaleMip++
	}
	parallelRows(h, func(r int) {
		for c := range w {
			n := Direction(float64(c)+0.5, float64(r)+0.5, w, h)
			var out [3]float64
			if level == 0 {
				m := mips[scaleMip]
				out = m.bilinear((float64(c)+0.5)*float64(m.w)/float64(w), (float64(r)+0.5)*float64(m.h)/float64(h))
			} else {
				t, b := basis(n)
				var weight float64
				for i := range samples {
					xi1, xi2 := hammersley(i, samples)
					hv := importanceGGX(xi1, xi2, alpha)
					hw := [3]float64{
						t[0]*hv[0] + b[0]*hv[1] + n[0]*hv[2],
						t[1]*hv[0] + b[1]*hv[1] + n[1]*hv[2],
						t[2]*hv[0] + b[2]*hv[1] + n[2]*hv[2],
					}
					nh := hv[2]
					ldir := [3]float64{2*nh*hw[0] - n[0], 2*nh*hw[1] - n[1], 2*nh*hw[2] - n[2]}
					nl := dot(n, ldir)
					if nl <= 0 {
						continue
					}
					// With n = v: pdf(l) = D·(n·h) / (4·(v·h)) = D/4.
					pdf := ggxD(nh, alpha) / 4
					sampleSolidAngle := 1 / (float64(samples)*pdf + 1e-9)
					lod := 0.5*math.Log2(sampleSolidAngle/texelSolidAngle) + 1
					s := sampleMips(mips, ldir, lod)
					for k := range 3 {
						out[k] += s[k] * nl
					}
					weight += nl
				}
				for k := range 3 {
					out[k] /= weight
				}
			}
			i := (offset + r*w + c) * 3
			for k := range 3 {
				l.Atlas[i+k] = float32(out[k])
			}
		}
	})
}

// projectSH projects the source onto the nine SH basis functions and
// convolves with the clamped cosine (Ramamoorthi and Hanrahan 2001),
// divided by π.
func projectSH(src *envMap) [9][3]float32 {
	var acc [9][3]float64
	for r := range src.h {
		theta := math.Pi * (float64(r) + 0.5) / float64(src.h)
		dOmega := (2 * math.Pi / float64(src.w)) * (math.Pi / float64(src.h)) * math.Sin(theta)
		for c := range src.w {
			d := Direction(float64(c)+0.5, float64(r)+0.5, src.w, src.h)
			y := shBasis(d)
			p := src.at(c, r)
			for k := range 9 {
				for ch := range 3 {
					acc[k][ch] += p[ch] * y[k] * dOmega
				}
			}
		}
	}
	// Cosine-lobe band factors Â_l = π, 2π/3, π/4, then ÷π.
	band := [9]float64{1, 2.0 / 3, 2.0 / 3, 2.0 / 3, 0.25, 0.25, 0.25, 0.25, 0.25}
	var out [9][3]float32
	for k := range 9 {
		for ch := range 3 {
			out[k][ch] = float32(acc[k][ch] * band[k])
		}
	}
	return out
}

// brdfLUT integrates the split-sum environment BRDF: for each NdotV and
// perceptual roughness, the scale and bias of F0 in
// ∫ f·(n·l) dl = F0·scale + bias, with GGX, Schlick's Fresnel and
// Smith-Schlick visibility (k = α/2, Karis 2013).
func brdfLUT(size, samples int) []byte {
	out := make([]byte, size*size*2)
	for j := range size {
		rough := (float64(j) + 0.5) / float64(size)
		alpha := rough * rough
		for i := range size {
			nv := (float64(i) + 0.5) / float64(size)
			scale, bias := envBRDF(nv, alpha, samples)
			out[(j*size+i)*2] = toByte(scale)
			out[(j*size+i)*2+1] = toByte(bias)
		}
	}
	return out
}

// envBRDF returns the split-sum scale and bias for n·v = nv.
func envBRDF(nv, alpha float64, samples int) (scale, bias float64) {
	v := [3]float64{math.Sqrt(1 - nv*nv), 0, nv}
	k := alpha / 2
	g1 := func(x float64) float64 { return x / (x*(1-k) + k) }
	for i := range samples {
		xi1, xi2 := hammersley(i, samples)
		h := importanceGGX(xi1, xi2, alpha)
		vh := dot(v, h)
		l := [3]float64{2*vh*h[0] - v[0], 2*vh*h[1] - v[1], 2*vh*h[2] - v[2]}
		nl, nh := l[2], h[2]
		if nl <= 0 || vh <= 0 {
			continue
		}
		g := g1(nl) * g1(nv)
		gVis := g * vh / (nh * nv)
		fc := math.Pow(1-vh, 5)
		scale += (1 - fc) * gVis
		bias += fc * gVis
	}
	return scale / float64(samples), bias / float64(samples)
}

func toByte(v float64) byte {
	return byte(math.Round(math.Max(0, math.Min(1, v)) * 255))
}
