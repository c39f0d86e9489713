// Package render is a small pure-Go software rasteriser for product
// pictures: posters and photos of catalog models, rendered on the server
// without a GPU. It draws textured triangle meshes with a z-buffer,
// perspective-correct attributes, a studio lighting rig (key, fill,
// hemisphere ambient and a soft environment reflection) in linear light,
// and supersampled antialiasing, into an sRGB image whose background is
// transparent unless a colour is given.
package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
)

// Limits on what Render accepts.
const (
	// MaxDimension bounds Options.Width and Options.Height.
	MaxDimension = 4096
	// MaxSupersample bounds Options.Supersample.
	MaxSupersample = 4
	// MaxSamples bounds Width×Height×Supersample²; the supersampling factor
	// is lowered for large images so that this holds.
	MaxSamples = 1 << 24
	// MaxTriangles bounds the triangles of a scene.
	MaxTriangles = 1 << 24
	// MaxTexturePixels bounds the pixel count of each texture.
	MaxTexturePixels = 4096 * 4096
	// DefaultSupersample is used when Options.Supersample is 0.
	DefaultSupersample = 2
)

// ErrInvalid is wrapped by every error about unusable input: sizes out of
// bounds, a degenerate camera, indices out of range, oversized textures.
var ErrInvalid = errors.New("render: invalid input")

// Material is the appearance of a mesh in the metallic-roughness model.
type Material struct {
	// BaseColor is a linear RGBA factor; alpha is ignored (surfaces are
	// opaque).
	BaseColor [4]float32
	// BaseColorTexture, when set, is an sRGB texture multiplied by
	// BaseColor and sampled bilinearly with repeat wrapping.
	BaseColorTexture image.Image
	// Metallic and Roughness are in [0,1].
	Metallic, Roughness float32
}

// Mesh is a triangle list in world space (metres, y up). Normals and UVs
// are optional (nil) and otherwise have one entry per position; without
// normals the mesh is shaded flat. Indices list triangles, three per
// triangle; when nil, consecutive position triples are triangles. Both
// sides of every triangle are drawn, the back with its normal flipped.
type Mesh struct {
	Positions, Normals [][3]float32
	UVs                [][2]float32
	Indices            []uint32
	Material           Material
}

// Scene is what Render draws.
type Scene struct {
	Meshes []Mesh
}

// Bounds returns the axis-aligned bounds of every position in s; ok is
// false when s has no positions.
func (s Scene) Bounds() (lo, hi [3]float64, ok bool) {
	lo = [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi = [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, m := range s.Meshes {
		for _, p := range m.Positions {
			for c := 0; c < 3; c++ {
				lo[c] = math.Min(lo[c], float64(p[c]))
				hi[c] = math.Max(hi[c], float64(p[c]))
			}
			ok = true
		}
	}
	return lo, hi, ok
}

// Options controls the output image.
type Options struct {
	// Width and Height are the output size in pixels, 1..MaxDimension.
	Width, Height int
	// Supersample is the per-axis supersampling factor (0 means
	// DefaultSupersample, at most MaxSupersample).
	Supersample int
	// Background fills pixels nothing covers; the zero value leaves them
	// transparent (alpha 0).
	Background color.NRGBA
	// LightDir points from the scene toward the key light, in world
	// space. The zero vector places the key above, to the left of and in
	// front of the camera.
	LightDir [3]float64
}

// Render draws s as seen by cam into a new image. It fails with an error
// wrapping ErrInvalid for unusable input, and with ctx's error when ctx is
// cancelled.
func Render(ctx context.Context, s Scene, cam Camera, opt Options) (*image.NRGBA, error) {
	if opt.Width < 1 || opt.Height < 1 || opt.Width > MaxDimension || opt.Height > MaxDimension {
		return nil, fmt.Errorf("%w: image size %d×%d is outside 1..%d", ErrInvalid, opt.Width, opt.Height, MaxDimension)
	}
	ss := opt.Supersample
	if ss == 0 {
		ss = DefaultSupersample
	}
	if ss < 1 || ss > MaxSupersample {
		return nil, fmt.Errorf("%w: supersample %d is outside 1..%d", ErrInvalid, opt.Supersample, MaxSupersample)
	}
	for ss > 1 && opt.Width*opt.Height*ss*ss > MaxSamples {
		ss--
	}
	v, err := newView(cam, opt.Width*ss, opt.Height*ss)
	if err != nil {
		return nil, err
	}
	r, err := prepare(s, v, opt)
	if err != nil {
		return nil, err
	}
	if err := r.rasterize(ctx); err != nil {
		return nil, err
	}
	return r.resolve(ctx, opt, ss)
}

// preparedMesh is a validated mesh with its texture decoded.
type preparedMesh struct {
	mesh     *Mesh
	indices  []uint32
	texture  *texture
	base     [3]float64
	metallic float64
	rough    float64
}

type renderer struct {
	view   view
	meshes []preparedMesh
	// Per triangle: owning mesh and first index within that mesh.
	triMesh  []int32
	triFirst []uint32
	faceN    [][3]float32
	// Per sample: 1/depth (0 = empty), triangle id (-1 = none) and the
	// perspective-correct barycentric weights of vertices 1 and 2.
	invDepth []float32
	triID    []int32
	bary1    []float32
	bary2    []float32
	light    lighting
}

func prepare(s Scene, v view, opt Options) (*renderer, error) {
	r := &renderer{view: v, light: newLighting(v, opt.LightDir)}
	textures := map[image.Image]*texture{}
	total := 0
	for mi := range s.Meshes {
		m := &s.Meshes[mi]
		n := len(m.Positions)
		if len(m.Normals) != 0 && len(m.Normals) != n {
			return nil, fmt.Errorf("%w: mesh %d has %d normals for %d positions", ErrInvalid, mi, len(m.Normals), n)
		}
		if len(m.UVs) != 0 && len(m.UVs) != n {
			return nil, fmt.Errorf("%w: mesh %d has %d UVs for %d positions", ErrInvalid, mi, len(m.UVs), n)
		}
		indices := m.Indices
		if indices == nil {
			indices = make([]uint32, n-n%3)
			for i := range indices {
				indices[i] = uint32(i)
			}
		}
		if len(indices)%3 != 0 {
			return nil, fmt.Errorf("%w: mesh %d has %d indices, not a multiple of 3", ErrInvalid, mi, len(indices))
		}
		for i, ix := range indices {
			if int(ix) >= n {
				return nil, fmt.Errorf("%w: mesh %d index %d is %d, beyond its %d positions", ErrInvalid, mi, i, ix, n)
			}
		}
		total += len(indices) / 3
		if total > MaxTriangles {
			return nil, fmt.Errorf("%w: scene has more than %d triangles", ErrInvalid, MaxTriangles)
		}
		pm := preparedMesh{
			mesh: m, indices: indices,
			base:     [3]float64{clamp01(float64(m.Material.BaseColor[0])), clamp01(float64(m.Material.BaseColor[1])), clamp01(float64(m.Material.BaseColor[2]))},
			metallic: clamp01(float64(m.Material.Metallic)),
			rough:    math.Max(0.04, clamp01(float64(m.Material.Roughness))),
		}
		if img := m.Material.BaseColorTexture; img != nil && len(m.UVs) == n {
			comparable := reflect.TypeOf(img).Comparable()
			if t, ok := textures[img]; comparable && ok {
				pm.texture = t
			} else {
				t, err := newTexture(img)
				if err != nil {
					return nil, fmt.Errorf("mesh %d: %w", mi, err)
				}
				if comparable {
					textures[img] = t
				}
				pm.texture = t
			}
		}
		r.meshes = append(r.meshes, pm)
	}
	r.triMesh = make([]int32, 0, total)
	r.triFirst = make([]uint32, 0, total)
	r.faceN = make([][3]float32, 0, total)
	for mi, pm := range r.meshes {
		pos := pm.mesh.Positions
		for i := 0; i+2 < len(pm.indices); i += 3 {
			p0, p1, p2 := vec64(pos[pm.indices[i]]), vec64(pos[pm.indices[i+1]]), vec64(pos[pm.indices[i+2]])
			n := normalize3(cross3(sub3(p1, p0), sub3(p2, p0)))
			r.triMesh = append(r.triMesh, int32(mi))
			r.triFirst = append(r.triFirst, uint32(i))
			r.faceN = append(r.faceN, [3]float32{float32(n[0]), float32(n[1]), float32(n[2])})
		}
	}
	samples := v.width * v.height
	r.invDepth = make([]float32, samples)
	r.triID = make([]int32, samples)
	for i := range r.triID {
		r.triID[i] = -1
	}
	r.bary1 = make([]float32, samples)
	r.bary2 = make([]float32, samples)
	return r, nil
}

func vec64(p [3]float32) [3]float64 { return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])} }

func clamp01(x float64) float64 {
	if math.IsNaN(x) || x < 0 {
		return 0
	}
	return math.Min(x, 1)
}

// clipVertex is a camera-space vertex with its barycentric weights in the
// original triangle.
type clipVertex struct {
	c    [3]float64
	b    [3]float64
	x, y float64
}

func (r *renderer) rasterize(ctx context.Context) error {
	v := &r.view
	var poly [4]clipVertex
	for id := range r.triMesh {
		if id%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("render: rasterize: %w", err)
			}
		}
		pm := &r.meshes[r.triMesh[id]]
		first := r.triFirst[id]
		pos := pm.mesh.Positions
		var in [3]clipVertex
		finite := true
		inFront, beyond := 0, 0
		for k := 0; k < 3; k++ {
			p := vec64(pos[pm.indices[first+uint32(k)]])
			c := v.toView(p)
			if math.IsNaN(c[0]+c[1]+c[2]) || math.IsInf(c[0]+c[1]+c[2], 0) {
				finite = false
			}
			in[k] = clipVertex{c: c}
			in[k].b[k] = 1
			if c[2] >= v.near {
				inFront++
			}
			if c[2] > v.far {
				beyond++
			}
		}
		if !finite || inFront == 0 || beyond == 3 {
			continue
		}
		// Clip against the near plane (Sutherland–Hodgman on one plane):
		// a triangle becomes at most a quad.
		n := 0
		for k := 0; k < 3; k++ {
			a, b := in[k], in[(k+1)%3]
			aIn, bIn := a.c[2] >= v.near, b.c[2] >= v.near
			if aIn {
				poly[n] = a
				n++
			}
			if aIn != bIn {
				t := (v.near - a.c[2]) / (b.c[2] - a.c[2])
				var cv clipVertex
				for j := 0; j < 3; j++ {
					cv.c[j] = a.c[j] + (b.c[j]-a.c[j])*t
					cv.b[j] = a.b[j] + (b.b[j]-a.b[j])*t
				}
				cv.c[2] = v.near
				poly[n] = cv
				n++
			}
		}
		for k := 0; k < n; k++ {
			poly[k].x, poly[k].y = v.project(poly[k].c)
		}
		for k := 1; k+1 < n; k++ {
			r.fill(int32(id), &poly[0], &poly[k], &poly[k+1])
		}
	}
	return nil
}

// fill rasterises one screen-space triangle into the sample buffers,
// keeping the nearest surface per sample.
func (r *renderer) fill(id int32, a, b, c *clipVertex) {
	area := (b.x-a.x)*(c.y-a.y) - (b.y-a.y)*(c.x-a.x)
	if area == 0 || math.IsNaN(area) {
		return
	}
	if area < 0 {
		b, c = c, b
		area = -area
	}
	w, h := r.view.width, r.view.height
	minX := int(math.Max(0, math.Floor(math.Min(a.x, math.Min(b.x, c.x)))))
	maxX := int(math.Min(float64(w-1), math.Ceil(math.Max(a.x, math.Max(b.x, c.x)))))
	minY := int(math.Max(0, math.Floor(math.Min(a.y, math.Min(b.y, c.y)))))
	maxY := int(math.Min(float64(h-1), math.Ceil(math.Max(a.y, math.Max(b.y, c.y)))))
	if minX > maxX || minY > maxY {
		return
	}
	// Per-vertex 1/z and barycentrics over z, interpolated linearly in
	// screen space for perspective correctness.
	iz := [3]float64{1 / a.c[2], 1 / b.c[2], 1 / c.c[2]}
	verts := [3]*clipVertex{a, b, c}
	var b1z, b2z [3]float64
	for k, vv := range verts {
		b1z[k] = vv.b[1] * iz[k]
		b2z[k] = vv.b[2] * iz[k]
	}
	invFar := 1 / r.view.far
	inv := 1 / area
	// Edge functions, normalised to barycentric weights: w0 is the weight
	// of a, and each steps by eNA per pixel along a row.
	e0A := (b.y - c.y) * inv
	e1A := (c.y - a.y) * inv
	e2A := (a.y - b.y) * inv
	for y := minY; y <= maxY; y++ {
		py := float64(y) + 0.5
		px := float64(minX) + 0.5
		w0 := ((b.x-px)*(c.y-py) - (b.y-py)*(c.x-px)) * inv
		w1 := ((c.x-px)*(a.y-py) - (c.y-py)*(a.x-px)) * inv
		w2 := ((a.x-px)*(b.y-py) - (a.y-py)*(b.x-px)) * inv
		row := y * w
		for x := minX; x <= maxX; x++ {
			if w0 >= 0 && w1 >= 0 && w2 >= 0 {
				z := w0*iz[0] + w1*iz[1] + w2*iz[2]
				i := row + x
				if z > float64(r.invDepth[i]) && z >= invFar {
					r.invDepth[i] = float32(z)
					r.triID[i] = id
					r.bary1[i] = float32((w0*b1z[0] + w1*b1z[1] + w2*b1z[2]) / z)
					r.bary2[i] = float32((w0*b2z[0] + w1*b2z[1] + w2*b2z[2]) / z)
				}
			}
			w0 += e0A
			w1 += e1A
			w2 += e2A
		}
	}
}

// resolve shades every sample and averages each pixel's samples.
func (r *renderer) resolve(ctx context.Context, opt Options, ss int) (*image.NRGBA, error) {
	out := image.NewNRGBA(image.Rect(0, 0, opt.Width, opt.Height))
	bg := [3]float64{srgbToLinear(opt.Background.R), srgbToLinear(opt.Background.G), srgbToLinear(opt.Background.B)}
	bgA := float64(opt.Background.A) / 255
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), 8, opt.Height)
	errs := make([]error, workers)
	for wi := 0; wi < workers; wi++ {
		wg.Add(1)
		go func(wi int) {
			defer wg.Done()
			for {
				y := int(next.Add(1) - 1)
				if y >= opt.Height {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[wi] = fmt.Errorf("render: shade: %w", err)
					return
				}
				r.resolveRow(out, y, ss, bg, bgA)
			}
		}(wi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *renderer) resolveRow(out *image.NRGBA, y, ss int, bg [3]float64, bgA float64) {
	sw := r.view.width
	per := 1 / float64(ss*ss)
	for x := 0; x < out.Rect.Dx(); x++ {
		var sum [3]float64
		covered := 0
		for sy := 0; sy < ss; sy++ {
			row := (y*ss + sy) * sw
			for sx := 0; sx < ss; sx++ {
				i := row + x*ss + sx
				id := r.triID[i]
				if id < 0 {
					continue
				}
				c := r.shade(id, float64(r.bary1[i]), float64(r.bary2[i]))
				sum[0] += c[0]
				sum[1] += c[1]
				sum[2] += c[2]
				covered++
			}
		}
		alpha := float64(covered) * per
		// sum is premultiplied by coverage; composite over the background.
		var col [3]float64
		for k := 0; k < 3; k++ {
			col[k] = sum[k]*per + bg[k]*bgA*(1-alpha)
		}
		outA := alpha + bgA*(1-alpha)
		o := out.PixOffset(x, y)
		if outA <= 0 {
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = 0, 0, 0, 0
			continue
		}
		for k := 0; k < 3; k++ {
			out.Pix[o+k] = linearToSRGB(col[k] / outA)
		}
		out.Pix[o+3] = uint8(math.Round(outA * 255))
	}
}

// texture is a decoded base-colour texture in 8-bit non-premultiplied
// sRGB.
type texture struct {
	w, h   int
	stride int
	pix    []uint8
}

func newTexture(img image.Image) (*texture, error) {
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 || b.Dx()*b.Dy() > MaxTexturePixels {
		return nil, fmt.Errorf("%w: texture size %d×%d is empty or above %d pixels", ErrInvalid, b.Dx(), b.Dy(), MaxTexturePixels)
	}
	var nrgba *image.NRGBA
	switch t := img.(type) {
	case *image.NRGBA:
		nrgba = t.SubImage(b).(*image.NRGBA)
	default:
		nrgba = image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(nrgba, nrgba.Rect, img, b.Min, draw.Src)
	}
	return &texture{w: b.Dx(), h: b.Dy(), stride: nrgba.Stride, pix: nrgba.Pix[nrgba.PixOffset(nrgba.Rect.Min.X, nrgba.Rect.Min.Y):]}, nil
}

// sample returns the bilinearly filtered linear colour at uv, repeating
// the texture in both directions; v=0 is the top row (glTF convention).
func (t *texture) sample(u, v float64) [3]float64 {
	fx := u*float64(t.w) - 0.5
	fy := v*float64(t.h) - 0.5
	if math.IsNaN(fx+fy) || math.IsInf(fx+fy, 0) {
		return [3]float64{1, 1, 1}
	}
	x0f, y0f := math.Floor(fx), math.Floor(fy)
	tx, ty := fx-x0f, fy-y0f
	x0, y0 := wrap(int64(x0f), t.w), wrap(int64(y0f), t.h)
	x1, y1 := (x0+1)%t.w, (y0+1)%t.h
	var out [3]float64
	o00, o10 := y0*t.stride+x0*4, y0*t.stride+x1*4
	o01, o11 := y1*t.stride+x0*4, y1*t.stride+x1*4
	for k := 0; k < 3; k++ {
		top := srgbLUT[t.pix[o00+k]]*(1-tx) + srgbLUT[t.pix[o10+k]]*tx
		bottom := srgbLUT[t.pix[o01+k]]*(1-tx) + srgbLUT[t.pix[o11+k]]*tx
		out[k] = top*(1-ty) + bottom*ty
	}
	return out
}

func wrap(i int64, n int) int {
	m := i % int64(n)
	if m < 0 {
		m += int64(n)
	}
	return int(m)
}

var srgbLUT = func() (lut [256]float64) {
	for i := range lut {
		lut[i] = srgbToLinear(uint8(i))
	}
	return lut
}()

func srgbToLinear(c uint8) float64 {
	v := float64(c) / 255
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func linearToSRGB(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	var s float64
	if v <= 0.0031308 {
		s = v * 12.92
	} else {
		s = 1.055*math.Pow(v, 1/2.4) - 0.055
	}
	return uint8(math.Round(s * 255))
}
