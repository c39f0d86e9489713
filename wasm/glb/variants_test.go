package glb

import (
	"errors"
	"fmt"
	"image/color"
	"testing"
)

// variantChair is a hand-built GLB with KHR_materials_variants: a seat
// and legs, three variants. "Walnut" changes both; "Red" gives the seat a
// textured fabric whose KHR_texture_transform scales the UVs by 2 and the
// legs walnut; "Oak" is the default look and maps nothing.
func variantChair(t testing.TB, docExt map[string]any, seatMappings []any) []byte {
	t.Helper()
	var b builder
	pos := b.floats("VEC3", quadPositions...)
	uv := b.floats("VEC2", 0, 1, 1, 1, 1, 0, 0, 0)
	idx := b.indices16(0, 1, 2, 0, 2, 3)
	legPos := b.floats("VEC3", quadPositions...)
	img := b.view(pngBytes(t, 2, 2, color.NRGBA{180, 20, 20, 255}), 0)
	if docExt == nil {
		docExt = map[string]any{"variants": []any{
			map[string]any{"name": "Oak"}, map[string]any{"name": "Walnut"}, map[string]any{"name": "Red"},
		}}
	}
	if seatMappings == nil {
		seatMappings = []any{
			map[string]any{"material": 1, "variants": []int{1}},
			map[string]any{"material": 2, "variants": []int{2}},
		}
	}
	solid := func(name string, r, g, b float64) map[string]any {
		return map[string]any{"name": name, "pbrMetallicRoughness": map[string]any{"baseColorFactor": []float64{r, g, b, 1}}}
	}
	return b.glb(t, map[string]any{
		"extensionsUsed": []string{extMaterialsVariants, extTextureTransform},
		"extensions":     map[string]any{extMaterialsVariants: docExt},
		"scene":          0,
		"scenes":         []any{map[string]any{"nodes": []int{0, 1}}},
		"nodes":          []any{map[string]any{"mesh": 0}, map[string]any{"mesh": 1}},
		"meshes": []any{
			map[string]any{"name": "seat", "primitives": []any{map[string]any{
				"attributes": map[string]int{"POSITION": pos, "TEXCOORD_0": uv},
				"indices":    idx, "material": 0,
				"extensions": map[string]any{extMaterialsVariants: map[string]any{"mappings": seatMappings}},
			}}},
			map[string]any{"name": "legs", "primitives": []any{map[string]any{
				"attributes": map[string]int{"POSITION": legPos},
				"indices":    idx, "material": 0,
				"extensions": map[string]any{extMaterialsVariants: map[string]any{"mappings": []any{
					map[string]any{"material": 1, "variants": []int{1, 2}},
				}}},
			}}},
		},
		"materials": []any{
			solid("oak", 0.8, 0.6, 0.4),
			solid("walnut", 0.3, 0.2, 0.1),
			map[string]any{"name": "red fabric", "pbrMetallicRoughness": map[string]any{
				"baseColorTexture": map[string]any{"index": 0, "extensions": map[string]any{
					extTextureTransform: map[string]any{"scale": []float64{2, 2}},
				}},
			}},
		},
		"textures": []any{map[string]any{"source": 0}},
		"images":   []any{map[string]any{"bufferView": img, "mimeType": "image/png"}},
	})
}

func TestDecodeMaterialVariants(t *testing.T) {
	m, err := Decode(variantChair(t, nil, nil), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Variants) != "[Oak Walnut Red]" {
		t.Fatalf("Variants = %q, want Oak, Walnut, Red", m.Variants)
	}
	if len(m.Meshes) != 2 || m.Meshes[0].Name != "seat" || m.Meshes[1].Name != "legs" {
		t.Fatalf("meshes %d, want the seat and the legs", len(m.Meshes))
	}
	seat, legs := &m.Meshes[0], &m.Meshes[1]
	baseUV := []float32{0, 1, 1, 1, 1, 0, 0, 0}
	tests := []struct {
		variant          int
		seatMat, legsMat int
		seatUV           []float32
	}{
		{-1, 0, 0, baseUV},
		{0, 0, 0, baseUV}, // Oak maps nothing: the defaults
		{1, 1, 1, baseUV},
		{2, 2, 1, []float32{0, 2, 2, 2, 2, 0, 0, 0}}, // the fabric's transform
		{7, 0, 0, baseUV}, // unknown: the defaults
	}
	for _, tc := range tests {
		mat, uv := seat.Variant(tc.variant)
		if mat != tc.seatMat || !equalFloats(uv, tc.seatUV) {
			t.Errorf("seat in variant %d: material %d UVs %v, want %d %v", tc.variant, mat, uv, tc.seatMat, tc.seatUV)
		}
		if mat, uv := legs.Variant(tc.variant); mat != tc.legsMat || uv != nil {
			t.Errorf("legs in variant %d: material %d UVs %v, want %d and none", tc.variant, mat, uv, tc.legsMat)
		}
	}
	if !equalFloats(seat.UVs, baseUV) {
		t.Errorf("the seat's default UVs changed to %v", seat.UVs)
	}
	if m.HasVariant(0) || !m.HasVariant(1) || !m.HasVariant(2) {
		t.Errorf("HasVariant = %v %v %v, want false true true", m.HasVariant(0), m.HasVariant(1), m.HasVariant(2))
	}

	if got := m.DefaultVariant(); got != 0 {
		t.Errorf("DefaultVariant = %d, want Oak (0), which maps nothing", got)
	}
	if got := m.Swatch(1); got != [3]float32{0.3, 0.2, 0.1} {
		t.Errorf("Swatch(Walnut) = %v", got)
	}
	if got := m.Swatch(0); got != [3]float32{0.8, 0.6, 0.4} {
		t.Errorf("Swatch(Oak) = %v, want the seat's default oak", got)
	}

	// A model without the extension has no variants.
	plain, err := Decode(quadModel(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Variants != nil || plain.Meshes[0].Variants != nil {
		t.Errorf("plain model has variants %v / %v", plain.Variants, plain.Meshes[0].Variants)
	}
}

func TestDecodeMaterialVariantsRejects(t *testing.T) {
	many := make([]any, maxVariants+1)
	for i := range many {
		many[i] = map[string]any{"name": fmt.Sprint("v", i)}
	}
	long := make([]byte, maxVariantName+1)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name     string
		docExt   map[string]any
		mappings []any
		want     error
	}{
		{"material out of range", nil, []any{map[string]any{"material": 9, "variants": []int{1}}}, ErrInvalid},
		{"no material", nil, []any{map[string]any{"variants": []int{1}}}, ErrInvalid},
		{"variant out of range", nil, []any{map[string]any{"material": 1, "variants": []int{3}}}, ErrInvalid},
		{"negative variant", nil, []any{map[string]any{"material": 1, "variants": []int{-1}}}, ErrInvalid},
		{"variant mapped twice", nil, []any{
			map[string]any{"material": 1, "variants": []int{1}},
			map[string]any{"material": 2, "variants": []int{1}},
		}, ErrInvalid},
		{"too many variants", map[string]any{"variants": many}, nil, ErrTooLarge},
		{"name too long", map[string]any{"variants": []any{map[string]any{"name": string(long)}, map[string]any{"name": "b"}, map[string]any{"name": "c"}}}, nil, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(variantChair(t, tc.docExt, tc.mappings), Limits{})
			if !errors.Is(err, tc.want) {
				t.Errorf("Decode error %v, want %v", err, tc.want)
			}
		})
	}
}
