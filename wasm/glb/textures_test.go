package glb

import (
	"errors"
	"image/color"
	"testing"
)

// texturedModel is a quad whose material has every metallic-roughness
// texture; mat overrides the material JSON's texture members.
func texturedModel(t *testing.T, mat map[string]any, variants bool) []byte {
	t.Helper()
	var b builder
	pos := b.floats("VEC3", quadPositions...)
	nor := b.floats("VEC3", 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1)
	uv0 := b.floats("VEC2", 0, 1, 1, 1, 1, 0, 0, 0)
	uv1 := b.floats("VEC2", 0.5, 0.5, 1, 0.5, 1, 1, 0.5, 1)
	idx := b.indices16(0, 1, 2, 0, 2, 3)
	var images, textures []any
	for i, c := range []color.NRGBA{{200, 30, 30, 255}, {0, 128, 255, 255}, {128, 128, 255, 255}, {255, 0, 0, 255}, {10, 200, 10, 255}} {
		images = append(images, map[string]any{"bufferView": b.view(pngBytes(t, 2, 2, c), 0), "mimeType": "image/png"})
		textures = append(textures, map[string]any{"source": i})
	}
	material := map[string]any{
		"name": "lacquer",
		"pbrMetallicRoughness": map[string]any{
			"baseColorTexture":         map[string]any{"index": 0},
			"metallicRoughnessTexture": map[string]any{"index": 1},
		},
		"normalTexture":    map[string]any{"index": 2, "scale": 0.5},
		"occlusionTexture": map[string]any{"index": 3, "strength": 0.25, "texCoord": 1},
		"emissiveTexture": map[string]any{"index": 4, "extensions": map[string]any{
			"KHR_texture_transform": map[string]any{"offset": []float64{0.5, 0}, "scale": []float64{2, 2}},
		}},
		"emissiveFactor": []float64{1, 1, 1},
	}
	for k, v := range mat {
		if p, ok := v.(map[string]any); ok && k == "pbrMetallicRoughness" {
			for pk, pv := range p {
				material["pbrMetallicRoughness"].(map[string]any)[pk] = pv
			}
			continue
		}
		material[k] = v
	}
	prim := map[string]any{
		"attributes": map[string]int{"POSITION": pos, "NORMAL": nor, "TEXCOORD_0": uv0, "TEXCOORD_1": uv1},
		"indices":    idx, "material": 0,
	}
	doc := map[string]any{
		"scene":          0,
		"scenes":         []any{map[string]any{"nodes": []int{0}}},
		"nodes":          []any{map[string]any{"mesh": 0}},
		"meshes":         []any{map[string]any{"primitives": []any{prim}}},
		"materials":      []any{material},
		"textures":       textures,
		"images":         images,
		"extensionsUsed": []string{"KHR_texture_transform"},
	}
	if variants {
		// Variant 0 gives the quad a plain material; its raw sets still
		// come from the default material.
		doc["materials"] = []any{map[string]any{"name": "plain"}, material}
		prim["material"] = 0
		prim["extensions"] = map[string]any{"KHR_materials_variants": map[string]any{
			"mappings": []any{map[string]any{"material": 1, "variants": []int{0}}},
		}}
		doc["extensions"] = map[string]any{"KHR_materials_variants": map[string]any{"variants": []any{map[string]any{"name": "Lacquer"}}}}
		doc["extensionsUsed"] = []string{"KHR_texture_transform", "KHR_materials_variants"}
	}
	return b.glb(t, doc)
}

func TestDecodeMaterialTextures(t *testing.T) {
	m, err := Decode(texturedModel(t, nil, false), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	mat := m.Materials[0]
	identity := [6]float32{1, 0, 0, 0, 1, 0}
	tests := []struct {
		name string
		got  TextureInfo
		want TextureInfo
	}{
		// Same set and transform as the base colour: shares Mesh.UVs.
		{"metallic-roughness", mat.MetallicRoughnessTexture, TextureInfo{Image: 1, UV: UVBase, Transform: identity}},
		{"normal", mat.NormalTexture, TextureInfo{Image: 2, UV: UVBase, Transform: identity}},
		{"occlusion on TEXCOORD_1", mat.OcclusionTexture, TextureInfo{Image: 3, UV: UVSet1, Transform: identity}},
		// offset + scale: u' = 2u + 0.5, v' = 2v.
		{"emissive with a transform", mat.EmissiveTexture, TextureInfo{Image: 4, UV: UVSet0, Transform: [6]float32{2, 0, 0.5, 0, 2, 0}}},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
	if mat.NormalScale != 0.5 || mat.OcclusionStrength != 0.25 {
		t.Errorf("normal scale %v, occlusion strength %v; want 0.5, 0.25", mat.NormalScale, mat.OcclusionStrength)
	}
	mesh := m.Meshes[0]
	if !equalFloats(mesh.RawUVs[0], []float32{0, 1, 1, 1, 1, 0, 0, 0}) || !equalFloats(mesh.RawUVs[1], []float32{0.5, 0.5, 1, 0.5, 1, 1, 0.5, 1}) {
		t.Errorf("raw UVs %v, want both sets as stored", mesh.RawUVs)
	}
}

func TestDecodeMaterialTexturesOnlyBaseUVs(t *testing.T) {
	// Every texture on the base colour's coordinates: no raw sets kept.
	m, err := Decode(texturedModel(t, map[string]any{
		"occlusionTexture": map[string]any{"index": 3},
		"emissiveTexture":  map[string]any{"index": 4},
	}, false), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Meshes[0].RawUVs; r[0] != nil || r[1] != nil {
		t.Errorf("raw UVs %v, want none", m.Meshes[0].RawUVs)
	}
	if got := m.Materials[0].OcclusionTexture; got.UV != UVBase || got.Image != 3 {
		t.Errorf("occlusion %+v, want image 3 on the base UVs", got)
	}
	if m.Materials[0].OcclusionStrength != 1 || m.Materials[0].NormalScale != 0.5 {
		t.Errorf("defaults lost: %+v", m.Materials[0])
	}
}

func TestDecodeMaterialTexturesBaseTransform(t *testing.T) {
	// The base colour has a transform; a normal map without one reads
	// the raw set, not the transformed base coordinates.
	m, err := Decode(texturedModel(t, map[string]any{
		"pbrMetallicRoughness": map[string]any{"baseColorTexture": map[string]any{"index": 0, "extensions": map[string]any{
			"KHR_texture_transform": map[string]any{"scale": []float64{3, 3}},
		}}},
	}, false), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	mat, mesh := m.Materials[0], m.Meshes[0]
	if mat.NormalTexture.UV != UVSet0 || mat.NormalTexture.Transform != [6]float32{1, 0, 0, 0, 1, 0} {
		t.Errorf("normal %+v, want raw TEXCOORD_0 untransformed", mat.NormalTexture)
	}
	if !equalFloats(mesh.UVs, []float32{0, 3, 3, 3, 3, 0, 0, 0}) {
		t.Errorf("base UVs %v, want TEXCOORD_0 × 3", mesh.UVs)
	}
	if !equalFloats(mesh.RawUVs[0], []float32{0, 1, 1, 1, 1, 0, 0, 0}) {
		t.Errorf("raw TEXCOORD_0 %v", mesh.RawUVs[0])
	}
}

func TestDecodeMaterialTexturesErrors(t *testing.T) {
	tests := map[string]map[string]any{
		"missing texture":   {"normalTexture": map[string]any{"index": 9}},
		"negative set":      {"occlusionTexture": map[string]any{"index": 3, "texCoord": -1}},
		"huge normal scale": {"normalTexture": map[string]any{"index": 2, "scale": 1e9}},
		"bad transform":     {"emissiveTexture": map[string]any{"index": 4, "extensions": map[string]any{"KHR_texture_transform": map[string]any{"offset": []float64{1}}}}},
		"missing MR image":  {"pbrMetallicRoughness": map[string]any{"metallicRoughnessTexture": map[string]any{"index": -1}}},
	}
	for name, mat := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(texturedModel(t, mat, false), Limits{}); !errors.Is(err, ErrInvalid) {
				t.Errorf("Decode = %v, want ErrInvalid", err)
			}
		})
	}
	// A set beyond TEXCOORD_1 drops the texture, not the model.
	m, err := Decode(texturedModel(t, map[string]any{"occlusionTexture": map[string]any{"index": 3, "texCoord": 2}}, false), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Materials[0].OcclusionTexture.Image != -1 {
		t.Errorf("occlusion on TEXCOORD_2 kept: %+v", m.Materials[0].OcclusionTexture)
	}
}

func TestDecodeVariantTexturesKeepRawSets(t *testing.T) {
	m, err := Decode(texturedModel(t, nil, true), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	mesh := m.Meshes[0]
	if mesh.Material != 0 || m.Materials[0].NormalTexture.Image != -1 {
		t.Fatalf("default material %d %+v, want the plain one", mesh.Material, m.Materials[0])
	}
	if mat, _ := mesh.Variant(0); mat != 1 || m.Materials[1].OcclusionTexture.UV != UVSet1 {
		t.Fatalf("variant 0 → material %d, occlusion %+v", mat, m.Materials[1].OcclusionTexture)
	}
	// The variant's occlusion and emissive read raw sets the default
	// material does not: the mesh must carry them anyway.
	if mesh.RawUVs[0] == nil || mesh.RawUVs[1] == nil {
		t.Errorf("raw UVs %v, want both sets for the variant", mesh.RawUVs)
	}
}
