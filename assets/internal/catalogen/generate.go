// Package catalogen generates Vitrine's sample catalog: procedurally built
// 3D products with their real dimensions and PBR materials, written as GLB
// models, plus studio product photos rendered from them with
// server/render, and the catalog.json that lists them. The output is
// deterministic: the same code writes the same bytes on every run.
package catalogen

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/render"
	"github.com/vitrine-shop/vitrine/wire"
)

// Frame is the size of an eyewear frame in millimetres, as printed on the
// temple.
type Frame struct {
	LensWidthMM float64 `json:"lens_width_mm"`
	BridgeMM    float64 `json:"bridge_mm"`
	TempleMM    float64 `json:"temple_mm"`
}

// Record is one catalog.json entry.
type Record struct {
	SKU         string          `json:"sku"`
	Name        string          `json:"name"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Price       float64         `json:"price"`
	Currency    string          `json:"currency"`
	DimensionsM wire.Dimensions `json:"dimensions_m"`
	Placement   string          `json:"placement"`
	Model       string          `json:"model"`
	Photos      []string        `json:"photos"`
	Frame       *Frame          `json:"frame,omitempty"`
}

// view is a photo angle: yaw and pitch in degrees (see render.FrameCamera).
type view struct{ yaw, pitch float64 }

// spec describes a product to generate.
type spec struct {
	sku, name, category, description string
	price                            float64
	placement                        string
	// dims is the exact outer size (W, H, D) in metres the model is
	// scaled to.
	dims  vec3
	frame *Frame
	build func() *model
	// views are the three photo angles, the first the poster.
	views [3]view
}

var (
	standing = [3]view{{35, 18}, {-42, 12}, {0, 6}}
	onWall   = [3]view{{22, 6}, {-35, 4}, {0, 0}}
)

func specs() []spec {
	return []spec{
		{sku: "chair-oak", name: "Fjord Oak Dining Chair", category: "chairs", price: 189, placement: wire.PlacementFloor,
			description: "Solid oak dining chair with a curved two-rail back and a mustard woven seat pad.",
			dims:        vec3{0.45, 0.9, 0.52}, build: diningChair, views: standing},
		{sku: "sofa-harbour", name: "Harbour Three-Seat Sofa", category: "sofas", price: 1290, placement: wire.PlacementFloor,
			description: "Deep three-seat sofa in slate-blue woven fabric with plump cushions on tapered walnut legs.",
			dims:        vec3{2.1, 0.85, 0.92}, build: sofa, views: [3]view{{30, 16}, {-38, 12}, {0, 8}}},
		{sku: "table-oak-160", name: "Long Oak Dining Table", category: "tables", price: 890, placement: wire.PlacementFloor,
			description: "Six-seat oak dining table, 160 × 90 cm, with softened edges and tapered legs.",
			dims:        vec3{1.6, 0.75, 0.9}, build: diningTable, views: [3]view{{32, 22}, {-45, 16}, {0, 10}}},
		{sku: "lamp-arc-brass", name: "Halo Brass Floor Lamp", category: "lighting", price: 249, placement: wire.PlacementFloor,
			description: "Brushed brass floor lamp with a weighted black base and a natural linen drum shade.",
			dims:        vec3{0.45, 1.6, 0.45}, build: floorLamp, views: [3]view{{30, 12}, {-40, 8}, {0, 4}}},
		{sku: "bookshelf-walnut", name: "Atlas Walnut Bookcase", category: "storage", price: 540, placement: wire.PlacementFloor,
			description: "Five-shelf walnut bookcase, 80 cm wide and 180 cm tall, shown with books.",
			dims:        vec3{0.8, 1.8, 0.32}, build: bookshelf, views: [3]view{{28, 10}, {-35, 8}, {0, 4}}},
		{sku: "art-dusk-print", name: "Dusk Hills Framed Print", category: "wall art", price: 129, placement: wire.PlacementWall,
			description: "Giclée landscape print in a dark walnut frame with a white mat, 70 × 50 cm.",
			dims:        vec3{0.7, 0.5, 0.03}, build: framedArt, views: onWall},
		{sku: "mug-sage", name: "Sage Speckled Mug", category: "kitchen", price: 18, placement: wire.PlacementTable,
			description: "Hand-glazed stoneware mug in speckled sage, 350 ml.",
			dims:        vec3{0.12, 0.095, 0.085}, build: mug, views: [3]view{{35, 20}, {0, 8}, {140, 25}}},
		{sku: "vase-tide", name: "Tide Drip-Glaze Vase", category: "decor", price: 64, placement: wire.PlacementTable,
			description: "Bellied stoneware vase with a cream glaze dripping over deep teal, 30 cm tall.",
			dims:        vec3{0.16, 0.3, 0.16}, build: vase, views: standing},
		{sku: "glasses-tortoise", name: "Marlow Tortoiseshell Sunglasses", category: "eyewear", price: 145, placement: wire.PlacementFace,
			description: "Acetate sunglasses in classic tortoiseshell with tinted lenses. Frame 52-18-140.",
			dims:        vec3{0.14, 0.045, 0.145}, frame: &Frame{LensWidthMM: 52, BridgeMM: 18, TempleMM: 140},
			build: glasses, views: [3]view{{28, 14}, {-60, 12}, {0, 3}}},
		{sku: "watch-navy", name: "Meridian Navy Dial Watch", category: "watches", price: 320, placement: wire.PlacementWrist,
			description: "40 mm brushed steel watch with a navy sunburst dial on a tan leather strap.",
			dims:        vec3{0.045, 0.012, 0.24}, build: watch, views: [3]view{{25, 42}, {-50, 30}, {90, 70}}},
		{sku: "sneaker-navy", name: "Stride Knit Sneaker", category: "shoes", price: 110, placement: wire.PlacementFeet,
			description: "Lightweight knit running shoe in navy with a cushioned white sole. EU 43 shown.",
			dims:        vec3{0.11, 0.11, 0.29}, build: sneaker, views: [3]view{{60, 18}, {95, 6}, {-35, 25}}},
	}
}

// Options controls Generate.
type Options struct {
	// Photos renders the product photos; without it only catalog.json and
	// the models are written (and catalog.json still names the photos).
	Photos bool
}

// Generate writes catalog.json, models/*.glb and (with opt.Photos)
// photos/*.jpg under dir, replacing earlier generated files.
func Generate(ctx context.Context, dir string, opt Options) error {
	for _, sub := range []string{"models", "photos"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("catalogen: %w", err)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "models", "*.glb"))
	if opt.Photos {
		photos, _ := filepath.Glob(filepath.Join(dir, "photos", "*.jpg"))
		stale = append(stale, photos...)
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("catalogen: remove stale %s: %w", f, err)
		}
	}
	var records []Record
	for i, s := range specs() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("catalogen: %w", err)
		}
		p, err := buildProduct(s)
		if err != nil {
			return fmt.Errorf("catalogen: %s: %w", s.sku, err)
		}
		rec := Record{
			SKU: s.sku, Name: s.name, Category: s.category, Description: s.description,
			Price: s.price, Currency: "EUR", Placement: s.placement,
			DimensionsM: wire.Dimensions{W: s.dims[0], H: s.dims[1], D: s.dims[2]},
			Model:       s.sku + ".glb", Frame: s.frame,
		}
		if err := os.WriteFile(filepath.Join(dir, "models", rec.Model), p.glb, 0o644); err != nil {
			return fmt.Errorf("catalogen: %s: %w", s.sku, err)
		}
		for k, v := range s.views {
			name := fmt.Sprintf("%s-%d.jpg", s.sku, k+1)
			rec.Photos = append(rec.Photos, name)
			if !opt.Photos {
				continue
			}
			photo, err := p.photo(ctx, s, v, backdrops[(i*3+k*5)%len(backdrops)])
			if err != nil {
				return fmt.Errorf("catalogen: %s photo %d: %w", s.sku, k+1, err)
			}
			if err := os.WriteFile(filepath.Join(dir, "photos", name), photo, 0o644); err != nil {
				return fmt.Errorf("catalogen: %s: %w", s.sku, err)
			}
		}
		records = append(records, rec)
	}
	js, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		return fmt.Errorf("catalogen: encode catalog: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("catalogen: %w", err)
	}
	return nil
}

// product is a generated product: its normalised parts with textures, and
// the GLB.
type product struct {
	parts    []part
	textures map[string]*image.NRGBA
	lo, hi   [3]float64
	glb      []byte
}

// buildProduct builds, normalises and encodes s.
func buildProduct(s spec) (*product, error) {
	md := s.build()
	if len(md.parts) == 0 {
		return nil, fmt.Errorf("model has no parts")
	}
	normalise(md, s)
	p := &product{parts: md.parts, textures: map[string]*image.NRGBA{}}
	// Store positions as float32 now, so the photos, the GLB and the
	// measured bounds agree exactly.
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, pt := range md.parts {
		for i, v := range pt.mesh.pos {
			for k := 0; k < 3; k++ {
				v[k] = float64(float32(v[k]))
				lo[k], hi[k] = math.Min(lo[k], v[k]), math.Max(hi[k], v[k])
			}
			pt.mesh.pos[i] = v
		}
	}
	for k := 0; k < 3; k++ {
		if d := hi[k] - lo[k] - s.dims[k]; math.Abs(d) > 1e-6 {
			return nil, fmt.Errorf("axis %d measures %.9f m after normalising, want %.9f", k, hi[k]-lo[k], s.dims[k])
		}
	}
	p.lo, p.hi = lo, hi
	for _, pt := range md.parts {
		if pt.mat.texture != nil && p.textures[pt.mat.name] == nil {
			p.textures[pt.mat.name] = pt.mat.texture()
		}
	}
	glb, err := p.encode(s)
	if err != nil {
		return nil, err
	}
	p.glb = glb
	return p, nil
}

// normalise scales and moves md so its bounds are exactly s.dims, placed
// by the origin convention of s.placement: floor, table and feet items
// stand on y=0 centred in x and z; wall items hang with their back on z=0,
// bottom on y=0, centred in x; face and wrist items are centred.
func normalise(md *model, s spec) {
	lo := vec3{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := vec3{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, pt := range md.parts {
		for _, v := range pt.mesh.pos {
			for k := 0; k < 3; k++ {
				lo[k], hi[k] = math.Min(lo[k], v[k]), math.Max(hi[k], v[k])
			}
		}
	}
	want := vec3{-s.dims[0] / 2, 0, -s.dims[2] / 2}
	switch s.placement {
	case wire.PlacementWall:
		want[2] = 0
	case wire.PlacementFace, wire.PlacementWrist:
		want[1] = -s.dims[1] / 2
	}
	var scale, shift vec3
	for k := 0; k < 3; k++ {
		scale[k] = s.dims[k] / (hi[k] - lo[k])
		shift[k] = want[k] - scale[k]*lo[k]
	}
	a := scaling(scale[0], scale[1], scale[2])
	a.t = shift
	for _, pt := range md.parts {
		pt.mesh.transform(a)
		// Pin the extremes exactly to the wanted bounds, so rounding in
		// the transform cannot leave the size a hair off.
		for i, v := range pt.mesh.pos {
			for k := 0; k < 3; k++ {
				if math.Abs(v[k]-want[k]) < 1e-9 {
					v[k] = want[k]
				}
				if math.Abs(v[k]-(want[k]+s.dims[k])) < 1e-9 {
					v[k] = want[k] + s.dims[k]
				}
			}
			pt.mesh.pos[i] = v
		}
	}
}

// groups merges the parts that share a material, in first-use order.
func (p *product) groups() ([]*material, map[*material]*mesh) {
	var order []*material
	merged := map[*material]*mesh{}
	for _, pt := range p.parts {
		m, ok := merged[pt.mat]
		if !ok {
			m = &mesh{}
			merged[pt.mat] = m
			order = append(order, pt.mat)
		}
		m.merge(pt.mesh)
	}
	return order, merged
}

func (p *product) uv(mat *material, uv vec2) [2]float32 {
	if mat.tileM > 0 {
		return [2]float32{float32(uv[0] / mat.tileM), float32(uv[1] / mat.tileM)}
	}
	return [2]float32{float32(uv[0]), float32(uv[1])}
}

// encode writes the product as a GLB: one mesh with a primitive per
// material under one root node.
func (p *product) encode(s spec) ([]byte, error) {
	b := gltf.NewBuilder("vitrine sample catalog generator")
	order, merged := p.groups()
	var prims []gltf.PrimitiveData
	for _, mat := range order {
		spec := gltf.MaterialSpec{
			Name: mat.name, BaseColor: mat.base, Metallic: mat.metallic, Roughness: mat.roughness,
			BaseColorTexture: gltf.NoTexture, MetallicRoughnessTexture: gltf.NoTexture, NormalTexture: gltf.NoTexture,
		}
		if img := p.textures[mat.name]; img != nil {
			var data []byte
			var err error
			if mat.pngTexture {
				data, err = encodePNG(img)
			} else {
				data, err = encodeJPEG(img, 88)
			}
			if err != nil {
				return nil, fmt.Errorf("texture %s: %w", mat.name, err)
			}
			im, err := b.AddImage(mat.name, data)
			if err != nil {
				return nil, err
			}
			if spec.BaseColorTexture, err = b.AddTexture(im); err != nil {
				return nil, err
			}
		}
		mi, err := b.AddMaterial(spec)
		if err != nil {
			return nil, err
		}
		m := merged[mat]
		prim := gltf.PrimitiveData{Material: mi}
		for i := range m.pos {
			prim.Positions = append(prim.Positions, [3]float32{float32(m.pos[i][0]), float32(m.pos[i][1]), float32(m.pos[i][2])})
			n := m.nrm[i].norm()
			prim.Normals = append(prim.Normals, [3]float32{float32(n[0]), float32(n[1]), float32(n[2])})
			if p.textures[mat.name] != nil {
				prim.UVs = append(prim.UVs, p.uv(mat, m.uv[i]))
			}
		}
		prim.Indices = m.idx
		prims = append(prims, prim)
	}
	mesh, err := b.AddMesh(s.sku, prims)
	if err != nil {
		return nil, err
	}
	node, err := b.AddNode(gltf.NodeSpec{Name: s.name, Mesh: mesh})
	if err != nil {
		return nil, err
	}
	if err := b.AddToScene(node); err != nil {
		return nil, err
	}
	return b.GLB()
}

// scene converts the product for the renderer; flatten, when set, squashes
// every position onto the plane where the product rests (for its shadow).
func (p *product) scene(s spec, flatten bool) render.Scene {
	var sc render.Scene
	order, merged := p.groups()
	for _, mat := range order {
		m := merged[mat]
		rm := render.Mesh{Indices: m.idx, Material: render.Material{
			BaseColor: [4]float32{float32(mat.base[0]), float32(mat.base[1]), float32(mat.base[2]), 1},
			Metallic:  float32(mat.metallic), Roughness: float32(mat.roughness),
		}}
		if img := p.textures[mat.name]; img != nil {
			rm.Material.BaseColorTexture = img
		}
		for i := range m.pos {
			pos := m.pos[i]
			if flatten {
				if s.placement == wire.PlacementWall {
					pos[2] = p.lo[2]
				} else {
					pos[1] = p.lo[1]
				}
			}
			rm.Positions = append(rm.Positions, [3]float32{float32(pos[0]), float32(pos[1]), float32(pos[2])})
			rm.Normals = append(rm.Normals, [3]float32{float32(m.nrm[i][0]), float32(m.nrm[i][1]), float32(m.nrm[i][2])})
			rm.UVs = append(rm.UVs, p.uv(mat, m.uv[i]))
		}
		sc.Meshes = append(sc.Meshes, rm)
	}
	return sc
}

// backdrop is a studio background: a vertical gradient of light tones.
type backdrop struct{ top, bottom rgb }

var backdrops = []backdrop{
	{hexRGB(0xF4F1EC), hexRGB(0xDCD6CC)}, // warm white
	{hexRGB(0xEEF2F5), hexRGB(0xCFD8E0)}, // pale blue
	{hexRGB(0xF5EEE6), hexRGB(0xE3D3C1)}, // sand
	{hexRGB(0xEDF3EE), hexRGB(0xD2DFD5)}, // mint
	{hexRGB(0xF6EDEC), hexRGB(0xE6D2D0)}, // blush
	{hexRGB(0xF2F2F2), hexRGB(0xD9D9D9)}, // light grey
	{hexRGB(0xF3F0F7), hexRGB(0xDAD3E5)}, // lilac
}

const photoSize = 512

// photo renders one studio photo of p as a JPEG.
func (p *product) photo(ctx context.Context, s spec, v view, bd backdrop) ([]byte, error) {
	cam := render.FrameCamera(p.lo, p.hi, v.yaw, v.pitch, 30, 1)
	// Leave a little more air around the product than FrameCamera's
	// margin: step back by 8%.
	for k := 0; k < 3; k++ {
		cam.Eye[k] = cam.Target[k] + (cam.Eye[k]-cam.Target[k])*1.08
	}
	cam.Far *= 1.1
	opt := render.Options{Width: photoSize, Height: photoSize, Supersample: 2}
	object, err := render.Render(ctx, p.scene(s, false), cam, opt)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	shadowOpt := opt
	shadowOpt.Supersample = 1
	shadowImg, err := render.Render(ctx, p.scene(s, true), cam, shadowOpt)
	if err != nil {
		return nil, fmt.Errorf("render shadow: %w", err)
	}
	shadow := make([]float64, photoSize*photoSize)
	for i := range shadow {
		shadow[i] = float64(shadowImg.Pix[4*i+3]) / 255
	}
	dx, dy := 0, 0
	if s.placement == wire.PlacementWall {
		dx, dy = 6, 10 // light from the upper left casts down and right
	}
	contact := boxBlur(shift(shadow, dx/2, dy/2), 3, 3)
	soft := boxBlur(shift(shadow, dx, dy), 14, 3)

	out := image.NewNRGBA(image.Rect(0, 0, photoSize, photoSize))
	for y := 0; y < photoSize; y++ {
		t := float64(y) / (photoSize - 1)
		row := bd.top.mix(bd.bottom, t*t*(3-2*t))
		for x := 0; x < photoSize; x++ {
			// A soft vignette darkens the corners slightly.
			cx, cy := float64(x)/photoSize-0.5, float64(y)/photoSize-0.45
			c := row.scale(1 - 0.1*(cx*cx+cy*cy))
			i := y*photoSize + x
			c = c.scale(1 - 0.35*contact[i] - 0.25*soft[i])
			out.SetNRGBA(x, y, c.nrgba())
		}
	}
	// The backdrop is opaque, so compositing onto an RGBA copy of it keeps
	// it opaque and gives the JPEG encoder its fast path.
	photo := image.NewRGBA(out.Rect)
	draw.Draw(photo, photo.Rect, out, image.Point{}, draw.Src)
	draw.Draw(photo, photo.Rect, object, image.Point{}, draw.Over)
	return encodeJPEG(photo, 85)
}

// shift moves a square mask by (dx, dy) pixels, filling with zero.
func shift(mask []float64, dx, dy int) []float64 {
	n := photoSize
	out := make([]float64, len(mask))
	for y := 0; y < n; y++ {
		sy := y - dy
		if sy < 0 || sy >= n {
			continue
		}
		for x := 0; x < n; x++ {
			sx := x - dx
			if sx >= 0 && sx < n {
				out[y*n+x] = mask[sy*n+sx]
			}
		}
	}
	return out
}

// boxBlur blurs a square mask with passes of a separable box filter of
// the given radius (three passes approximate a Gaussian).
func boxBlur(mask []float64, radius, passes int) []float64 {
	n := photoSize
	cur := append([]float64(nil), mask...)
	tmp := make([]float64, len(mask))
	width := float64(2*radius + 1)
	for p := 0; p < passes; p++ {
		for y := 0; y < n; y++ {
			sum := 0.0
			for x := -radius; x <= radius; x++ {
				sum += at(cur, x, y)
			}
			for x := 0; x < n; x++ {
				tmp[y*n+x] = sum / width
				sum += at(cur, x+radius+1, y) - at(cur, x-radius, y)
			}
		}
		for x := 0; x < n; x++ {
			sum := 0.0
			for y := -radius; y <= radius; y++ {
				sum += at(tmp, x, y)
			}
			for y := 0; y < n; y++ {
				cur[y*n+x] = sum / width
				sum += at(tmp, x, y+radius+1) - at(tmp, x, y-radius)
			}
		}
	}
	return cur
}

func at(mask []float64, x, y int) float64 {
	if x < 0 || y < 0 || x >= photoSize || y >= photoSize {
		return 0
	}
	return mask[y*photoSize+x]
}

// SKUs lists the generated products' SKUs in catalog order.
func SKUs() []string {
	var out []string
	for _, s := range specs() {
		out = append(out, s.sku)
	}
	return out
}

// Photo renders photo k (0-based) of the product sku as JPEG bytes, the
// same bytes Generate writes; it lets tests check determinism cheaply.
func Photo(ctx context.Context, sku string, k int) ([]byte, error) {
	for i, s := range specs() {
		if !strings.EqualFold(s.sku, sku) {
			continue
		}
		if k < 0 || k >= len(s.views) {
			return nil, fmt.Errorf("catalogen: %s has no photo %d", sku, k)
		}
		p, err := buildProduct(s)
		if err != nil {
			return nil, fmt.Errorf("catalogen: %s: %w", sku, err)
		}
		return p.photo(ctx, s, s.views[k], backdrops[(i*3+k*5)%len(backdrops)])
	}
	return nil, fmt.Errorf("catalogen: unknown SKU %q", sku)
}
