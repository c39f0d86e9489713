package gltf

import (
	"errors"
	"math"
)

// ErrNoGeometry is returned (wrapped) by Bounds when the scene draws no
// POSITION data.
var ErrNoGeometry = errors.New("gltf: the scene has no geometry")

// Mat4 is a column-major 4×4 matrix, as glTF stores node matrices.
type Mat4 [16]float64

// Identity is the Identity matrix.
var Identity = Mat4{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}

// Mul returns m·n.
func (m Mat4) Mul(n Mat4) Mat4 {
	var out Mat4
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

// TransformPoint applies m to the point p.
func (m Mat4) TransformPoint(p [3]float64) [3]float64 {
	var out [3]float64
	for row := range 3 {
		out[row] = m[row]*p[0] + m[4+row]*p[1] + m[8+row]*p[2] + m[12+row]
	}
	return out
}

// LocalMatrix returns a node's local transform: its matrix, or T·R·S.
// Malformed arrays (which validation rejects) are treated as absent.
func LocalMatrix(n *Node) Mat4 {
	if len(n.Matrix) == 16 {
		var m Mat4
		copy(m[:], n.Matrix)
		return m
	}
	t := [3]float64{0, 0, 0}
	q := [4]float64{0, 0, 0, 1}
	s := [3]float64{1, 1, 1}
	if len(n.Translation) == 3 {
		copy(t[:], n.Translation)
	}
	if len(n.Rotation) == 4 {
		copy(q[:], n.Rotation)
	}
	if len(n.Scale) == 3 {
		copy(s[:], n.Scale)
	}
	x, y, z, w := q[0], q[1], q[2], q[3]
	r := Mat4{
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

// SceneRoots returns the root nodes measured: the default scene's, else
// scene 0's, else every node that is nobody's child.
func SceneRoots(doc *Document) []int {
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

// traverseDepthLimit stops traversal of malformed hierarchies (validated
// assets are bounded by MaxNodeDepth).
const traverseDepthLimit = 1024

// Walk visits each node reachable from the scene roots once, in
// depth-first order, with its world matrix (root times the node's
// ancestors' and its own local matrices). Invalid references, repeated
// nodes and cycles are skipped, so it terminates on any document.
func Walk(doc *Document, root Mat4, visit func(node int, world Mat4)) {
	type item struct {
		node   int
		parent Mat4
		depth  int
	}
	seen := make([]bool, len(doc.Nodes))
	roots := SceneRoots(doc)
	stack := make([]item, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, item{roots[i], root, 1})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.node < 0 || it.node >= len(doc.Nodes) || seen[it.node] || it.depth > traverseDepthLimit {
			continue
		}
		seen[it.node] = true
		n := &doc.Nodes[it.node]
		world := it.parent.Mul(LocalMatrix(n))
		visit(it.node, world)
		for i := len(n.Children) - 1; i >= 0; i-- {
			stack = append(stack, item{n.Children[i], world, it.depth + 1})
		}
	}
}

// Bounds returns the world-space axis-aligned bounds of the default scene
// (or scene 0, or all root nodes when there are no scenes) in the model's
// units (glTF: metres), in the rest pose: each node's matrix or TRS is
// applied through the hierarchy to the 8 corners of every POSITION
// accessor's min/max box; skins and morph targets are ignored. It fails
// with ErrNoGeometry when nothing is drawn.
func (a *Asset) Bounds() (min, max [3]float64, err error) {
	if a == nil || a.Doc == nil {
		return min, max, errors.New("gltf: bounds: asset has no document")
	}
	doc := a.Doc
	for c := range 3 {
		min[c], max[c] = math.Inf(1), math.Inf(-1)
	}
	found := false
	var firstErr error
	Walk(doc, Identity, func(node int, world Mat4) {
		m := doc.Nodes[node].Mesh
		if m == nil || *m < 0 || *m >= len(doc.Meshes) {
			return
		}
		for _, prim := range doc.Meshes[*m].Primitives {
			pos, ok := prim.Attributes["POSITION"]
			if !ok {
				continue
			}
			lo, hi, err := a.positionBox(pos)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			for corner := range 8 {
				p := [3]float64{lo[0], lo[1], lo[2]}
				for c := range 3 {
					if corner&(1<<c) != 0 {
						p[c] = hi[c]
					}
				}
				w := world.TransformPoint(p)
				for c := range 3 {
					min[c] = math.Min(min[c], w[c])
					max[c] = math.Max(max[c], w[c])
				}
			}
			found = true
		}
	})
	if firstErr != nil {
		return [3]float64{}, [3]float64{}, firstErr
	}
	if !found {
		return [3]float64{}, [3]float64{}, ErrNoGeometry
	}
	return min, max, nil
}

// positionBox returns a POSITION accessor's local box: its declared
// min/max (dequantised when normalized), or the data's own extent when
// they are missing.
func (a *Asset) positionBox(i int) (lo, hi [3]float64, err error) {
	if i < 0 || i >= len(a.Doc.Accessors) {
		return lo, hi, errors.New("gltf: bounds: POSITION accessor does not exist")
	}
	acc := &a.Doc.Accessors[i]
	if len(acc.Min) == 3 && len(acc.Max) == 3 {
		for c := range 3 {
			lo[c], hi[c] = acc.Min[c], acc.Max[c]
			if acc.Normalized {
				lo[c], hi[c] = normalize(lo[c], acc.ComponentType), normalize(hi[c], acc.ComponentType)
			}
		}
		return lo, hi, nil
	}
	for c := range 3 {
		lo[c], hi[c] = math.Inf(1), math.Inf(-1)
	}
	err = a.walk(i, true, func(_ int, v []float64) bool {
		for c := 0; c < 3 && c < len(v); c++ {
			lo[c] = math.Min(lo[c], v[c])
			hi[c] = math.Max(hi[c], v[c])
		}
		return true
	})
	return lo, hi, err
}

// Stats counts what an asset draws. Triangles, Vertices and Primitives
// count each mesh once per node instance in the measured scene; Materials,
// Textures and Images count the document's arrays.
type Stats struct {
	Triangles  int
	Vertices   int
	Primitives int
	Materials  int
	Textures   int
	Images     int
}

// Stats returns the asset's counts (see Stats).
func (a *Asset) Stats() Stats {
	if a == nil || a.Doc == nil {
		return Stats{}
	}
	inst, _ := documentStats(a.Doc)
	return inst
}

// documentStats returns the instanced counts of the measured scene and the
// counts over distinct meshes (each mesh once, instanced or not).
func documentStats(doc *Document) (instanced, unique Stats) {
	meshStats := make([]Stats, len(doc.Meshes))
	for mi, mesh := range doc.Meshes {
		for _, prim := range mesh.Primitives {
			meshStats[mi].Primitives++
			vertices, triangles := primitiveCounts(doc, &prim)
			meshStats[mi].Vertices += vertices
			meshStats[mi].Triangles += triangles
		}
		unique.Primitives += meshStats[mi].Primitives
		unique.Vertices += meshStats[mi].Vertices
		unique.Triangles += meshStats[mi].Triangles
	}
	Walk(doc, Identity, func(node int, _ Mat4) {
		m := doc.Nodes[node].Mesh
		if m == nil || *m < 0 || *m >= len(meshStats) {
			return
		}
		instanced.Primitives += meshStats[*m].Primitives
		instanced.Vertices += meshStats[*m].Vertices
		instanced.Triangles += meshStats[*m].Triangles
	})
	for _, s := range []*Stats{&instanced, &unique} {
		s.Materials, s.Textures, s.Images = len(doc.Materials), len(doc.Textures), len(doc.Images)
	}
	return instanced, unique
}

// primitiveCounts returns a primitive's vertex count (its POSITION count)
// and the triangles its mode draws.
func primitiveCounts(doc *Document, prim *Primitive) (vertices, triangles int) {
	if pos, ok := prim.Attributes["POSITION"]; ok && pos >= 0 && pos < len(doc.Accessors) {
		vertices = max(doc.Accessors[pos].Count, 0)
	}
	drawn := vertices
	if prim.Indices != nil && *prim.Indices >= 0 && *prim.Indices < len(doc.Accessors) {
		drawn = max(doc.Accessors[*prim.Indices].Count, 0)
	}
	mode := ModeTriangles
	if prim.Mode != nil {
		mode = *prim.Mode
	}
	switch mode {
	case ModeTriangles:
		triangles = drawn / 3
	case ModeTriangleStrip, ModeTriangleFan:
		triangles = max(drawn-2, 0)
	}
	return vertices, triangles
}
