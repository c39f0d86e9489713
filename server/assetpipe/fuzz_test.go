package assetpipe

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// tinyGLB is a textured two-triangle quad with UVs outside [0,1].
func tinyGLB(tb testing.TB) []byte {
	tb.Helper()
	b := gltf.NewBuilder("")
	mesh, err := b.AddMesh("quad", []gltf.PrimitiveData{{
		Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}},
		Normals:   [][3]float32{{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}},
		UVs:       [][2]float32{{-1, 0}, {2, 0}, {2, 3}, {-1, 3}},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
		Material:  -1,
	}})
	if err != nil {
		tb.Fatal(err)
	}
	n, _ := b.AddNode(gltf.NodeSpec{Mesh: mesh, Translation: []float64{0, 1, 0}})
	_ = b.AddToScene(n)
	glb, err := b.GLB()
	if err != nil {
		tb.Fatal(err)
	}
	return glb
}

// FuzzBuildLODs feeds arbitrary uploads that the parser accepts to the
// LOD builder: it may refuse them, never panic, and every level it makes
// passes Vitrine's validation (BuildLODs re-parses each level).
func FuzzBuildLODs(f *testing.F) {
	f.Add(tinyGLB(f))
	levels := []Level{{Ratio: 1, MaxTextureSide: 64}, {Ratio: 0.5, MaxTextureSide: 16}}
	lim := gltf.DefaultLimits()
	lim.MaxBytes, lim.MaxVertices, lim.MaxTriangles = 1<<20, 1<<14, 1<<14
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := gltf.Parse(data, lim)
		if err != nil {
			return
		}
		_, _, _ = BuildLODs(context.Background(), a, LODOptions{Levels: levels})
	})
}

// FuzzTextureExtensions feeds arbitrary material-extension JSON (the only
// JSON the LOD builder parses itself) to the texture-transform rewriting.
func FuzzTextureExtensions(f *testing.F) {
	f.Add([]byte(`{"clearcoatTexture":{"index":0,"extensions":{"KHR_texture_transform":{"offset":[0.5,0],"rotation":1,"scale":[2,2]}}}}`))
	f.Add([]byte(`{"sheenColorTexture":{"index":1,"texCoord":1}}`))
	f.Add([]byte(`[1,2]`))
	b := &lodBuilder{uvQuant: true, uvGrid: uvTransform{Offset: [2]float64{-1, 0}, Scale: [2]float64{3, 3}}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := b.transformNestedTextures(raw)
		if err != nil {
			return
		}
		if json.Valid(raw) && !json.Valid(out) {
			t.Fatalf("valid input %q became invalid %q", raw, out)
		}
		var ext map[string]json.RawMessage
		if json.Unmarshal(raw, &ext) == nil {
			tr, _ := readTransform(ext)
			_ = tr.apply([2]float32{0.5, 0.5})
		}
	})
}
