package synth

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // GLB textures
	_ "image/png"  // GLB textures
	"math"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/render"
)

// sceneFromGLB converts a GLB into a render.Scene in world space: every
// triangle primitive of every mesh instanced by the default scene's node
// tree, with its base colour, metal/roughness factors and base colour
// texture.
func sceneFromGLB(data []byte) (render.Scene, error) {
	asset, err := gltf.Parse(data, gltf.DefaultLimits())
	if err != nil {
		return render.Scene{}, fmt.Errorf("parse GLB: %w", err)
	}
	doc := asset.Doc
	textures := map[int]image.Image{}
	texture := func(ti *gltf.TextureInfo) (image.Image, error) {
		if ti == nil || ti.Index < 0 || ti.Index >= len(doc.Textures) || doc.Textures[ti.Index].Source == nil {
			return nil, nil
		}
		src := *doc.Textures[ti.Index].Source
		if img, ok := textures[src]; ok {
			return img, nil
		}
		raw, _, err := asset.ImageBytes(src)
		if err != nil {
			return nil, err
		}
		img, _, err := image.Decode(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("decode image %d: %w", src, err)
		}
		textures[src] = img
		return img, nil
	}

	var sc render.Scene
	var visit func(node int, parent gltf.Mat4, depth int) error
	visit = func(node int, parent gltf.Mat4, depth int) error {
		if node < 0 || node >= len(doc.Nodes) || depth > 64 {
			return fmt.Errorf("node %d out of range or too deep", node)
		}
		n := &doc.Nodes[node]
		world := parent.Mul(gltf.LocalMatrix(n))
		if n.Mesh != nil && *n.Mesh >= 0 && *n.Mesh < len(doc.Meshes) {
			for pi, prim := range doc.Meshes[*n.Mesh].Primitives {
				if prim.Mode != nil && *prim.Mode != gltf.ModeTriangles {
					continue
				}
				m, err := primitiveMesh(asset, prim, world, texture)
				if err != nil {
					return fmt.Errorf("mesh %d primitive %d: %w", *n.Mesh, pi, err)
				}
				sc.Meshes = append(sc.Meshes, m)
			}
		}
		for _, c := range n.Children {
			if err := visit(c, world, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, root := range gltf.SceneRoots(doc) {
		if err := visit(root, gltf.Identity, 0); err != nil {
			return render.Scene{}, err
		}
	}
	if len(sc.Meshes) == 0 {
		return render.Scene{}, fmt.Errorf("GLB has no triangle meshes")
	}
	return sc, nil
}

func primitiveMesh(asset *gltf.Asset, prim gltf.Primitive, world [16]float64, texture func(*gltf.TextureInfo) (image.Image, error)) (render.Mesh, error) {
	posAcc, ok := prim.Attributes["POSITION"]
	if !ok {
		return render.Mesh{}, fmt.Errorf("no POSITION")
	}
	pos, err := asset.ReadVec3(posAcc)
	if err != nil {
		return render.Mesh{}, err
	}
	m := render.Mesh{Material: render.Material{BaseColor: [4]float32{0.8, 0.8, 0.8, 1}, Roughness: 0.6}}
	for _, p := range pos {
		m.Positions = append(m.Positions, transformPoint(world, p, 1))
	}
	if acc, ok := prim.Attributes["NORMAL"]; ok {
		nrm, err := asset.ReadVec3(acc)
		if err != nil {
			return render.Mesh{}, err
		}
		for _, n := range nrm {
			v := transformPoint(world, n, 0)
			l := float32(math.Sqrt(float64(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])))
			if l > 0 {
				v = [3]float32{v[0] / l, v[1] / l, v[2] / l}
			}
			m.Normals = append(m.Normals, v)
		}
	}
	if acc, ok := prim.Attributes["TEXCOORD_0"]; ok {
		if m.UVs, err = asset.ReadVec2(acc); err != nil {
			return render.Mesh{}, err
		}
	}
	if prim.Indices != nil {
		if m.Indices, err = asset.ReadIndices(*prim.Indices); err != nil {
			return render.Mesh{}, err
		}
	}
	doc := asset.Doc
	if prim.Material != nil && *prim.Material >= 0 && *prim.Material < len(doc.Materials) {
		if pbr := doc.Materials[*prim.Material].PBRMetallicRoughness; pbr != nil {
			if len(pbr.BaseColorFactor) == 4 {
				for c := 0; c < 4; c++ {
					m.Material.BaseColor[c] = float32(pbr.BaseColorFactor[c])
				}
			}
			m.Material.Metallic, m.Material.Roughness = 1, 1
			if pbr.MetallicFactor != nil {
				m.Material.Metallic = float32(*pbr.MetallicFactor)
			}
			if pbr.RoughnessFactor != nil {
				m.Material.Roughness = float32(*pbr.RoughnessFactor)
			}
			if m.Material.BaseColorTexture, err = texture(pbr.BaseColorTexture); err != nil {
				return render.Mesh{}, err
			}
		}
	}
	return m, nil
}

// transformPoint applies m to p with homogeneous coordinate w (1 for
// points, 0 for directions; normals are treated as directions, exact for
// the rotations and uniform scales the sample models use).
func transformPoint(m [16]float64, p [3]float32, w float64) [3]float32 {
	x, y, z := float64(p[0]), float64(p[1]), float64(p[2])
	return [3]float32{
		float32(m[0]*x + m[4]*y + m[8]*z + m[12]*w),
		float32(m[1]*x + m[5]*y + m[9]*z + m[13]*w),
		float32(m[2]*x + m[6]*y + m[10]*z + m[14]*w),
	}
}

// variant returns a modified copy of sc: every colour's hue turned by
// hueDeg and its saturation scaled by satScale (textures too), and the
// geometry scaled by scale per axis (normals adjusted). Distractor
// products are made this way: the same shape in another colour, or the
// same colours in another shape.
func variant(sc render.Scene, hueDeg, satScale float64, scale [3]float64) render.Scene {
	out := render.Scene{Meshes: make([]render.Mesh, len(sc.Meshes))}
	recoloured := map[image.Image]image.Image{}
	for i, m := range sc.Meshes {
		nm := m
		nm.Positions = make([][3]float32, len(m.Positions))
		for k, p := range m.Positions {
			nm.Positions[k] = [3]float32{p[0] * float32(scale[0]), p[1] * float32(scale[1]), p[2] * float32(scale[2])}
		}
		if m.Normals != nil {
			nm.Normals = make([][3]float32, len(m.Normals))
			for k, n := range m.Normals {
				v := [3]float64{float64(n[0]) / scale[0], float64(n[1]) / scale[1], float64(n[2]) / scale[2]}
				l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
				if l > 0 {
					nm.Normals[k] = [3]float32{float32(v[0] / l), float32(v[1] / l), float32(v[2] / l)}
				}
			}
		}
		c := m.Material.BaseColor
		r, g, b := shiftHue(float64(c[0]), float64(c[1]), float64(c[2]), hueDeg, satScale)
		nm.Material.BaseColor = [4]float32{float32(r), float32(g), float32(b), c[3]}
		if tex := m.Material.BaseColorTexture; tex != nil {
			if done, ok := recoloured[tex]; ok {
				nm.Material.BaseColorTexture = done
			} else {
				nt := recolourImage(tex, hueDeg, satScale)
				recoloured[tex] = nt
				nm.Material.BaseColorTexture = nt
			}
		}
		out.Meshes[i] = nm
	}
	return out
}

func recolourImage(src image.Image, hueDeg, satScale float64) image.Image {
	b := src.Bounds()
	dst := image.NewNRGBA(b)
	draw.Draw(dst, b, src, b.Min, draw.Src)
	for i := 0; i+3 < len(dst.Pix); i += 4 {
		r, g, bl := shiftHue(float64(dst.Pix[i])/255, float64(dst.Pix[i+1])/255, float64(dst.Pix[i+2])/255, hueDeg, satScale)
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2] = to8(r), to8(g), to8(bl)
	}
	return dst
}

func to8(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }

// shiftHue rotates the hue of an RGB colour (any encoding; hue rotation
// is done in HSV of the given values) and scales its saturation.
func shiftHue(r, g, b, hueDeg, satScale float64) (float64, float64, float64) {
	mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	v := mx
	if mx <= 0 {
		return r, g, b
	}
	s := (mx - mn) / mx
	var h float64
	d := mx - mn
	switch {
	case d == 0:
		h = 0
	case mx == r:
		h = math.Mod((g-b)/d+6, 6)
	case mx == g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h = math.Mod(h+hueDeg/60+6, 6)
	s = math.Min(1, s*satScale)
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	m := v - c
	var rr, gg, bb float64
	switch int(h) {
	case 0:
		rr, gg, bb = c, x, 0
	case 1:
		rr, gg, bb = x, c, 0
	case 2:
		rr, gg, bb = 0, c, x
	case 3:
		rr, gg, bb = 0, x, c
	case 4:
		rr, gg, bb = x, 0, c
	default:
		rr, gg, bb = c, 0, x
	}
	return rr + m, gg + m, bb + m
}
