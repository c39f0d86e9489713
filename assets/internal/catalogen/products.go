package catalogen

import (
	"image"
	"math"
)

// material is a PBR material with an optional procedural texture.
type material struct {
	name string
	// base is the linear base-colour factor.
	base                [4]float64
	metallic, roughness float64
	// texture draws the base-colour texture (nil for none); pngTexture
	// stores it losslessly instead of as JPEG.
	texture    func() *image.NRGBA
	pngTexture bool
	// tileM is the size in metres of one texture repeat; 0 means the
	// mesh UVs are already texture coordinates.
	tileM float64
}

// linear turns an sRGB hex colour into a linear base-colour factor.
func linear(h uint32) [4]float64 {
	c := hexRGB(h)
	var out [4]float64
	for k := 0; k < 3; k++ {
		v := c[k]
		if v <= 0.04045 {
			out[k] = v / 12.92
		} else {
			out[k] = math.Pow((v+0.055)/1.055, 2.4)
		}
		out[k] = math.Round(out[k]*1e4) / 1e4
	}
	out[3] = 1
	return out
}

var whiteFactor = [4]float64{1, 1, 1, 1}

// part is geometry drawn with one material.
type part struct {
	mat  *material
	mesh *mesh
}

// model is a product's geometry, in metres, before normalisation.
type model struct{ parts []part }

func (md *model) add(mat *material, meshes ...*mesh) {
	for _, m := range meshes {
		md.parts = append(md.parts, part{mat: mat, mesh: m})
	}
}

// pillow bulges a box-like mesh of the given size outward along axis,
// most at the centre of the faces across it, and re-smooths its normals.
func pillow(m *mesh, size vec3, axis int, amount float64) *mesh {
	u, v := (axis+1)%3, (axis+2)%3
	for i, p := range m.pos {
		fu := clamp01(1 - math.Pow(2*p[u]/size[u], 2))
		fv := clamp01(1 - math.Pow(2*p[v]/size[v], 2))
		s := 1.0
		if p[axis] < 0 {
			s = -1
		}
		m.pos[i][axis] += s * amount * fu * fv
	}
	return m.smoothNormals()
}

// quad is a single-sided rectangle in the z=z plane facing +z, UVs 0..1
// with v down.
func quad(x0, y0, x1, y1, z float64) *mesh {
	m := &mesh{}
	n := vec3{0, 0, 1}
	a := m.vertex(vec3{x0, y0, z}, n, vec2{0, 1})
	b := m.vertex(vec3{x1, y0, z}, n, vec2{1, 1})
	c := m.vertex(vec3{x1, y1, z}, n, vec2{1, 0})
	d := m.vertex(vec3{x0, y1, z}, n, vec2{0, 0})
	m.tri(a, b, c)
	m.tri(a, c, d)
	return m
}

// rod is a round bar of radius r between two points.
func rod(a, b vec3, r float64, sides int) *mesh {
	d := b.sub(a).norm()
	up := vec3{0, 1, 0}
	if math.Abs(d.dot(up)) > 0.9 {
		up = vec3{1, 0, 0}
	}
	return sweep([]vec3{a, b}, false, circle(r, sides), nil, up)
}

func oakMaterial() *material {
	return &material{name: "oak", base: whiteFactor, roughness: 0.55, tileM: 0.6,
		texture: func() *image.NRGBA { return woodTexture(hexRGB(0xD9B48A), hexRGB(0x9C6B3F), 11) }}
}

func walnutMaterial() *material {
	return &material{name: "walnut", base: whiteFactor, roughness: 0.5, tileM: 0.6,
		texture: func() *image.NRGBA { return woodTexture(hexRGB(0x8A5A3B), hexRGB(0x3E2517), 23) }}
}

// diningChair is an oak dining chair with a fabric seat pad and a curved
// two-rail back.
func diningChair() *model {
	oak := oakMaterial()
	fabric := &material{name: "seat-fabric", base: whiteFactor, roughness: 0.92, tileM: 0.1,
		texture: func() *image.NRGBA { return weaveTexture(hexRGB(0xC9A13B), 32, 5) }}
	md := &model{}
	legSection := roundedRect(0.034, 0.034, 0.008, 3)
	taper := func(i int) vec2 {
		if i == 0 {
			return vec2{0.78, 0.78}
		}
		return vec2{1, 1}
	}
	const legX = 0.195
	for _, x := range []float64{-legX, legX} {
		md.add(oak, sweep([]vec3{{x, 0, 0.215}, {x, 0.44, 0.205}}, false, legSection, taper, vec3{1, 0, 0}))
	}
	postZ := func(y float64) float64 { // the rear posts rake backward above the seat
		if y < 0.44 {
			return -0.215 + 0.015*y/0.44
		}
		return -0.2 - 0.06*(y-0.44)/0.46
	}
	for _, x := range []float64{-legX, legX} {
		var ctrl []vec3
		for _, y := range []float64{0, 0.22, 0.44, 0.67, 0.9} {
			ctrl = append(ctrl, vec3{x, y, postZ(y)})
		}
		path := smoothPath(ctrl, false, 6)
		scale := func(i int) vec2 {
			t := path[i][1] / 0.9
			s := 0.8 + 0.2*math.Min(1, t*2) - 0.1*math.Max(0, t-0.5)
			return vec2{s, s}
		}
		md.add(oak, sweep(path, false, legSection, scale, vec3{1, 0, 0}))
	}
	seat := roundedBox(vec3{0.45, 0.04, 0.47}, 0.012, 3).transform(translate(0, 0.46, 0.005))
	md.add(oak, seat)
	cushionSize := vec3{0.39, 0.04, 0.39}
	cushion := pillow(roundedBox(cushionSize, 0.017, 4), cushionSize, 1, 0.008)
	md.add(fabric, cushion.transform(translate(0, 0.5, 0.03)))
	md.add(oak,
		box(vec3{-0.18, 0.38, 0.185}, vec3{0.18, 0.44, 0.205}),
		box(vec3{-0.18, 0.38, -0.21}, vec3{0.18, 0.44, -0.19}),
		box(vec3{-0.205, 0.38, -0.19}, vec3{-0.185, 0.44, 0.19}),
		box(vec3{0.185, 0.38, -0.19}, vec3{0.205, 0.44, 0.19}),
	)
	for _, x := range []float64{-legX, legX} {
		md.add(oak, rod(vec3{x, 0.16, -0.205}, vec3{x, 0.16, 0.21}, 0.009, 16))
	}
	md.add(oak, rod(vec3{-legX, 0.16, 0}, vec3{legX, 0.16, 0}, 0.008, 16))
	for _, rail := range []struct{ y, h float64 }{{0.835, 0.1}, {0.66, 0.055}} {
		var path []vec3
		for k := 0; k <= 20; k++ {
			x := -legX + 2*legX*float64(k)/20
			path = append(path, vec3{x, rail.y, postZ(rail.y) - 0.03*(1-math.Pow(x/legX, 2))})
		}
		md.add(oak, sweep(path, false, roundedRect(rail.h, 0.02, 0.007, 3), nil, vec3{0, 1, 0}))
	}
	return md
}

// sofa is a three-seat fabric sofa on tapered walnut legs.
func sofa() *model {
	fabric := &material{name: "upholstery", base: whiteFactor, roughness: 0.95, tileM: 0.12,
		texture: func() *image.NRGBA { return weaveTexture(hexRGB(0x6F8196), 40, 17) }}
	wood := walnutMaterial()
	md := &model{}
	for _, sx := range []float64{-1, 1} {
		size := vec3{0.2, 0.5, 0.92}
		arm := pillow(roundedBox(size, 0.08, 5), size, 0, 0.01)
		md.add(fabric, arm.transform(translate(sx*0.95, 0.12+0.25, 0)))
	}
	md.add(fabric, roundedBox(vec3{1.72, 0.22, 0.88}, 0.04, 3).transform(translate(0, 0.12+0.11, 0.0)))
	backSize := vec3{1.72, 0.62, 0.22}
	md.add(fabric, roundedBox(backSize, 0.07, 4).transform(translate(0, 0.12+0.31, -0.35)))
	seatSize := vec3{0.565, 0.17, 0.66}
	backCushion := vec3{0.56, 0.44, 0.19}
	for k := -1; k <= 1; k++ {
		x := float64(k) * 0.573
		seat := pillow(roundedBox(seatSize, 0.06, 4), seatSize, 1, 0.02)
		md.add(fabric, seat.transform(translate(x, 0.34+0.085, 0.12)))
		back := pillow(roundedBox(backCushion, 0.08, 5), backCushion, 2, 0.025)
		md.add(fabric, back.transform(rotateX(-11).then(translate(x, 0.34+0.17+0.2, -0.16))))
	}
	legProfile := []vec2{{0, 0}, {0.016, 0}, {0.024, 0.12}, {0, 0.12}}
	for _, x := range []float64{-0.93, 0.93} {
		for _, z := range []float64{-0.38, 0.38} {
			md.add(wood, lathe(legProfile, 20, 1, 2).transform(translate(x, 0, z)))
		}
	}
	return md
}

// diningTable is an oak table with a rounded top, aprons and tapered legs.
func diningTable() *model {
	oak := oakMaterial()
	md := &model{}
	md.add(oak, roundedBox(vec3{1.6, 0.035, 0.9}, 0.01, 3).transform(translate(0, 0.75-0.0175, 0)))
	md.add(oak,
		box(vec3{-0.7, 0.63, 0.34}, vec3{0.7, 0.715, 0.362}),
		box(vec3{-0.7, 0.63, -0.362}, vec3{0.7, 0.715, -0.34}),
		box(vec3{0.708, 0.63, -0.33}, vec3{0.73, 0.715, 0.33}),
		box(vec3{-0.73, 0.63, -0.33}, vec3{-0.708, 0.715, 0.33}),
	)
	section := roundedRect(0.06, 0.06, 0.01, 3)
	taper := func(i int) vec2 {
		if i == 0 {
			return vec2{0.6, 0.6}
		}
		return vec2{1, 1}
	}
	for _, x := range []float64{-0.715, 0.715} {
		for _, z := range []float64{-0.365, 0.365} {
			md.add(oak, sweep([]vec3{{x, 0, z}, {x, 0.716, z}}, false, section, taper, vec3{1, 0, 0}))
		}
	}
	return md
}

// floorLamp is a brass floor lamp with a weighted base and a linen drum
// shade.
func floorLamp() *model {
	brass := &material{name: "brushed-brass", base: whiteFactor, metallic: 1, roughness: 0.32, tileM: 0.05,
		texture: func() *image.NRGBA { return brushedTexture(hexRGB(0xD6B36A), 31) }}
	black := &material{name: "black-metal", base: linear(0x1C1C1E), metallic: 0.7, roughness: 0.45}
	linen := &material{name: "linen-shade", base: whiteFactor, roughness: 0.9, tileM: 0.08,
		texture: func() *image.NRGBA { return weaveTexture(hexRGB(0xEFE6D2), 48, 41) }}
	md := &model{}
	md.add(black, cylinder(0.14, 0, 0.024, 0.008, 64))
	md.add(brass, cylinder(0.011, 0.02, 1.31, 0, 24))
	md.add(brass, cylinder(0.022, 0.024, 0.05, 0.004, 32))
	md.add(brass, cylinder(0.02, 1.27, 1.31, 0.003, 32))
	md.add(black, cylinder(0.017, 1.31, 1.37, 0.002, 24))
	shade := []vec2{{0.221, 1.22}, {0.225, 1.22}, {0.152, 1.6}, {0.148, 1.6}, {0.221, 1.22}}
	md.add(linen, lathe(shade, 72, 1, 2, 3))
	for k := 0; k < 3; k++ {
		a := float64(k) * 2 * math.Pi / 3
		md.add(brass, rod(vec3{0, 1.33, 0}, vec3{0.148 * math.Sin(a), 1.585, 0.148 * math.Cos(a)}, 0.0025, 8))
	}
	md.add(brass, sweep(circlePath(0.148, 1.585, 48), true, circle(0.003, 8), nil, vec3{0, 1, 0}))
	return md
}

// circlePath is a horizontal circle of radius r at height y.
func circlePath(r, y float64, k int) []vec3 {
	out := make([]vec3, k)
	for i := range out {
		s, c := math.Sincos(2 * math.Pi * float64(i) / float64(k))
		out[i] = vec3{r * s, y, r * c}
	}
	return out
}

// bookshelf is a walnut five-shelf bookcase, partly filled with books.
func bookshelf() *model {
	wood := walnutMaterial()
	books := &material{name: "book-spines", base: whiteFactor, roughness: 0.7,
		texture: func() *image.NRGBA { return spineTexture(3) }}
	md := &model{}
	const w, h, d, t = 0.8, 1.8, 0.32, 0.02
	md.add(wood,
		box(vec3{-w / 2, 0, -d / 2}, vec3{-w/2 + t, h, d / 2}),
		box(vec3{w/2 - t, 0, -d / 2}, vec3{w / 2, h, d / 2}),
		box(vec3{-w/2 + t, h - t, -d / 2}, vec3{w/2 - t, h, d / 2}),
		box(vec3{-w/2 + t, 0, -d / 2}, vec3{w/2 - t, 0.07, d/2 - 0.02}),
		box(vec3{-w/2 + t, 0, -d/2 + 0.006}, vec3{w/2 - t, 0.008, d / 2}),
		box(vec3{-w/2 + t, 0.008, -d / 2}, vec3{w/2 - t, 0.008 + 0.004, -d/2 + 0.008}),
		box(vec3{-w/2 + t, 0, -d / 2}, vec3{w/2 - t, h, -d/2 + 0.008}),
	)
	bottom := 0.07
	gap := (h - t - bottom) / 5
	for k := 0; k < 5; k++ {
		y := bottom + float64(k)*gap
		md.add(wood, box(vec3{-w/2 + t, y, -d/2 + 0.008}, vec3{w/2 - t, y + t, d/2 - 0.005}))
	}
	// Books: a deterministic arrangement per shelf.
	band := 0
	for shelf := 0; shelf < 5; shelf++ {
		floorY := bottom + float64(shelf)*gap + t
		clear := gap - t
		x := -w/2 + t + 0.01
		limit := w/2 - t - 0.01
		if shelf%2 == 1 {
			limit = 0.12 // leave room on alternate shelves
		}
		if shelf == 4 {
			x = 0.0
			limit = w/2 - t - 0.01
		}
		for i := 0; ; i++ {
			thick := 0.018 + 0.03*hash(shelf, i, 77)
			tall := clear * (0.62 + 0.3*hash(shelf, i, 78))
			deep := 0.16 + 0.08*hash(shelf, i, 79)
			if x+thick > limit {
				break
			}
			front := d/2 - 0.03
			md.add(books, book(vec3{x, floorY, front - deep}, vec3{x + thick, floorY + tall, front}, band%8))
			band++
			x += thick + 0.001
		}
		if shelf%2 == 1 {
			// A leaning book against the last one.
			thick, tall := 0.025, clear*0.75
			b := book(vec3{0, 0, -0.2}, vec3{thick, tall, 0}, band%8)
			b.transform(rotateZ(18).then(translate(x+0.002+math.Sin(18*math.Pi/180)*tall, floorY, d/2-0.03)))
			md.add(books, b)
			band++
		}
	}
	return md
}

// book is a box whose UVs map its front (+z, the spine) onto band k of the
// spine texture, u across the spine and v down it.
func book(lo, hi vec3, k int) *mesh {
	m := box(lo, hi)
	for i, p := range m.pos {
		u := (p[0] - lo[0]) / (hi[0] - lo[0])
		v := (float64(k) + 0.02 + 0.96*(hi[1]-p[1])/(hi[1]-lo[1])) / 8
		m.uv[i] = vec2{u, v}
	}
	return m
}

// framedArt is a framed landscape print for the wall, back on z=0.
func framedArt() *model {
	frameWood := &material{name: "frame-wood", base: whiteFactor, roughness: 0.45, tileM: 0.4,
		texture: func() *image.NRGBA { return woodTexture(hexRGB(0x3B2A20), hexRGB(0x1A120D), 61) }}
	mat := &material{name: "mat-board", base: linear(0xF4F1EA), roughness: 0.95}
	print := &material{name: "print", base: whiteFactor, roughness: 0.8,
		texture: func() *image.NRGBA { return paintingTexture(7) }}
	md := &model{}
	const w, h, fw = 0.7, 0.5, 0.045
	mitre := func(outer, inner float64, z0, z1 float64) {
		ox, oy, ix, iy := w/2-outer, h/2-outer, w/2-inner, h/2-inner
		cy := h / 2
		pieces := [][]vec2{
			{{-ox, cy - oy}, {ox, cy - oy}, {ix, cy - iy}, {-ix, cy - iy}},
			{{ox, cy - oy}, {ox, cy + oy}, {ix, cy + iy}, {ix, cy - iy}},
			{{ox, cy + oy}, {-ox, cy + oy}, {-ix, cy + iy}, {ix, cy + iy}},
			{{-ox, cy + oy}, {-ox, cy - oy}, {-ix, cy - iy}, {-ix, cy + iy}},
		}
		for _, p := range pieces {
			md.add(frameWood, extrude(p, z0, z1, 0))
		}
	}
	mitre(0, fw*0.7, 0, 0.03)
	mitre(fw*0.7, fw, 0, 0.024)
	md.add(mat, box(vec3{-w/2 + fw, fw, 0.004}, vec3{w/2 - fw, h - fw, 0.014}))
	md.add(print, quad(-0.2, h/2-0.15, 0.2, h/2+0.15, 0.0142))
	return md
}

// mug is a stoneware mug with a looped handle toward +x.
func mug() *model {
	glaze := &material{name: "speckled-glaze", base: whiteFactor, roughness: 0.25, tileM: 0.09,
		texture: func() *image.NRGBA { return glazeTexture(hexRGB(0x7FA38A), hexRGB(0x3B3328), 9) }}
	md := &model{}
	profile := []vec2{
		{0, 0}, {0.034, 0}, {0.039, 0.002}, {0.0415, 0.008}, {0.0425, 0.02},
		{0.0425, 0.092}, {0.042, 0.0948}, {0.0405, 0.095}, {0.0395, 0.0935},
		{0.0392, 0.09}, {0.0392, 0.015}, {0.036, 0.0095}, {0.03, 0.008}, {0, 0.008},
	}
	md.add(glaze, lathe(profile, 72, 1))
	handle := smoothPath([]vec3{
		{0.036, 0.078, 0}, {0.055, 0.079, 0}, {0.071, 0.07, 0}, {0.075, 0.05, 0},
		{0.068, 0.03, 0}, {0.052, 0.022, 0}, {0.036, 0.022, 0},
	}, false, 8)
	md.add(glaze, sweep(handle, false, ellipse(0.007, 0.0045, 20), nil, vec3{0, 0, 1}))
	return md
}

// vase is a bellied stoneware vase with a drip glaze and an open neck.
func vase() *model {
	glaze := &material{name: "drip-glaze", base: whiteFactor, roughness: 0.3,
		texture: func() *image.NRGBA { return dripGlazeTexture(hexRGB(0xE9E2D3), hexRGB(0x2F4D5C), 19) }}
	md := &model{}
	outerCtrl := []vec3{{0.05, 0.006, 0}, {0.07, 0.04, 0}, {0.08, 0.11, 0}, {0.066, 0.19, 0}, {0.04, 0.245, 0}, {0.036, 0.27, 0}, {0.046, 0.3, 0}}
	outer := smoothPath(outerCtrl, false, 8)
	profile := []vec2{{0, 0}, {0.046, 0}}
	for _, p := range outer {
		profile = append(profile, vec2{p[0], p[1]})
	}
	lip := len(profile) - 1
	profile = append(profile, vec2{0.041, 0.3}, vec2{0.032, 0.275}, vec2{0.03, 0.255}, vec2{0.02, 0.24}, vec2{0, 0.238})
	m := lathe(profile, 72, 1, 2, lip, lip+1)
	// UVs: u around (0..1), v down the whole height (0..1) so the glaze
	// drips from the shoulder.
	for i, p := range m.pos {
		a := math.Atan2(p[0], p[2])/(2*math.Pi) + 0.5
		m.uv[i] = vec2{a, 1 - p[1]/0.3}
	}
	fixSeam(m)
	md.add(glaze, m)
	return md
}

// fixSeam makes u continuous across the atan2 seam of a lathe by giving
// each grid triangle's vertices u values on the same side.
func fixSeam(m *mesh) {
	for t := 0; t+2 < len(m.idx); t += 3 {
		a, b, c := m.idx[t], m.idx[t+1], m.idx[t+2]
		us := []float64{m.uv[a][0], m.uv[b][0], m.uv[c][0]}
		if math.Max(us[0], math.Max(us[1], us[2]))-math.Min(us[0], math.Min(us[1], us[2])) > 0.5 {
			for _, v := range []uint32{a, b, c} {
				if m.uv[v][0] < 0.5 {
					nv := m.vertex(m.pos[v], m.nrm[v], vec2{m.uv[v][0] + 1, m.uv[v][1]})
					for k := t; k < t+3; k++ {
						if m.idx[k] == v {
							m.idx[k] = nv
						}
					}
				}
			}
		}
	}
}

// lensOutline is a rounded trapezoid lens shape, width w, height h,
// wider at the top, counter-clockwise in x–y.
func lensOutline(w, h float64, k int) []vec2 {
	out := make([]vec2, k)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(k)
		c, s := math.Cos(a), math.Sin(a)
		x := math.Copysign(math.Pow(math.Abs(c), 0.62), c) * w / 2
		y := math.Copysign(math.Pow(math.Abs(s), 0.75), s) * h / 2
		if y < 0 {
			x *= 1 + 0.14*y/(h/2) // narrower at the bottom
		}
		out[i] = vec2{x, y}
	}
	return out
}

// glasses are tortoiseshell acetate sunglasses; the lenses face +z and
// the temples run toward -z.
func glasses() *model {
	acetate := &material{name: "tortoiseshell", base: whiteFactor, roughness: 0.18, tileM: 0.05,
		texture: func() *image.NRGBA { return tortoiseTexture(13) }}
	lens := &material{name: "tinted-lens", base: linear(0x1F2A26), roughness: 0.05}
	metal := &material{name: "hinge-metal", base: linear(0xC8C8C8), metallic: 1, roughness: 0.25}
	md := &model{}
	const lensW, lensH, bridge = 0.052, 0.042, 0.018
	cx := bridge/2 + lensW/2 + 0.003
	outline := lensOutline(lensW, lensH, 64)
	for _, sx := range []float64{-1, 1} {
		var path []vec3
		for _, p := range outline {
			path = append(path, vec3{sx*cx + p[0], p[1], 0})
		}
		md.add(acetate, sweep(path, true, roundedRect(0.0055, 0.0065, 0.0022, 3), nil, vec3{0, 0, 1}))
		inner := make([]vec2, len(outline))
		for i, p := range outline {
			inner[i] = vec2{p[0] * 0.97, p[1] * 0.97}
		}
		l := extrude(inner, -0.001, 0.001, 40)
		md.add(lens, l.transform(translate(sx*cx, 0, 0)))
		// End piece and hinge.
		ex := sx * (cx + lensW/2 + 0.004)
		md.add(acetate, roundedBox(vec3{0.008, 0.012, 0.007}, 0.0025, 2).transform(translate(ex, 0.012, -0.001)))
		md.add(metal, box(vec3{ex - 0.002, 0.009, -0.008}, vec3{ex + 0.002, 0.015, -0.004}))
		// Temple: straight back, then curving down behind the ear.
		tx := sx * (cx + lensW/2 + 0.006)
		temple := smoothPath([]vec3{{tx, 0.012, -0.005}, {tx + sx*0.002, 0.011, -0.06}, {tx + sx*0.002, 0.009, -0.105}, {tx + sx*0.001, 0.0, -0.128}, {tx, -0.012, -0.14}}, false, 8)
		md.add(acetate, sweep(temple, false, roundedRect(0.0018, 0.0045, 0.0008, 2), nil, vec3{1, 0, 0}))
	}
	// Bridge: an arch between the rims, over the nose.
	bx := bridge/2 + 0.003
	md.add(acetate, sweep(smoothPath([]vec3{{-bx - 0.002, 0.008, 0}, {-bx / 2, 0.013, 0.001}, {bx / 2, 0.013, 0.001}, {bx + 0.002, 0.008, 0}}, false, 8), false, roundedRect(0.005, 0.004, 0.0015, 2), nil, vec3{0, 0, 1}))
	return md
}

// watch is a steel wristwatch with a navy dial on a leather strap laid
// flat along z; the dial faces +y.
func watch() *model {
	steel := &material{name: "brushed-steel", base: whiteFactor, metallic: 1, roughness: 0.28, tileM: 0.02,
		texture: func() *image.NRGBA { return brushedTexture(hexRGB(0xC9CDD2), 71) }}
	dial := &material{name: "dial", base: whiteFactor, roughness: 0.15, pngTexture: true,
		texture: dialTexture}
	leather := &material{name: "strap-leather", base: whiteFactor, roughness: 0.6, tileM: 0.03,
		texture: func() *image.NRGBA { return leatherTexture(hexRGB(0x7A4A2A), 43) }}
	md := &model{}
	const r = 0.02
	caseProfile := []vec2{
		{0, -0.005}, {r - 0.004, -0.005}, {r - 0.001, -0.004}, {r, -0.002}, {r, 0.003},
		{r - 0.0005, 0.0045}, {r - 0.0025, 0.006}, {r - 0.0032, 0.0058}, {r - 0.0035, 0.0045}, {0, 0.0045},
	}
	md.add(steel, lathe(caseProfile, 72, 1, 4, 8, 9))
	// Dial disc, UVs mapping the texture onto the disc.
	dr := r - 0.0035
	disc := lathe([]vec2{{dr, 0.0046}, {0, 0.0046}}, 72)
	for i, p := range disc.pos {
		disc.uv[i] = vec2{0.5 + p[0]/(2*dr), 0.5 - p[2]/(2*dr)}
	}
	md.add(dial, disc)
	// Crown at 3 o'clock (+x).
	crown := cylinder(0.0026, 0, 0.004, 0.0006, 20).transform(rotateZ(-90).then(translate(r-0.0005, 0.0005, 0)))
	md.add(steel, crown)
	// Lugs.
	for _, sx := range []float64{-1, 1} {
		for _, sz := range []float64{-1, 1} {
			lug := roundedBox(vec3{0.0035, 0.004, 0.009}, 0.0012, 2)
			md.add(steel, lug.transform(translate(sx*0.0095, 0.0005, sz*(r+0.001))))
		}
	}
	// Strap halves, with a slight arch near the case.
	strapSection := roundedRect(0.0028, 0.02, 0.0012, 2)
	for _, sz := range []float64{-1, 1} {
		length := 0.1
		if sz < 0 {
			length = 0.098
		}
		var path []vec3
		for k := 0; k <= 24; k++ {
			z := r + 0.001 + length*float64(k)/24
			y := -0.0005 - 0.0025*math.Min(1, (z-r)/0.03)
			path = append(path, vec3{0, y, sz * z})
		}
		// Section axes: n follows +y (thickness), b runs across (x).
		st := sweep(path, false, strapSection, func(i int) vec2 {
			// taper the strap toward its end and round it off
			t := float64(i) / 24
			return vec2{1, 1 - 0.15*t}
		}, vec3{0, 1, 0})
		md.add(leather, st)
	}
	// Buckle at the end of the short strap.
	buckleZ := -(r + 0.001 + 0.098 - 0.006)
	var loop []vec3
	for _, p := range roundedRect(0.024, 0.014, 0.004, 4) {
		loop = append(loop, vec3{p[0], -0.003, buckleZ - p[1]})
	}
	md.add(steel, sweep(loop, true, circle(0.0013, 10), nil, vec3{0, 1, 0}))
	md.add(steel, rod(vec3{0, -0.0018, buckleZ + 0.007}, vec3{0, -0.0018, buckleZ - 0.003}, 0.0008, 8))
	return md
}

// sneaker is a knit running shoe with a white rubber sole; the toe points
// toward +z.
func sneaker() *model {
	knit := &material{name: "knit-upper", base: whiteFactor, roughness: 0.85, tileM: 0.06,
		texture: func() *image.NRGBA { return knitTexture(hexRGB(0x2D3F5E), hexRGB(0x5C7FA8), 53) }}
	rubber := &material{name: "sole-rubber", base: linear(0xF2F0EB), roughness: 0.7}
	lining := &material{name: "lining", base: linear(0x2A2A2E), roughness: 0.9}
	laces := &material{name: "laces", base: linear(0xF6F6F2), roughness: 0.8}
	accent := &material{name: "heel-tab", base: linear(0xE0533D), roughness: 0.5}
	md := &model{}
	const length = 0.29
	// Half-width of the footprint along z (heel at -L/2, toe at +L/2).
	halfWidth := func(z float64) float64 {
		t := (z + length/2) / length // 0 heel .. 1 toe
		w := 0.038 + 0.017*math.Sin(math.Pi*math.Min(1, t/0.78)) - 0.006*math.Exp(-math.Pow((t-0.42)/0.1, 2))
		end := math.Sqrt(clamp01(1 - math.Pow((2*t-1), 12)))
		return w * end
	}
	var outline []vec2
	const steps = 48
	for i := 0; i <= steps; i++ { // right side heel→toe, x positive
		z := -length/2 + length*float64(i)/steps
		outline = append(outline, vec2{halfWidth(z), -z})
	}
	for i := steps - 1; i >= 1; i-- { // left side toe→heel
		z := -length/2 + length*float64(i)/steps
		outline = append(outline, vec2{-halfWidth(z), -z})
	}
	// outline is (x, -z): heel→toe on +x runs toward -y, which is
	// clockwise; reverse it.
	for i, j := 0, len(outline)-1; i < j; i, j = i+1, j-1 {
		outline[i], outline[j] = outline[j], outline[i]
	}
	sole := extrude(outline, 0, 0.026, 35).transform(rotateX(-90))
	md.add(rubber, sole)
	// Upper: lofted sections from heel to toe.
	topY := func(z float64) float64 {
		t := (z + length/2) / length
		switch {
		case t < 0.3:
			return 0.1 - 0.02*t/0.3
		case t < 0.55:
			return 0.08 + 0.005*math.Sin((t-0.3)/0.25*math.Pi/2)
		default:
			return 0.085 - 0.045*math.Pow((t-0.55)/0.45, 1.4)
		}
	}
	// The foot opening: an ellipse on top of the rear half, sunk into a
	// well with a padded collar around its rim and dark lining inside.
	const openZ, openL, openW, wellY = -0.076, 0.05, 0.031, 0.05
	opening := func(x, z float64) float64 { return math.Pow(x/openW, 2) + math.Pow((z-openZ)/openL, 2) }
	const base = 0.022
	// shell returns the unsunk upper surface point at angle a around the
	// section at station t (0 heel .. 1 toe).
	shell := func(t, a float64) vec3 {
		z := -length/2 + 0.006 + (length-0.012)*t
		w := math.Max(halfWidth(z)-0.003, 0)
		hgt := math.Max(topY(z)-base, 0) * math.Sqrt(clamp01(1-math.Pow(2*t-1, 16)))
		ca, sa := math.Cos(a), math.Sin(a)
		return vec3{w * math.Copysign(math.Pow(math.Abs(ca), 0.55), ca), base + hgt*math.Pow(sa, 0.7), z}
	}
	// rimY is the height of the unsunk surface at (x, z).
	rimY := func(x, z float64) float64 {
		t := (z + length/2 - 0.006) / (length - 0.012)
		w := math.Max(halfWidth(z)-0.003, 1e-6)
		ca := math.Pow(math.Min(1, math.Abs(x)/w), 1/0.55)
		return shell(t, math.Acos(ca))[1]
	}
	const rows, cols = 64, 44
	pts := make([][]vec3, rows+1)
	uvs := make([][]vec2, rows+1)
	for r := 0; r <= rows; r++ {
		t := float64(r) / rows
		pts[r] = make([]vec3, cols+1)
		uvs[r] = make([]vec2, cols+1)
		for c := 0; c <= cols; c++ {
			a := math.Pi * float64(c) / cols // 0: right bottom, π: left bottom
			p := shell(t, a)
			if e := opening(p[0], p[2]); e < 1 && p[1] > wellY {
				p[1] = wellY + (p[1]-wellY)*smooth(0.7, 1, e)
			}
			pts[r][c] = p
			uvs[r][c] = vec2{a * 0.05, p[2]}
		}
	}
	// Columns run right→over→left and rows toward +z, so ∂col × ∂row
	// points outward (at the top: -x × +z = +y).
	upper := &mesh{}
	upper.grid(pts, nil, uvs)
	md.add(knit, upper)
	var collar []vec3
	for i := 0; i < 64; i++ {
		s, c := math.Sincos(2 * math.Pi * float64(i) / 64)
		x, z := openW*s, openZ+openL*c
		collar = append(collar, vec3{x, rimY(x, z), z})
	}
	md.add(knit, sweep(collar, true, circle(0.0065, 14), nil, vec3{0, 1, 0}))
	inside := make([]vec2, 0, 48)
	for i := 0; i < 48; i++ {
		s, c := math.Sincos(2 * math.Pi * float64(i) / 48)
		inside = append(inside, vec2{0.86 * openW * s, -(openZ + 0.86*openL*c)})
	}
	md.add(lining, extrude(inside, 0, 0.001, 40).transform(rotateX(-90).then(translate(0, wellY+0.0015, 0))))
	// Tongue rising at the front of the opening, leaning back.
	tongueSize := vec3{0.042, 0.006, 0.05}
	tongue := pillow(roundedBox(tongueSize, 0.0025, 2), tongueSize, 1, 0.0015)
	tz := openZ + openL - 0.012
	md.add(knit, tongue.transform(rotateX(-40).then(translate(0, rimY(0, tz)-0.002, tz))))
	// Laces across the vamp, following the surface.
	for k := 0; k < 5; k++ {
		z := -0.012 + 0.017*float64(k)
		hw := halfWidth(z) * 0.5
		var lace []vec3
		for j := 0; j <= 8; j++ {
			x := -hw + 2*hw*float64(j)/8
			lace = append(lace, vec3{x, rimY(x, z) + 0.0018, z})
		}
		md.add(laces, sweep(lace, false, roundedRect(0.0025, 0.005, 0.001, 2), nil, vec3{0, 1, 0}))
	}
	// Heel pull tab.
	md.add(accent, roundedBox(vec3{0.018, 0.022, 0.005}, 0.002, 2).transform(rotateX(-12).then(translate(0, 0.094, -length/2+0.007))))
	return md
}
