package assetpipe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wasm/glb"
)

// TestViewerDecodesSampleLevels runs the pipeline on every sample model
// and decodes every level with the viewer's decoder (wasm/glb), as a
// shopper's browser does: each level decodes, its bounds match the
// pipeline's measurement within a step of the 14-bit position grid, its
// triangle and vertex counts match, every textured mesh has texture
// coordinates, and those cover the same texture area as the uploaded
// model's (level 0) or lie within it (coarser levels). The whole catalog
// takes a few seconds, so -short runs it too.
func TestViewerDecodesSampleLevels(t *testing.T) {
	products, err := assets.Products()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range products {
		t.Run(p.SKU, func(t *testing.T) {
			data, err := assets.ReadFile("models/" + p.Model)
			if err != nil {
				t.Fatal(err)
			}
			source, err := glb.Decode(data, glb.DefaultLimits)
			if err != nil {
				t.Fatalf("decode the uploaded model: %v", err)
			}
			srcLo, srcHi, srcHas := uvBox(source)
			// Posters do not change the levels: keep them small and skip
			// the ring of views.
			out, err := assetpipe.Process(ctx, data, assetpipe.ProcessInput{DeclaredM: p.DimensionsM, Placement: p.Placement,
				Poster: assetpipe.PosterOptions{Size: 32, Views: -1}})
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			for _, l := range out.LODs {
				m, err := glb.Decode(l.GLB, glb.DefaultLimits)
				if err != nil {
					t.Errorf("level %d: Decode: %v", l.Level, err)
					continue
				}
				var diag float64
				for k := range 3 {
					e := l.BoundsMax[k] - l.BoundsMin[k]
					diag += e * e
				}
				// One step of the grid (14 bits over a mesh no larger than
				// the model) plus float32 rounding.
				tol := math.Sqrt(diag)/16383 + 1e-5
				for k := range 3 {
					if math.Abs(float64(m.BoundsMin[k])-l.BoundsMin[k]) > tol || math.Abs(float64(m.BoundsMax[k])-l.BoundsMax[k]) > tol {
						t.Errorf("level %d: decoded bounds %v..%v, the pipeline measured %v..%v (tolerance %.2g m)", l.Level, m.BoundsMin, m.BoundsMax, l.BoundsMin, l.BoundsMax, tol)
						break
					}
				}
				triangles, vertices := 0, 0
				for _, mesh := range m.Meshes {
					triangles += len(mesh.Indices) / 3
					vertices += mesh.VertexCount()
					if mesh.Material >= 0 && m.Materials[mesh.Material].BaseColorImage >= 0 && mesh.UVs == nil {
						t.Errorf("level %d: mesh %q has a textured material and no texture coordinates", l.Level, mesh.Name)
					}
					for i := 0; i+2 < len(mesh.Normals); i += 3 {
						n := mesh.Normals[i : i+3]
						if math.Abs(float64(n[0]*n[0]+n[1]*n[1]+n[2]*n[2])-1) > 1e-4 {
							t.Fatalf("level %d: mesh %q normal %d = %v is not unit length", l.Level, mesh.Name, i/3, n)
						}
					}
				}
				if triangles != l.Triangles || vertices != l.Vertices {
					t.Errorf("level %d: decoded %d triangles and %d vertices, the pipeline wrote %d and %d", l.Level, triangles, vertices, l.Triangles, l.Vertices)
				}
				lo, hi, has := uvBox(m)
				if has != srcHas {
					t.Errorf("level %d: has texture coordinates %v, the uploaded model %v", l.Level, has, srcHas)
					continue
				}
				if !has {
					continue
				}
				// 16-bit UVs over the model's UV range, after any transform.
				const uvTol = 2e-3
				for c := range 2 {
					grows := lo[c] < srcLo[c]-uvTol || hi[c] > srcHi[c]+uvTol
					differs := math.Abs(lo[c]-srcLo[c]) > uvTol || math.Abs(hi[c]-srcHi[c]) > uvTol
					if grows || (l.Level == 0 && differs) {
						t.Errorf("level %d: texture coordinates span %v..%v, the uploaded model's %v..%v", l.Level, lo, hi, srcLo, srcHi)
						break
					}
				}
			}
		})
	}
}

// uvBox is the range of the decoded texture coordinates of m.
func uvBox(m *glb.Model) (lo, hi [2]float64, found bool) {
	lo, hi = [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, mesh := range m.Meshes {
		for i := 0; i+1 < len(mesh.UVs); i += 2 {
			found = true
			for c := range 2 {
				lo[c] = math.Min(lo[c], float64(mesh.UVs[i+c]))
				hi[c] = math.Max(hi[c], float64(mesh.UVs[i+c]))
			}
		}
	}
	return lo, hi, found
}

// pngChecker is a small two-colour checkerboard texture.
func pngChecker(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			c := color.NRGBA{200, 60, 40, 255}
			if (x/4+y/4)%2 == 0 {
				c = color.NRGBA{240, 230, 210, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestViewerDecodesTiledUVs covers the pipeline's UV quantisation when
// coordinates leave [0,1]: it maps them into [0,1] and composes the
// decoding into the texture's own KHR_texture_transform. A tiled,
// textured 11 × 11 grid whose texture already carries an offset, a
// rotation and a scale goes through BuildLODs; the viewer's decoder must
// give back, at every vertex of level 0, the uploaded UV under the
// uploaded transform, and every level must decode.
func TestViewerDecodesTiledUVs(t *testing.T) {
	const n = 11
	uvAt := func(i, j int) [2]float32 { return [2]float32{-1.5 + 0.4*float32(i), 2.5 - 0.35*float32(j)} }
	var prim gltf.PrimitiveData
	for j := range n {
		for i := range n {
			prim.Positions = append(prim.Positions, [3]float32{0.1 * float32(i), 0.1 * float32(j), 0.02 * float32((i*j)%3)})
			prim.Normals = append(prim.Normals, [3]float32{0, 0, 1})
			prim.UVs = append(prim.UVs, uvAt(i, j))
		}
	}
	at := func(i, j int) uint32 { return uint32(j*n + i) }
	for j := range n - 1 {
		for i := range n - 1 {
			prim.Indices = append(prim.Indices, at(i, j), at(i+1, j), at(i+1, j+1), at(i, j), at(i+1, j+1), at(i, j+1))
		}
	}
	b := gltf.NewBuilder("viewer decode test")
	img, err := b.AddImage("checker", pngChecker(t))
	if err != nil {
		t.Fatal(err)
	}
	tex, err := b.AddTexture(img)
	if err != nil {
		t.Fatal(err)
	}
	prim.Material, err = b.AddMaterial(gltf.MaterialSpec{Name: "tiles", BaseColor: [4]float64{1, 1, 1, 1}, Roughness: 0.5,
		BaseColorTexture: tex, MetallicRoughnessTexture: gltf.NoTexture, NormalTexture: gltf.NoTexture})
	if err != nil {
		t.Fatal(err)
	}
	mesh, err := b.AddMesh("tiles", []gltf.PrimitiveData{prim})
	if err != nil {
		t.Fatal(err)
	}
	node, err := b.AddNode(gltf.NodeSpec{Name: "tiles", Mesh: mesh})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddToScene(node); err != nil {
		t.Fatal(err)
	}
	doc, bin := b.Document()
	const rotation = 0.3
	offset, scale := [2]float64{0.1, 0.2}, [2]float64{0.5, 2}
	raw, _ := json.Marshal(map[string]any{"offset": offset, "rotation": rotation, "scale": scale})
	doc.Materials[0].PBRMetallicRoughness.BaseColorTexture.Extensions = map[string]json.RawMessage{"KHR_texture_transform": raw}
	doc.ExtensionsUsed = append(doc.ExtensionsUsed, "KHR_texture_transform")
	data, err := gltf.WriteGLB(doc, bin)
	if err != nil {
		t.Fatal(err)
	}
	asset, err := gltf.ParseGLB(data, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	levels, _, err := assetpipe.BuildLODs(context.Background(), asset, assetpipe.LODOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// want is the uploaded UV under the uploaded transform:
	// offset + R·(scale∘uv), R = [cos, sin; −sin, cos].
	c, s := math.Cos(rotation), math.Sin(rotation)
	want := func(uv [2]float32) [2]float64 {
		x, y := scale[0]*float64(uv[0]), scale[1]*float64(uv[1])
		return [2]float64{offset[0] + c*x + s*y, offset[1] - s*x + c*y}
	}
	for _, l := range levels {
		m, err := glb.Decode(l.GLB, glb.DefaultLimits)
		if err != nil {
			t.Fatalf("level %d: Decode: %v", l.Level, err)
		}
		if l.Level != 0 {
			continue
		}
		if len(m.Meshes) != 1 || m.Meshes[0].VertexCount() != n*n || m.Meshes[0].UVs == nil {
			t.Fatalf("level 0 decoded to %d meshes, want one of %d vertices with UVs", len(m.Meshes), n*n)
		}
		dm := m.Meshes[0]
		seen := map[[2]int]bool{}
		for v := range dm.VertexCount() {
			i, j := int(math.Round(float64(dm.Positions[3*v])/0.1)), int(math.Round(float64(dm.Positions[3*v+1])/0.1))
			if i < 0 || i >= n || j < 0 || j >= n || seen[[2]int{i, j}] {
				t.Fatalf("vertex %d at %v is not a distinct grid point", v, dm.Positions[3*v:3*v+3])
			}
			seen[[2]int{i, j}] = true
			w := want(uvAt(i, j))
			got := [2]float64{float64(dm.UVs[2*v]), float64(dm.UVs[2*v+1])}
			// 16 bits over a 4-unit range, then scaled by up to 2.
			if math.Abs(got[0]-w[0]) > 1e-3 || math.Abs(got[1]-w[1]) > 1e-3 {
				t.Errorf("grid point (%d,%d): uv %v, want %v", i, j, got, w)
			}
		}
	}
}
