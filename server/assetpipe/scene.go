package assetpipe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/render"
)

// SceneOptions controls SceneFromAsset.
type SceneOptions struct {
	// MaxTextureSide shrinks base-colour textures to at most this many
	// pixels a side before rendering (0 means 1024); posters gain nothing
	// from larger ones.
	MaxTextureSide int
}

// SceneFromAsset converts a parsed asset into a render.Scene in world
// space: every mesh instance of the measured scene with its node
// hierarchy's transforms applied (normals by the inverse transpose),
// strips and fans triangulated, and each material's base colour factor,
// base-colour texture (with its KHR_texture_transform and texCoord set),
// metallic and roughness factors. Points, lines and morph targets are not
// drawn; skins are drawn in their rest pose.
func SceneFromAsset(ctx context.Context, a *gltf.Asset, opt SceneOptions) (render.Scene, error) {
	if a == nil || a.Doc == nil {
		return render.Scene{}, fmt.Errorf("assetpipe: scene: asset has no document")
	}
	if opt.MaxTextureSide <= 0 {
		opt.MaxTextureSide = 1024
	}
	meshes, _, err := readMeshes(a)
	if err != nil {
		return render.Scene{}, err
	}
	textures := map[int]image.Image{}
	var scene render.Scene
	var firstErr error
	total := 0
	gltf.Walk(a.Doc, gltf.Identity, func(node int, world gltf.Mat4) {
		m := a.Doc.Nodes[node].Mesh
		if firstErr != nil || m == nil || *m < 0 || *m >= len(meshes) {
			return
		}
		if err := ctx.Err(); err != nil {
			firstErr = err
			return
		}
		nm := normalMatrix(world)
		for _, p := range meshes[*m].prims {
			total += len(p.indices) / 3
			if total > render.MaxTriangles {
				firstErr = fmt.Errorf("assetpipe: scene: more than %d triangles to draw", render.MaxTriangles)
				return
			}
			rm := render.Mesh{Indices: p.indices, Positions: make([][3]float32, len(p.positions))}
			for i, v := range p.positions {
				w := world.TransformPoint([3]float64{float64(v[0]), float64(v[1]), float64(v[2])})
				rm.Positions[i] = [3]float32{float32(w[0]), float32(w[1]), float32(w[2])}
			}
			if p.normals != nil {
				rm.Normals = make([][3]float32, len(p.normals))
				for i, v := range p.normals {
					rm.Normals[i] = transformNormal(nm, v)
				}
			}
			mat, uvSet, transform, err := renderMaterial(a, p.material, textures, opt.MaxTextureSide)
			if err != nil {
				firstErr = err
				return
			}
			rm.Material = mat
			uvs := p.uv0
			if uvSet == 1 {
				uvs = p.uv1
			}
			if mat.BaseColorTexture != nil && uvs != nil {
				rm.UVs = make([][2]float32, len(uvs))
				for i, uv := range uvs {
					rm.UVs[i] = transform.apply(uv)
				}
			} else {
				rm.Material.BaseColorTexture = nil
			}
			scene.Meshes = append(scene.Meshes, rm)
		}
	})
	if firstErr != nil {
		return render.Scene{}, firstErr
	}
	return scene, nil
}

func transformNormal(m [9]float64, n [3]float32) [3]float32 {
	x, y, z := float64(n[0]), float64(n[1]), float64(n[2])
	o := [3]float64{m[0]*x + m[1]*y + m[2]*z, m[3]*x + m[4]*y + m[5]*z, m[6]*x + m[7]*y + m[8]*z}
	l := math.Sqrt(o[0]*o[0] + o[1]*o[1] + o[2]*o[2])
	if !(l > 0) {
		return n
	}
	return [3]float32{float32(o[0] / l), float32(o[1] / l), float32(o[2] / l)}
}

// uvTransform is KHR_texture_transform: uv' = offset + R(rotation)·(scale∘uv).
type uvTransform struct {
	Offset   [2]float64 `json:"offset"`
	Rotation float64    `json:"rotation"`
	Scale    [2]float64 `json:"scale"`
	TexCoord *int       `json:"texCoord,omitempty"`
}

func identityTransform() uvTransform { return uvTransform{Scale: [2]float64{1, 1}} }

func (t uvTransform) apply(uv [2]float32) [2]float32 {
	x, y := float64(uv[0])*t.Scale[0], float64(uv[1])*t.Scale[1]
	c, s := math.Cos(t.Rotation), math.Sin(t.Rotation)
	return [2]float32{float32(t.Offset[0] + c*x + s*y), float32(t.Offset[1] - s*x + c*y)}
}

// readTransform parses a texture info's KHR_texture_transform, if any.
func readTransform(ext map[string]json.RawMessage) (uvTransform, bool) {
	t := identityTransform()
	raw, ok := ext["KHR_texture_transform"]
	if !ok {
		return t, false
	}
	if json.Unmarshal(raw, &t) != nil || !finite2(t.Offset) || !finite2(t.Scale) || math.IsNaN(t.Rotation) || math.IsInf(t.Rotation, 0) {
		return identityTransform(), false
	}
	return t, true
}

func finite2(v [2]float64) bool {
	return !math.IsNaN(v[0]) && !math.IsNaN(v[1]) && !math.IsInf(v[0], 0) && !math.IsInf(v[1], 0)
}

// renderMaterial maps material index mi to a render.Material, returning
// the UV set and transform its base-colour texture uses.
func renderMaterial(a *gltf.Asset, mi *int, cache map[int]image.Image, maxSide int) (render.Material, int, uvTransform, error) {
	mat := render.Material{BaseColor: [4]float32{1, 1, 1, 1}, Metallic: 1, Roughness: 1}
	if mi == nil || *mi < 0 || *mi >= len(a.Doc.Materials) {
		mat.Metallic = 0
		return mat, 0, identityTransform(), nil
	}
	m := a.Doc.Materials[*mi]
	pbr := m.PBRMetallicRoughness
	if pbr == nil {
		return mat, 0, identityTransform(), nil
	}
	if len(pbr.BaseColorFactor) == 4 {
		for c := range 4 {
			mat.BaseColor[c] = float32(clamp01(pbr.BaseColorFactor[c]))
		}
	}
	if pbr.MetallicFactor != nil {
		mat.Metallic = float32(clamp01(*pbr.MetallicFactor))
	}
	if pbr.RoughnessFactor != nil {
		mat.Roughness = float32(clamp01(*pbr.RoughnessFactor))
	}
	ti := pbr.BaseColorTexture
	if ti == nil || ti.Index < 0 || ti.Index >= len(a.Doc.Textures) || a.Doc.Textures[ti.Index].Source == nil {
		return mat, 0, identityTransform(), nil
	}
	src := *a.Doc.Textures[ti.Index].Source
	img, ok := cache[src]
	if !ok {
		var err error
		if img, err = decodeTexture(a, src, maxSide); err != nil {
			return mat, 0, identityTransform(), err
		}
		cache[src] = img
	}
	mat.BaseColorTexture = img
	t, _ := readTransform(ti.Extensions)
	uvSet := ti.TexCoord
	if t.TexCoord != nil {
		uvSet = *t.TexCoord
	}
	return mat, uvSet, t, nil
}

// decodeTexture decodes image i, checking its header against
// render.MaxTexturePixels first, and shrinks it to maxSide.
func decodeTexture(a *gltf.Asset, i, maxSide int) (image.Image, error) {
	data, _, err := a.ImageBytes(i)
	if err != nil {
		return nil, fmt.Errorf("assetpipe: texture: %w", err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("assetpipe: image %d header: %w", i, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > render.MaxTexturePixels {
		return nil, fmt.Errorf("assetpipe: image %d is %d×%d, over the %d pixels a texture may have", i, cfg.Width, cfg.Height, render.MaxTexturePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("assetpipe: decode image %d: %w", i, err)
	}
	if b := img.Bounds(); b.Dx() > maxSide || b.Dy() > maxSide {
		img = imaging.Fit(img, maxSide, maxSide, imaging.Linear)
	}
	return img, nil
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return math.Max(0, math.Min(1, x))
}
