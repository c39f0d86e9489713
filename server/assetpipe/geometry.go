package assetpipe

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// ErrUnsupportedModel is wrapped when a model uses a feature the LOD
// builder cannot carry into a rewritten document (skins).
var ErrUnsupportedModel = errors.New("assetpipe: model cannot be simplified")

// normalMatrix returns the cofactor matrix of m's linear part (the
// inverse transpose up to a positive-or-negative scale), row-major 3×3.
func normalMatrix(m gltf.Mat4) [9]float64 {
	a := func(r, c int) float64 { return m[c*4+r] }
	var out [9]float64
	for r := range 3 {
		for c := range 3 {
			r1, r2 := (r+1)%3, (r+2)%3
			c1, c2 := (c+1)%3, (c+2)%3
			out[r*3+c] = a(r1, c1)*a(r2, c2) - a(r1, c2)*a(r2, c1)
		}
	}
	return out
}

// primitive is one triangle-list primitive read from an asset, with every
// attribute the LOD builder carries.
type primitive struct {
	positions [][3]float32
	normals   [][3]float32
	tangents  [][4]float32
	uv0, uv1  [][2]float32
	colors    [][4]float32
	indices   []uint32
	material  *int
	variants  json.RawMessage // KHR_materials_variants mappings
}

// meshGeometry is a mesh's primitives as read.
type meshGeometry struct {
	name  string
	prims []primitive
}

// readMeshes reads every mesh of a as triangle lists. Points and lines
// are left out, strips and fans are converted; notes say what was dropped.
func readMeshes(a *gltf.Asset) ([]meshGeometry, []string, error) {
	var notes []string
	out := make([]meshGeometry, len(a.Doc.Meshes))
	for mi, mesh := range a.Doc.Meshes {
		out[mi].name = mesh.Name
		for pi, prim := range mesh.Primitives {
			p, note, err := readPrimitive(a, &prim)
			if err != nil {
				return nil, nil, fmt.Errorf("assetpipe: mesh %d primitive %d: %w", mi, pi, err)
			}
			if note != "" {
				notes = append(notes, fmt.Sprintf("/meshes/%d/primitives/%d: %s", mi, pi, note))
			}
			if p != nil {
				out[mi].prims = append(out[mi].prims, *p)
			}
		}
	}
	return out, notes, nil
}

func readPrimitive(a *gltf.Asset, prim *gltf.Primitive) (*primitive, string, error) {
	mode := gltf.ModeTriangles
	if prim.Mode != nil {
		mode = *prim.Mode
	}
	if mode != gltf.ModeTriangles && mode != gltf.ModeTriangleStrip && mode != gltf.ModeTriangleFan {
		return nil, "points and lines are not kept in levels of detail", nil
	}
	pos, ok := prim.Attributes["POSITION"]
	if !ok {
		return nil, "a primitive without POSITION draws nothing and was dropped", nil
	}
	p := &primitive{material: prim.Material}
	var err error
	if p.positions, err = a.ReadVec3(pos); err != nil {
		return nil, "", err
	}
	n := len(p.positions)
	read2 := func(name string) ([][2]float32, error) {
		i, ok := prim.Attributes[name]
		if !ok {
			return nil, nil
		}
		v, err := a.ReadVec2(i)
		if err == nil && len(v) != n {
			err = fmt.Errorf("%s has %d elements for %d positions", name, len(v), n)
		}
		return v, err
	}
	if i, ok := prim.Attributes["NORMAL"]; ok {
		if p.normals, err = a.ReadVec3(i); err != nil {
			return nil, "", err
		}
	}
	if i, ok := prim.Attributes["TANGENT"]; ok {
		if p.tangents, err = a.ReadVec4(i); err != nil {
			return nil, "", err
		}
	}
	if p.uv0, err = read2("TEXCOORD_0"); err != nil {
		return nil, "", err
	}
	if p.uv1, err = read2("TEXCOORD_1"); err != nil {
		return nil, "", err
	}
	if i, ok := prim.Attributes["COLOR_0"]; ok {
		switch a.Doc.Accessors[i].Type {
		case gltf.TypeVec4:
			p.colors, err = a.ReadVec4(i)
		case gltf.TypeVec3:
			var c3 [][3]float32
			c3, err = a.ReadVec3(i)
			for _, c := range c3 {
				p.colors = append(p.colors, [4]float32{c[0], c[1], c[2], 1})
			}
		}
		if err != nil {
			return nil, "", err
		}
	}
	for name, got := range map[string]int{"NORMAL": len(p.normals), "TANGENT": len(p.tangents), "COLOR_0": len(p.colors)} {
		if got != 0 && got != n {
			return nil, "", fmt.Errorf("%s has %d elements for %d positions", name, got, n)
		}
	}
	var raw []uint32
	if prim.Indices != nil {
		if raw, err = a.ReadIndices(*prim.Indices); err != nil {
			return nil, "", err
		}
	} else {
		raw = make([]uint32, n)
		for i := range raw {
			raw[i] = uint32(i)
		}
	}
	for _, ix := range raw {
		if int(ix) >= n {
			return nil, "", fmt.Errorf("index %d is beyond the %d vertices", ix, n)
		}
	}
	p.indices = triangulate(raw, mode)
	for _, v := range p.positions {
		if !finite3(v) {
			return nil, "", errors.New("POSITION holds a non-finite value")
		}
	}
	if v, ok := prim.Extensions["KHR_materials_variants"]; ok {
		p.variants = v
	}
	var note string
	if len(prim.Targets) > 0 {
		note = "morph targets are not kept in levels of detail; the rest pose is used"
	}
	return p, note, nil
}

// triangulate turns strips and fans into a triangle list, dropping
// degenerate triangles they use for restarts.
func triangulate(ix []uint32, mode int) []uint32 {
	switch mode {
	case gltf.ModeTriangleStrip:
		var out []uint32
		for i := 0; i+2 < len(ix); i++ {
			a, b, c := ix[i], ix[i+1], ix[i+2]
			if i%2 == 1 {
				a, b = b, a
			}
			if a != b && b != c && a != c {
				out = append(out, a, b, c)
			}
		}
		return out
	case gltf.ModeTriangleFan:
		var out []uint32
		for i := 1; i+1 < len(ix); i++ {
			if ix[0] != ix[i] && ix[i] != ix[i+1] && ix[0] != ix[i+1] {
				out = append(out, ix[0], ix[i], ix[i+1])
			}
		}
		return out
	}
	return ix[:len(ix)-len(ix)%3]
}

func finite3(v [3]float32) bool {
	for _, c := range v {
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return false
		}
	}
	return true
}
