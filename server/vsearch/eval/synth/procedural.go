package synth

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"

	"github.com/vitrine-shop/vitrine/server/render"
)

// Procedural objects: random furniture-, lamp-, vessel- and gadget-like
// assemblies of boxes, rods and solids of revolution with random
// materials and procedural textures. They are the training data of the
// search's learned segmentation (server/vsearch/segnet): generic objects,
// never the catalog's products, so that what the segmentation learns is
// "the product in front" and not the look of any product it is later
// asked to find.

// RandomObject builds one random object, about a metre across, standing on
// y = 0.
func RandomObject(rng *rand.Rand) render.Scene {
	var b objBuilder
	b.rng = rng
	main := b.material()
	second := b.material()
	if rng.IntN(3) == 0 {
		second = main
	}
	switch rng.IntN(8) {
	case 0: // table or desk
		w, d, h := 0.6+rng.Float64(), 0.4+rng.Float64()*0.6, 0.4+rng.Float64()*0.5
		t := 0.03 + rng.Float64()*0.04
		b.box([3]float64{0, h - t/2, 0}, [3]float64{w, t, d}, main)
		b.legs(w, d, h-t, 0.015+rng.Float64()*0.025, second)
	case 1: // chair or stool
		w := 0.4 + rng.Float64()*0.2
		h := 0.4 + rng.Float64()*0.1
		t := 0.03 + rng.Float64()*0.05
		b.box([3]float64{0, h, 0}, [3]float64{w, t, w}, main)
		b.legs(w, w, h-t/2, 0.012+rng.Float64()*0.02, second)
		if rng.IntN(4) > 0 {
			bh := 0.3 + rng.Float64()*0.4
			b.box([3]float64{0, h + bh/2, -w/2 + 0.02}, [3]float64{w, bh, 0.03 + rng.Float64()*0.03}, main)
		}
	case 2: // lamp
		baseR := 0.1 + rng.Float64()*0.1
		pole := 0.4 + rng.Float64()*1.2
		b.lathe([][2]float64{{0, 0}, {baseR, 0}, {baseR, 0.03}, {0, 0.03}}, [3]float64{}, second)
		b.box([3]float64{0, pole / 2, 0}, [3]float64{0.02, pole, 0.02}, second)
		r := 0.12 + rng.Float64()*0.2
		if rng.IntN(2) == 0 {
			b.lathe([][2]float64{{0, 0}, {r, 0}, {r * (0.4 + rng.Float64()*0.4), r * (0.8 + rng.Float64())}, {0, r * 1.2}}, [3]float64{0, pole - r*0.5, 0}, main)
		} else {
			b.sphere([3]float64{0, pole, 0}, r*0.8, main)
		}
	case 3: // vessel: vase, mug, bottle, bowl
		h := 0.1 + rng.Float64()*0.4
		n := 4 + rng.IntN(4)
		prof := [][2]float64{{0, 0}}
		r := 0.04 + rng.Float64()*0.12
		for k := 0; k <= n; k++ {
			r = math.Max(0.015, r*(0.7+rng.Float64()*0.6))
			prof = append(prof, [2]float64{r, h * float64(k) / float64(n)})
		}
		prof = append(prof, [2]float64{0, h})
		b.lathe(prof, [3]float64{}, main)
		if rng.IntN(3) == 0 { // a handle
			b.box([3]float64{prof[2][0] + 0.02, h * 0.55, 0}, [3]float64{0.025, h * 0.5, 0.02}, main)
		}
	case 4: // cabinet, shelf, sofa-like block with parts
		w, h, d := 0.5+rng.Float64()*1.5, 0.4+rng.Float64()*1.4, 0.3+rng.Float64()*0.6
		b.box([3]float64{0, h / 2, 0}, [3]float64{w, h, d}, main)
		for k := rng.IntN(4); k > 0; k-- {
			pw, ph := w*(0.2+rng.Float64()*0.5), h*(0.1+rng.Float64()*0.3)
			b.box([3]float64{(rng.Float64() - 0.5) * (w - pw), ph/2 + rng.Float64()*(h-ph), d/2 + 0.02}, [3]float64{pw, ph, 0.04}, second)
		}
	case 5: // flat piece: frame, panel, mirror
		w, h := 0.3+rng.Float64()*0.8, 0.3+rng.Float64()*0.8
		b.box([3]float64{0, h / 2, 0}, [3]float64{w, h, 0.04}, second)
		pic := b.material()
		pic.BaseColorTexture = picture(rng)
		pic.BaseColor = [4]float32{1, 1, 1, 1}
		m := 0.03 + rng.Float64()*0.08
		b.box([3]float64{0, h / 2, 0.025}, [3]float64{w - 2*m, h - 2*m, 0.01}, pic)
	case 6: // rings and bars: glasses, a watch, jewellery
		r := 0.02 + rng.Float64()*0.03
		gap := r * (2.1 + rng.Float64()*0.6)
		for _, x := range []float64{-gap / 2, gap / 2} {
			b.ring([3]float64{x, r + 0.01, 0}, r, r*(0.1+rng.Float64()*0.15), main)
		}
		b.box([3]float64{0, r*1.6 + 0.01, 0}, [3]float64{gap - 2*r + 0.01, 0.004, 0.004}, main)
		if rng.IntN(2) == 0 {
			for _, x := range []float64{-gap/2 - r, gap/2 + r} {
				b.box([3]float64{x, r + 0.01, -0.06}, [3]float64{0.004, 0.005, 0.12}, second)
			}
		}
	default: // a random assembly
		for k := 2 + rng.IntN(4); k > 0; k-- {
			at := [3]float64{(rng.Float64() - 0.5) * 0.6, rng.Float64() * 0.6, (rng.Float64() - 0.5) * 0.4}
			m := main
			if rng.IntN(2) == 0 {
				m = second
			}
			switch rng.IntN(3) {
			case 0:
				b.box(at, [3]float64{0.05 + rng.Float64()*0.5, 0.05 + rng.Float64()*0.5, 0.05 + rng.Float64()*0.5}, m)
			case 1:
				b.sphere(at, 0.05+rng.Float64()*0.25, m)
			default:
				r := 0.03 + rng.Float64()*0.2
				b.lathe([][2]float64{{0, 0}, {r, 0}, {r * rng.Float64(), 0.1 + rng.Float64()*0.5}, {0, 0.6}}, at, m)
			}
		}
	}
	return render.Scene{Meshes: b.meshes}
}

type objBuilder struct {
	rng    *rand.Rand
	meshes []render.Mesh
}

// material draws a random appearance: a colour (often muted), sometimes a
// procedural texture, sometimes metal.
func (b *objBuilder) material() render.Material {
	rng := b.rng
	r, g, bl := shiftHue(1, 0.15+rng.Float64()*0.7, 0.15, rng.Float64()*360, rng.Float64())
	v := 0.05 + rng.Float64()*0.9
	m := render.Material{
		BaseColor: [4]float32{float32(r * v), float32(g * v), float32(bl * v), 1},
		Roughness: float32(0.25 + rng.Float64()*0.7),
	}
	if rng.IntN(6) == 0 {
		m.Metallic = 1
		m.Roughness = float32(0.15 + rng.Float64()*0.4)
	}
	if rng.IntN(3) == 0 {
		m.BaseColorTexture = proceduralTexture(rng)
		m.BaseColor = [4]float32{1, 1, 1, 1}
	}
	return m
}

// box adds an axis-aligned box centred at c (flat shaded).
func (b *objBuilder) box(c, size [3]float64, m render.Material) {
	hx, hy, hz := size[0]/2, size[1]/2, size[2]/2
	corner := func(i int) [3]float32 {
		sx, sy, sz := float64(i&1*2-1), float64(i>>1&1*2-1), float64(i>>2&1*2-1)
		return [3]float32{float32(c[0] + sx*hx), float32(c[1] + sy*hy), float32(c[2] + sz*hz)}
	}
	faces := [6][4]int{{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4}, {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}}
	var mesh render.Mesh
	mesh.Material = m
	for _, f := range faces {
		q := [4][3]float32{corner(f[0]), corner(f[1]), corner(f[2]), corner(f[3])}
		uv := [4][2]float32{{0, 0}, {1, 0}, {1, 1}, {0, 1}}
		for _, k := range [6]int{0, 1, 2, 0, 2, 3} {
			mesh.Positions = append(mesh.Positions, q[k])
			mesh.UVs = append(mesh.UVs, uv[k])
		}
	}
	b.meshes = append(b.meshes, mesh)
}

// legs adds four legs under a w×d top whose underside is at height h.
func (b *objBuilder) legs(w, d, h, r float64, m render.Material) {
	inset := r + b.rng.Float64()*0.06
	for _, sx := range []float64{-1, 1} {
		for _, sz := range []float64{-1, 1} {
			b.box([3]float64{sx * (w/2 - inset), h / 2, sz * (d/2 - inset)}, [3]float64{2 * r, h, 2 * r}, m)
		}
	}
}

// lathe adds the surface of revolution of profile (radius, height) pairs
// about the vertical axis through at, smooth shaded.
func (b *objBuilder) lathe(profile [][2]float64, at [3]float64, m render.Material) {
	const seg = 24
	var mesh render.Mesh
	mesh.Material = m
	for _, p := range profile {
		for s := 0; s <= seg; s++ {
			a := 2 * math.Pi * float64(s) / seg
			mesh.Positions = append(mesh.Positions, [3]float32{float32(at[0] + p[0]*math.Cos(a)), float32(at[1] + p[1]), float32(at[2] + p[0]*math.Sin(a))})
			mesh.UVs = append(mesh.UVs, [2]float32{float32(s) / seg, float32(p[1])})
		}
	}
	for i := 0; i+1 < len(profile); i++ {
		for s := 0; s < seg; s++ {
			a, c := uint32(i*(seg+1)+s), uint32((i+1)*(seg+1)+s)
			mesh.Indices = append(mesh.Indices, a, c, a+1, a+1, c, c+1)
		}
	}
	mesh.Normals = smoothNormals(mesh.Positions, mesh.Indices)
	b.meshes = append(b.meshes, mesh)
}

// sphere adds a sphere of radius r centred at c.
func (b *objBuilder) sphere(c [3]float64, r float64, m render.Material) {
	const rings = 12
	prof := make([][2]float64, rings+1)
	for k := range prof {
		t := math.Pi * float64(k) / rings
		prof[k] = [2]float64{r * math.Sin(t), r - r*math.Cos(t)}
	}
	b.lathe(prof, [3]float64{c[0], c[1] - r, c[2]}, m)
}

// ring adds a torus of radius r and tube radius t in the xy plane at c.
func (b *objBuilder) ring(c [3]float64, r, t float64, m render.Material) {
	const seg, tube = 32, 8
	var mesh render.Mesh
	mesh.Material = m
	for s := 0; s <= seg; s++ {
		a := 2 * math.Pi * float64(s) / seg
		for k := 0; k <= tube; k++ {
			v := 2 * math.Pi * float64(k) / tube
			rr := r + t*math.Cos(v)
			mesh.Positions = append(mesh.Positions, [3]float32{float32(c[0] + rr*math.Cos(a)), float32(c[1] + rr*math.Sin(a)), float32(c[2] + t*math.Sin(v))})
			mesh.UVs = append(mesh.UVs, [2]float32{float32(s) / seg, float32(k) / tube})
		}
	}
	for s := 0; s < seg; s++ {
		for k := 0; k < tube; k++ {
			a, d := uint32(s*(tube+1)+k), uint32((s+1)*(tube+1)+k)
			mesh.Indices = append(mesh.Indices, a, d, a+1, a+1, d, d+1)
		}
	}
	mesh.Normals = smoothNormals(mesh.Positions, mesh.Indices)
	b.meshes = append(b.meshes, mesh)
}

// smoothNormals averages the face normals around each vertex.
func smoothNormals(pos [][3]float32, idx []uint32) [][3]float32 {
	acc := make([][3]float64, len(pos))
	for i := 0; i+2 < len(idx); i += 3 {
		a, b, c := vec64(pos[idx[i]]), vec64(pos[idx[i+1]]), vec64(pos[idx[i+2]])
		u := [3]float64{b[0] - a[0], b[1] - a[1], b[2] - a[2]}
		v := [3]float64{c[0] - a[0], c[1] - a[1], c[2] - a[2]}
		n := [3]float64{u[1]*v[2] - u[2]*v[1], u[2]*v[0] - u[0]*v[2], u[0]*v[1] - u[1]*v[0]}
		for _, k := range idx[i : i+3] {
			for j := range 3 {
				acc[k][j] += n[j]
			}
		}
	}
	out := make([][3]float32, len(pos))
	for i, n := range acc {
		l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
		if l > 0 {
			out[i] = [3]float32{float32(n[0] / l), float32(n[1] / l), float32(n[2] / l)}
		} else {
			out[i] = [3]float32{0, 1, 0}
		}
	}
	return out
}

func vec64(p [3]float32) [3]float64 { return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])} }

// proceduralTexture paints a 64×64 texture: wood-like grain, a weave,
// checks or mottled noise, in two random colours.
func proceduralTexture(rng *rand.Rand) image.Image {
	const side = 64
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	c1, c2 := randColour(rng, 0.2, 1), randColour(rng, 0.1, 0.9)
	noise := valueNoise(rng, 4+rng.IntN(6))
	kind := rng.IntN(4)
	freq := 4 + rng.Float64()*12
	for y := range side {
		for x := range side {
			u, v := float64(x)/side, float64(y)/side
			var t float64
			switch kind {
			case 0: // grain
				t = 0.5 + 0.5*math.Sin(2*math.Pi*(u*freq+3*noise(u, v)))
			case 1: // weave
				t = 0.5 + 0.25*math.Sin(2*math.Pi*u*freq*2) + 0.25*math.Sin(2*math.Pi*v*freq*2)
			case 2: // checks
				if (int(u*freq)+int(v*freq))%2 == 0 {
					t = 1
				}
			default:
				t = noise(u, v)
			}
			img.SetRGBA(x, y, mix(c1, c2, t))
		}
	}
	return img
}

// picture paints a random "artwork": a gradient with a few shapes.
func picture(rng *rand.Rand) image.Image {
	img := background(rng.IntN(len(Backgrounds)), 96, 96, rng)
	return img
}

// TrainingSample renders one random object at a random viewpoint, light
// and size and composites it as a shopper's photo: onto one of the query
// backgrounds (painted shapes more often than the others; one time in
// three with other, smaller random objects standing around), sometimes
// cut by the frame, with a drop shadow, exposure and a colour cast. It returns the photo, the object's
// true coverage of each pixel, and a JPEG quality to save it with.
func TrainingSample(ctx context.Context, rng *rand.Rand) (*image.RGBA, *image.Gray, int, error) {
	return photograph(ctx, rng, RandomObject)
}

// photograph is TrainingSample with the photographed object made by
// object (called where TrainingSample draws its random object, so that
// both draw the same numbers).
func photograph(ctx context.Context, rng *rand.Rand, object func(*rand.Rand) render.Scene) (*image.RGBA, *image.Gray, int, error) {
	w, h := canvasSize(rng)
	// Clutter is where segmentation is hardest: a third of the samples
	// get painted shapes, a third other objects around.
	kind := rng.IntN(len(Backgrounds))
	if rng.IntN(3) == 0 {
		kind = clutterBackground
	}
	canvas := background(kind, w, h, rng)
	if rng.IntN(3) == 0 {
		// Other objects around, smaller, away from the middle.
		for k := 1 + rng.IntN(3); k > 0; k-- {
			side := int((0.15 + rng.Float64()*0.25) * float64(min(w, h)))
			obj, err := renderObject(ctx, RandomObject(rng), rng, side)
			if err != nil {
				return nil, nil, 0, err
			}
			at := image.Pt(rng.IntN(w)-side/2, rng.IntN(h)-side/2)
			draw.Draw(canvas, obj.Rect.Add(at), obj, image.Point{}, draw.Over)
		}
	}
	fill := 0.4 + rng.Float64()*0.55
	side := int(fill * float64(min(w, h)))
	obj, err := renderObject(ctx, object(rng), rng, side)
	if err != nil {
		return nil, nil, 0, err
	}
	at := place(rng, w, h, side, 0.05, 0.2)
	mask := paste(rng, canvas, obj, at)
	expose(canvas, 0.65+rng.Float64()*0.7, [3]float64{0.88 + rng.Float64()*0.24, 0.88 + rng.Float64()*0.24, 0.88 + rng.Float64()*0.24})
	return canvas, mask, 25 + rng.IntN(71), nil
}

// ObjectViews makes one random object's pictures as a catalog and its
// shoppers would: views cut-outs, rendered as the evaluation gallery's
// (transparent, the gallery's pitch and light, evenly around from a
// random start), and photos composited as TrainingSample composites them,
// each with the JPEG quality to save it with. Learning what stays the
// same between the two (the descriptor's whitening) needs many objects'
// such sets, none of them a catalog product.
func ObjectViews(ctx context.Context, rng *rand.Rand, views, photos int) (cutouts []*image.NRGBA, shots []*image.RGBA, qualities []int, err error) {
	sc := RandomObject(rng)
	lo, hi, ok := sc.Bounds()
	if !ok {
		return nil, nil, nil, fmt.Errorf("synth: empty random object")
	}
	start := rng.Float64() * 360
	for k := range views {
		v, err := renderView(ctx, sc, lo, hi, start+360*float64(k)/float64(views), galleryPitch, viewFovDeg, gallerySide, [3]float64{})
		if err != nil {
			return nil, nil, nil, err
		}
		cutouts = append(cutouts, v)
	}
	same := func(*rand.Rand) render.Scene { return sc }
	for range photos {
		img, _, q, err := photograph(ctx, rng, same)
		if err != nil {
			return nil, nil, nil, err
		}
		shots, qualities = append(shots, img), append(qualities, q)
	}
	return cutouts, shots, qualities, nil
}

// renderObject renders sc framed from a random viewpoint and light on a
// transparent side×side image.
func renderObject(ctx context.Context, sc render.Scene, rng *rand.Rand, side int) (*image.NRGBA, error) {
	lo, hi, ok := sc.Bounds()
	if !ok {
		return nil, fmt.Errorf("synth: empty random object")
	}
	yaw := rng.Float64() * 360
	pitch := rng.Float64()*50 - 10
	light := [3]float64{rng.Float64()*2 - 1, 0.3 + rng.Float64(), rng.Float64()*2 - 1}
	return renderView(ctx, sc, lo, hi, yaw, pitch, viewFovDeg, side, light)
}

// clutterBackground is the index of "clutter" in Backgrounds.
const clutterBackground = 4
