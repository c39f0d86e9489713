package assetpipe

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

type sampleProduct struct {
	SKU         string          `json:"sku"`
	DimensionsM wire.Dimensions `json:"dimensions_m"`
	Placement   string          `json:"placement"`
	Model       string          `json:"model"`
}

// sampleCatalog reads the sample catalog's products that have a model.
func sampleCatalog(t testing.TB) []sampleProduct {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "assets", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all, out []sampleProduct
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if p.Model != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("the sample catalog has no models")
	}
	return out
}

func readSample(t testing.TB, p sampleProduct) ([]byte, *gltf.Asset) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "assets", "models", p.Model))
	if err != nil {
		t.Fatal(err)
	}
	a, err := gltf.Parse(data, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return data, a
}

// TestBuildLODsQuantisesAndDecodes checks the written document on a quad
// whose UVs leave [0,1]: quantised attributes, the decoding node, the
// root normalisation node, and that decoding gives back the positions.
func TestBuildLODsQuantisesAndDecodes(t *testing.T) {
	src, err := gltf.Parse(texturedQuadGLB(t, [4]uint8{200, 120, 60, 255}, false), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, _ := src.Bounds()
	norm := Normalise(lo, hi, wire.Dimensions{}, wire.PlacementFloor)
	lods, _, err := BuildLODs(context.Background(), src, LODOptions{Levels: []Level{{Ratio: 1}}, Root: &norm.Transform})
	if err != nil {
		t.Fatal(err)
	}
	a, err := gltf.ParseGLB(lods[0].GLB, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(a.Doc.ExtensionsRequired, gltf.ExtMeshQuantization) {
		t.Errorf("required %v lacks KHR_mesh_quantization", a.Doc.ExtensionsRequired)
	}
	prim := a.Doc.Meshes[0].Primitives[0]
	if ct := a.Doc.Accessors[prim.Attributes["POSITION"]].ComponentType; ct != gltf.ComponentUnsignedShort {
		t.Errorf("POSITION component type %d", ct)
	}
	if ct := a.Doc.Accessors[prim.Attributes["NORMAL"]].ComponentType; ct != gltf.ComponentByte {
		t.Errorf("NORMAL component type %d", ct)
	}
	// Floor convention: the 1×1 quad (lifted by 1 in the source) now
	// stands on y=0, centred in x.
	blo, bhi, _ := a.Bounds()
	want := [2][3]float64{{-0.5, 0, 0}, {0.5, 1, 0}}
	for c := range 3 {
		if math.Abs(blo[c]-want[0][c]) > 1e-4 || math.Abs(bhi[c]-want[1][c]) > 1e-4 {
			t.Fatalf("bounds %v..%v, want %v", blo, bhi, want)
		}
	}
	// Decoded UVs are the source's, through the UV grid.
	uvs, err := a.ReadVec2(prim.Attributes["TEXCOORD_0"])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newLODBuilder(src, mustMeshes(t, src), LODOptions{PositionBits: 14})
	if !b.uvQuant {
		t.Fatal("UVs outside [0,1] were not given a decoding transform")
	}
	for _, uv := range uvs {
		d := b.uvGrid.apply(uv)
		if (math.Abs(float64(d[0])+1) > 1e-4 && math.Abs(float64(d[0])-2) > 1e-4) || (math.Abs(float64(d[1])) > 1e-4 && math.Abs(float64(d[1])-3) > 1e-4) {
			t.Errorf("decoded UV %v is not a corner of [-1,2]×[0,3]", d)
		}
	}
	for name, r := range khronosValidate(t, map[string][]byte{"quad": lods[0].GLB}) {
		if r.Errors > 0 {
			t.Errorf("%s: %d validator errors:%s", name, r.Errors, errorsOf(r))
		}
	}
}

func mustMeshes(t *testing.T, a *gltf.Asset) []meshGeometry {
	t.Helper()
	m, _, err := readMeshes(a)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// texturedQuadGLB is tinyGLB's quad (lifted by 1, UVs over [-1,2]×[0,3])
// with normals leaning apart, so that they are not the face's, and a
// 64-pixel texture read by its material: of one colour c, or with
// quarters of c and its complement when detailed.
func texturedQuadGLB(t *testing.T, c [4]uint8, detailed bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			px := color.NRGBA{c[0], c[1], c[2], c[3]}
			if detailed && (x < 32) != (y < 32) {
				px = color.NRGBA{255 - c[0], 255 - c[1], 255 - c[2], c[3]}
			}
			img.SetNRGBA(x, y, px)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := gltf.NewBuilder("")
	im, err := b.AddImage("solid", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	tex, _ := b.AddTexture(im)
	mat, err := b.AddMaterial(gltf.MaterialSpec{Name: "solid", BaseColor: [4]float64{1, 1, 1, 1}, Roughness: 0.5, BaseColorTexture: tex, MetallicRoughnessTexture: -1, NormalTexture: -1})
	if err != nil {
		t.Fatal(err)
	}
	const s = 0.6 // normals lean out by about 31 degrees
	mesh, err := b.AddMesh("quad", []gltf.PrimitiveData{{
		Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}},
		Normals:   [][3]float32{{-s, -s, 1}, {s, -s, 1}, {s, s, 1}, {-s, s, 1}},
		UVs:       [][2]float32{{-1, 0}, {2, 0}, {2, 3}, {-1, 3}},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
		Material:  mat,
	}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := b.AddNode(gltf.NodeSpec{Mesh: mesh, Translation: []float64{0, 1, 0}})
	_ = b.AddToScene(n)
	glb, err := b.GLB()
	if err != nil {
		t.Fatal(err)
	}
	return glb
}

// TestBuildLODsDropsWhatViewersRecompute checks the lossless savings: a
// flat-shaded, untextured quad whose two triangles repeat their shared
// corners is written with its four distinct vertices, no normals (glTF
// viewers compute flat ones) and no texture coordinates (nothing reads
// them), and all its attributes share few buffer views.
func TestBuildLODsDropsWhatViewersRecompute(t *testing.T) {
	b := gltf.NewBuilder("")
	up := [3]float32{0, 0, 1}
	mesh, err := b.AddMesh("quad", []gltf.PrimitiveData{{
		Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 1, 0}},
		Normals:   [][3]float32{up, up, up, up, up, up},
		UVs:       [][2]float32{{0, 0}, {1, 0}, {1, 1}, {0, 0}, {1, 1}, {0, 1}},
		Indices:   []uint32{0, 1, 2, 3, 4, 5},
		Material:  -1,
	}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := b.AddNode(gltf.NodeSpec{Mesh: mesh})
	_ = b.AddToScene(n)
	glb, err := b.GLB()
	if err != nil {
		t.Fatal(err)
	}
	src, err := gltf.Parse(glb, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	lods, _, err := BuildLODs(context.Background(), src, LODOptions{Levels: []Level{{Ratio: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := gltf.ParseGLB(lods[0].GLB, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	prim := a.Doc.Meshes[0].Primitives[0]
	if _, ok := prim.Attributes["NORMAL"]; ok {
		t.Error("a flat-shaded primitive kept its normals")
	}
	if _, ok := prim.Attributes["TEXCOORD_0"]; ok {
		t.Error("an untextured primitive kept its texture coordinates")
	}
	if lods[0].Vertices != 4 || lods[0].Triangles != 2 {
		t.Errorf("%d vertices and %d triangles, want the 4 distinct corners and 2 triangles", lods[0].Vertices, lods[0].Triangles)
	}
	if len(a.Doc.BufferViews) != 2 {
		t.Errorf("%d buffer views, want 2 (positions, indices)", len(a.Doc.BufferViews))
	}
	for name, r := range khronosValidate(t, map[string][]byte{"welded": lods[0].GLB}) {
		if r.Errors > 0 {
			t.Errorf("%s: %d validator errors:%s", name, r.Errors, errorsOf(r))
		}
	}
}

// TestCoarsestLevelBudget checks that the coarsest level keeps within its
// share of the upload: a texture of one colour becomes that colour in
// the material (decoded from sRGB), the texture and its image leave the
// level, and the level stays valid; with a generous budget the texture
// stays.
func TestCoarsestLevelBudget(t *testing.T) {
	src, err := gltf.Parse(texturedQuadGLB(t, [4]uint8{200, 120, 60, 255}, false), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	levels := []Level{{Ratio: 1}, {Ratio: 1, MaxTextureSide: 32}}
	lods, _, err := BuildLODs(context.Background(), src, LODOptions{Levels: levels})
	if err != nil {
		t.Fatal(err)
	}
	if len(lods) != 2 {
		t.Fatalf("%d levels, want 2", len(lods))
	}
	last := lods[len(lods)-1]
	a, err := gltf.ParseGLB(last.GLB, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Doc.Images) != 0 || len(a.Doc.Textures) != 0 || len(a.Doc.Samplers) != 0 {
		t.Errorf("coarsest level kept %d images, %d textures, %d samplers of a one-colour texture", len(a.Doc.Images), len(a.Doc.Textures), len(a.Doc.Samplers))
	}
	pbr := a.Doc.Materials[0].PBRMetallicRoughness
	if pbr == nil || pbr.BaseColorTexture != nil || len(pbr.BaseColorFactor) != 4 {
		t.Fatalf("material %+v: want a base colour factor and no texture", pbr)
	}
	for c, want := range []float64{srgbToLinear(200.0 / 255), srgbToLinear(120.0 / 255), srgbToLinear(60.0 / 255), 1} {
		if math.Abs(pbr.BaseColorFactor[c]-want) > 2e-3 {
			t.Errorf("base colour %v, want %.4f in channel %d", pbr.BaseColorFactor, want, c)
		}
	}
	if slices.Contains(a.Doc.ExtensionsRequired, "KHR_texture_transform") {
		t.Error("KHR_texture_transform is required with no texture left")
	}
	if _, ok := a.Doc.Meshes[0].Primitives[0].Attributes["TEXCOORD_0"]; !ok {
		t.Error("the coarsest level dropped texture coordinates its finer levels have")
	}
	// A texture with detail stays on a coarsest level within its budget,
	// and becomes its mean colour when nothing else brings the level
	// under the budget.
	detailed, err := gltf.Parse(texturedQuadGLB(t, [4]uint8{200, 120, 60, 255}, true), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"flat": last.GLB}
	for _, tt := range []struct {
		name     string
		opts     LODOptions
		textured bool
	}{
		{"generous", LODOptions{Levels: levels, MaxCoarsestFraction: 10}, true},
		{"tight", LODOptions{Levels: levels, MaxCoarsestBytes: 1}, false},
	} {
		lods, _, err := BuildLODs(context.Background(), detailed, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		l := lods[len(lods)-1]
		b, err := gltf.ParseGLB(l.GLB, gltf.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if got := len(b.Doc.Images) == 1; got != tt.textured {
			t.Errorf("%s budget: coarsest level has %d images, want textured %v", tt.name, len(b.Doc.Images), tt.textured)
		}
		files[tt.name] = l.GLB
	}
	for name, r := range khronosValidate(t, files) {
		if r.Errors > 0 {
			t.Errorf("%s: %d validator errors:%s", name, r.Errors, errorsOf(r))
		}
	}
}

// TestHalveYCbCrMatchesRGB checks the direct Y'CbCr halving against
// converting to RGB first and halving that, for 4:2:0 and 4:4:4 images
// of odd sizes within the RGB gamut: within rounding (2 levels of 255).
func TestHalveYCbCrMatchesRGB(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444} {
		yc := image.NewYCbCr(image.Rect(0, 0, 37, 21), ratio)
		// A photo-like image: luma and chroma vary from pixel to pixel
		// but stay within the RGB gamut.
		for i := range yc.Y {
			yc.Y[i] = uint8(60 + i*7%120)
		}
		for i := range yc.Cb {
			yc.Cb[i], yc.Cr[i] = uint8(110+i*13%40), uint8(140-i*5%40)
		}
		got, want := halveYCbCr(yc), halve(toNRGBA(yc))
		if got.Rect != want.Rect {
			t.Fatalf("%v: %v, want %v", ratio, got.Rect, want.Rect)
		}
		for i := range got.Pix {
			if d := int(got.Pix[i]) - int(want.Pix[i]); d < -2 || d > 2 {
				t.Fatalf("%v: byte %d is %d, want %d±2", ratio, i, got.Pix[i], want.Pix[i])
			}
		}
	}
}
