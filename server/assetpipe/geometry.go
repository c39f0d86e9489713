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

// mat4 is a column-major 4×4 matrix, as glTF stores node matrices.
type mat4 [16]float64

var identity4 = mat4{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}

func (m mat4) mul(n mat4) mat4 {
	var out mat4
	for col := range 4 {
		for row := range 4 {
			var s float64
			for k := range 4 {
				s += m[k*4+row] * n[col*4+k]
			}
			out[col*4+row] = s
		}
	}
	return out
}

func (m mat4) point(p [3]float64) [3]float64 {
	var out [3]float64
	for row := range 3 {
		out[row] = m[row]*p[0] + m[4+row]*p[1] + m[8+row]*p[2] + m[12+row]
	}
	return out
}

// normalMatrix returns the cofactor matrix of m's linear part (the
// inverse transpose up to a positive-or-negative scale), row-major 3×3.
func (m mat4) normalMatrix() [9]float64 {
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

func trsMatrix(t [3]float64, q [4]float64, s [3]float64) mat4 {
	x, y, z, w := q[0], q[1], q[2], q[3]
	r := mat4{
		1 - 2*(y*y+z*z), 2 * (x*y + z*w), 2 * (x*z - y*w), 0,
		2 * (x*y - z*w), 1 - 2*(x*x+z*z), 2 * (y*z + x*w), 0,
		2 * (x*z + y*w), 2 * (y*z - x*w), 1 - 2*(x*x+y*y), 0,
		0, 0, 0, 1,
	}
	for col := range 3 {
		for row := range 3 {
			r[col*4+row] *= s[col]
		}
	}
	r[12], r[13], r[14] = t[0], t[1], t[2]
	return r
}

func localMatrix(n *gltf.Node) mat4 {
	if len(n.Matrix) == 16 {
		var m mat4
		copy(m[:], n.Matrix)
		return m
	}
	t, q, s := [3]float64{}, [4]float64{0, 0, 0, 1}, [3]float64{1, 1, 1}
	if len(n.Translation) == 3 {
		copy(t[:], n.Translation)
	}
	if len(n.Rotation) == 4 {
		copy(q[:], n.Rotation)
	}
	if len(n.Scale) == 3 {
		copy(s[:], n.Scale)
	}
	return trsMatrix(t, q, s)
}

// sceneRoots returns the measured scene's root nodes, as gltf.Bounds
// chooses them.
func sceneRoots(doc *gltf.Document) []int {
	if doc.Scene != nil && *doc.Scene >= 0 && *doc.Scene < len(doc.Scenes) {
		return doc.Scenes[*doc.Scene].Nodes
	}
	if len(doc.Scenes) > 0 {
		return doc.Scenes[0].Nodes
	}
	isChild := make([]bool, len(doc.Nodes))
	for _, n := range doc.Nodes {
		for _, c := range n.Children {
			if c >= 0 && c < len(isChild) {
				isChild[c] = true
			}
		}
	}
	var roots []int
	for i, child := range isChild {
		if !child {
			roots = append(roots, i)
		}
	}
	return roots
}

// walkNodes visits every node reachable from the scene roots once, depth
// first, with its world matrix; bad references and cycles are skipped.
func walkNodes(doc *gltf.Document, root mat4, visit func(node int, world mat4)) {
	type item struct {
		node   int
		parent mat4
		depth  int
	}
	seen := make([]bool, len(doc.Nodes))
	roots := sceneRoots(doc)
	var stack []item
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, item{roots[i], root, 1})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.node < 0 || it.node >= len(doc.Nodes) || seen[it.node] || it.depth > 1024 {
			continue
		}
		seen[it.node] = true
		n := &doc.Nodes[it.node]
		world := it.parent.mul(localMatrix(n))
		visit(it.node, world)
		for i := len(n.Children) - 1; i >= 0; i-- {
			stack = append(stack, item{n.Children[i], world, it.depth + 1})
		}
	}
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
