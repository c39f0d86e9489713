package placeflow

import (
	"image"
	"image/color"
	"math"

	"github.com/vitrine-shop/vitrine/wasm/glb"
)

// Limits of FrontView's output.
const (
	maxFrontViewPx = 1024
	minFrontViewPx = 16
)

// FrontView draws model seen from its front (+z towards the viewer, y up,
// orthographic) into a transparent image widthPx wide: every triangle
// rasterised with a depth buffer, coloured by its material's base colour
// and lit from the front and above, so the glasses' front can be drawn
// over a face at its true scale. textures, indexed like m.Images (nil
// entries allowed), supply base-colour maps. The image spans the model's
// x and y bounds exactly.
func FrontView(m *glb.Model, textures []*image.RGBA, widthPx int) *image.NRGBA {
	widthPx = min(max(widthPx, minFrontViewPx), maxFrontViewPx)
	lo, hi := m.BoundsMin, m.BoundsMax
	w := float64(hi[0] - lo[0])
	h := float64(hi[1] - lo[1])
	if !(w > 0) || !(h > 0) {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	}
	scale := float64(widthPx) / w
	heightPx := max(int(math.Ceil(h*scale)), 1)
	img := image.NewNRGBA(image.Rect(0, 0, widthPx, heightPx))
	depth := make([]float64, widthPx*heightPx)
	for i := range depth {
		depth[i] = math.Inf(-1)
	}
	light := [3]float64{-0.3, 0.5, 0.81}
	for _, mesh := range m.Meshes {
		base := [4]float32{0.6, 0.6, 0.6, 1}
		var tex *image.RGBA
		if mesh.Material >= 0 && mesh.Material < len(m.Materials) {
			mat := m.Materials[mesh.Material]
			base = mat.BaseColor
			if i := mat.BaseColorImage; i >= 0 && i < len(textures) && mesh.UVs != nil {
				tex = textures[i]
			}
		}
		pos := mesh.Positions
		vert := func(i uint32) (x, y, z float64) {
			return (float64(pos[3*i]) - float64(lo[0])) * scale,
				(float64(hi[1]) - float64(pos[3*i+1])) * scale,
				float64(pos[3*i+2])
		}
		for t := 0; t+2 < len(mesh.Indices); t += 3 {
			i0, i1, i2 := mesh.Indices[t], mesh.Indices[t+1], mesh.Indices[t+2]
			x0, y0, z0 := vert(i0)
			x1, y1, z1 := vert(i1)
			x2, y2, z2 := vert(i2)
			// Face normal in model space (y up) for shading.
			ax, ay, az := x1-x0, -(y1 - y0), z1-z0
			bx, by, bz := x2-x0, -(y2 - y0), z2-z0
			nx, ny, nz := ay*bz-az*by, az*bx-ax*bz, ax*by-ay*bx
			nl := math.Sqrt(nx*nx + ny*ny + nz*nz)
			if nl == 0 {
				continue
			}
			lambert := math.Abs(nx*light[0]+ny*light[1]+nz*light[2]) / nl
			shade := 0.45 + 0.55*lambert
			colour := func(w0, w1, w2 float64) color.NRGBA {
				r, g, b, a := float64(base[0]), float64(base[1]), float64(base[2]), float64(base[3])
				if tex != nil {
					uv := mesh.UVs
					u := w0*float64(uv[2*i0]) + w1*float64(uv[2*i1]) + w2*float64(uv[2*i2])
					v := w0*float64(uv[2*i0+1]) + w1*float64(uv[2*i1+1]) + w2*float64(uv[2*i2+1])
					tr, tg, tb, ta := sampleTexture(tex, u, v)
					r, g, b, a = r*tr, g*tg, b*tb, a*ta
				}
				return color.NRGBA{
					R: toSRGB(r * shade), G: toSRGB(g * shade), B: toSRGB(b * shade),
					A: uint8(math.Round(255 * math.Min(math.Max(a, 0.35), 1))),
				}
			}
			fillTriangle(img, depth, [3][3]float64{{x0, y0, z0}, {x1, y1, z1}, {x2, y2, z2}}, colour)
		}
	}
	return img
}

// fillTriangle rasterises a triangle at pixel centres, keeping the
// nearest (largest z) surface.
func fillTriangle(img *image.NRGBA, depth []float64, v [3][3]float64, colour func(w0, w1, w2 float64) color.NRGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	minX := max(int(math.Floor(math.Min(v[0][0], math.Min(v[1][0], v[2][0])))), 0)
	maxX := min(int(math.Ceil(math.Max(v[0][0], math.Max(v[1][0], v[2][0])))), w-1)
	minY := max(int(math.Floor(math.Min(v[0][1], math.Min(v[1][1], v[2][1])))), 0)
	maxY := min(int(math.Ceil(math.Max(v[0][1], math.Max(v[1][1], v[2][1])))), h-1)
	area := (v[1][0]-v[0][0])*(v[2][1]-v[0][1]) - (v[1][1]-v[0][1])*(v[2][0]-v[0][0])
	if math.Abs(area) < 1e-12 {
		return
	}
	for y := minY; y <= maxY; y++ {
		py := float64(y) + 0.5
		for x := minX; x <= maxX; x++ {
			px := float64(x) + 0.5
			w0 := ((v[1][0]-px)*(v[2][1]-py) - (v[1][1]-py)*(v[2][0]-px)) / area
			w1 := ((v[2][0]-px)*(v[0][1]-py) - (v[2][1]-py)*(v[0][0]-px)) / area
			w2 := 1 - w0 - w1
			if w0 < 0 || w1 < 0 || w2 < 0 {
				continue
			}
			z := w0*v[0][2] + w1*v[1][2] + w2*v[2][2]
			k := y*w + x
			if z <= depth[k] {
				continue
			}
			depth[k] = z
			img.SetNRGBA(x, y, colour(w0, w1, w2))
		}
	}
}

func toSRGB(linear float64) uint8 {
	linear = math.Min(math.Max(linear, 0), 1)
	var s float64
	if linear <= 0.0031308 {
		s = 12.92 * linear
	} else {
		s = 1.055*math.Pow(linear, 1/2.4) - 0.055
	}
	return uint8(math.Round(255 * s))
}

// sampleTexture reads an sRGB texture at glTF coordinates (u, v),
// repeating, nearest texel, and returns linear colour and alpha.
func sampleTexture(tex *image.RGBA, u, v float64) (r, g, b, a float64) {
	w, h := tex.Rect.Dx(), tex.Rect.Dy()
	if w == 0 || h == 0 || math.IsNaN(u) || math.IsNaN(v) {
		return 1, 1, 1, 1
	}
	u -= math.Floor(u)
	v -= math.Floor(v)
	x := min(int(u*float64(w)), w-1)
	y := min(int(v*float64(h)), h-1)
	c := tex.RGBAAt(tex.Rect.Min.X+x, tex.Rect.Min.Y+y)
	lin := func(c uint8) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return lin(c.R), lin(c.G), lin(c.B), float64(c.A) / 255
}
