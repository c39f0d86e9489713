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

// weld merges the vertices of p whose every attribute is bit-for-bit
// equal and rewrites the indices to use the survivor (the first of each
// group), dropping the rest. Exporters often repeat vertices along a
// seam that is no seam at all (same position, normal and UV); left split,
// the simplifier must treat their position as a wedge junction and lock
// it, and every level pays for the copies. It returns how many vertices
// were removed.
func weld(p *primitive) int {
	n := len(p.positions)
	if n < 2 {
		return 0
	}
	hashes := make([]uint64, n)
	for i := range n {
		hashes[i] = p.vertexHash(i)
	}
	// Open addressing over a power-of-two table at most half full, as
	// meshoptimizer's vertex remap does.
	size := 1
	for size < 2*n {
		size <<= 1
	}
	table := make([]int32, size)
	for i := range table {
		table[i] = -1
	}
	remap := make([]uint32, n)
	kept := 0
	for i := range n {
		slot := hashes[i] & uint64(size-1)
		for {
			j := table[slot]
			if j < 0 {
				table[slot] = int32(i)
				remap[i] = uint32(kept)
				kept++
				break
			}
			if hashes[j] == hashes[i] && p.sameVertex(int(j), i) {
				remap[i] = remap[j]
				break
			}
			slot = (slot + 1) & uint64(size-1)
		}
	}
	if kept == n {
		return 0
	}
	// Survivors keep their relative order, so compaction is in place.
	next := 0
	for i := range n {
		if int(remap[i]) != next {
			continue // a duplicate of an earlier vertex
		}
		p.positions[next] = p.positions[i]
		if p.normals != nil {
			p.normals[next] = p.normals[i]
		}
		if p.tangents != nil {
			p.tangents[next] = p.tangents[i]
		}
		if p.uv0 != nil {
			p.uv0[next] = p.uv0[i]
		}
		if p.uv1 != nil {
			p.uv1[next] = p.uv1[i]
		}
		if p.colors != nil {
			p.colors[next] = p.colors[i]
		}
		next++
	}
	p.positions = p.positions[:kept]
	if p.normals != nil {
		p.normals = p.normals[:kept]
	}
	if p.tangents != nil {
		p.tangents = p.tangents[:kept]
	}
	if p.uv0 != nil {
		p.uv0 = p.uv0[:kept]
	}
	if p.uv1 != nil {
		p.uv1 = p.uv1[:kept]
	}
	if p.colors != nil {
		p.colors = p.colors[:kept]
	}
	indices := make([]uint32, len(p.indices))
	for i, v := range p.indices {
		indices[i] = remap[v]
	}
	p.indices = indices
	return n - kept
}

// vertexHash hashes every attribute of vertex i (FNV-1a over the bits).
func (p *primitive) vertexHash(i int) uint64 {
	h := uint64(14695981039346656037)
	mix := func(f float32) {
		h ^= uint64(math.Float32bits(f))
		h *= 1099511628211
	}
	for _, c := range p.positions[i] {
		mix(c)
	}
	if p.normals != nil {
		for _, c := range p.normals[i] {
			mix(c)
		}
	}
	if p.uv0 != nil {
		mix(p.uv0[i][0])
		mix(p.uv0[i][1])
	}
	return h
}

// sameVertex reports whether vertices a and b agree bit for bit in every
// attribute.
func (p *primitive) sameVertex(a, b int) bool {
	eq3 := func(x, y [3]float32) bool {
		return math.Float32bits(x[0]) == math.Float32bits(y[0]) && math.Float32bits(x[1]) == math.Float32bits(y[1]) && math.Float32bits(x[2]) == math.Float32bits(y[2])
	}
	eq2 := func(x, y [2]float32) bool {
		return math.Float32bits(x[0]) == math.Float32bits(y[0]) && math.Float32bits(x[1]) == math.Float32bits(y[1])
	}
	eq4 := func(x, y [4]float32) bool {
		return eq3([3]float32{x[0], x[1], x[2]}, [3]float32{y[0], y[1], y[2]}) && math.Float32bits(x[3]) == math.Float32bits(y[3])
	}
	return eq3(p.positions[a], p.positions[b]) &&
		(p.normals == nil || eq3(p.normals[a], p.normals[b])) &&
		(p.tangents == nil || eq4(p.tangents[a], p.tangents[b])) &&
		(p.uv0 == nil || eq2(p.uv0[a], p.uv0[b])) &&
		(p.uv1 == nil || eq2(p.uv1[a], p.uv1[b])) &&
		(p.colors == nil || eq4(p.colors[a], p.colors[b]))
}

// flatShaded reports whether every corner of every triangle in indices
// carries its triangle's own normal (within about a degree): then the
// normals say nothing a viewer cannot work out, since glTF clients must
// compute flat normals when a primitive has none.
func flatShaded(positions, normals [][3]float32, indices []uint32) bool {
	if normals == nil || len(indices) == 0 {
		return false
	}
	const minCos = 0.9998
	for t := 0; t+2 < len(indices); t += 3 {
		a, b, c := positions[indices[t]], positions[indices[t+1]], positions[indices[t+2]]
		e1 := [3]float64{float64(b[0] - a[0]), float64(b[1] - a[1]), float64(b[2] - a[2])}
		e2 := [3]float64{float64(c[0] - a[0]), float64(c[1] - a[1]), float64(c[2] - a[2])}
		f := [3]float64{e1[1]*e2[2] - e1[2]*e2[1], e1[2]*e2[0] - e1[0]*e2[2], e1[0]*e2[1] - e1[1]*e2[0]}
		fl := math.Sqrt(f[0]*f[0] + f[1]*f[1] + f[2]*f[2])
		if !(fl > 0) {
			return false
		}
		for k := range 3 {
			n := normals[indices[t+k]]
			nl := math.Sqrt(float64(n[0])*float64(n[0]) + float64(n[1])*float64(n[1]) + float64(n[2])*float64(n[2]))
			if !(nl > 0) || (f[0]*float64(n[0])+f[1]*float64(n[1])+f[2]*float64(n[2]))/(fl*nl) < minCos {
				return false
			}
		}
	}
	return true
}
