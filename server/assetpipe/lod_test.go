package assetpipe

import (
	"context"
	"encoding/json"
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
	src, err := gltf.Parse(tinyGLB(t), gltf.DefaultLimits())
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
