package glb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Primitive modes the decoder turns into triangle lists; points and lines
// are skipped because a product view shows surfaces.
const (
	modeTriangles     = 4
	modeTriangleStrip = 5
	modeTriangleFan   = 6
)

// Component types of accessors.
const (
	compByte          = 5120
	compUnsignedByte  = 5121
	compShort         = 5122
	compUnsignedShort = 5123
	compUnsignedInt   = 5125
	compFloat         = 5126
)

var componentSize = map[int]int{
	compByte: 1, compUnsignedByte: 1, compShort: 2, compUnsignedShort: 2, compUnsignedInt: 4, compFloat: 4,
}

var typeComponents = map[string]int{
	"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16,
}

// walkScene emits a Mesh for every triangle primitive reachable from the
// default scene (or every root node when the file names no scene), with
// node transforms applied.
func (d *decoder) walkScene(m *Model) error {
	roots, err := d.roots()
	if err != nil {
		return err
	}
	onPath := make([]bool, len(d.doc.Nodes))
	for _, r := range roots {
		if err := d.walkNode(m, r, identity(), onPath, 0); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) roots() ([]int, error) {
	doc := d.doc
	if len(doc.Scenes) > 0 {
		s := 0
		if doc.Scene != nil {
			s = *doc.Scene
		}
		if s < 0 || s >= len(doc.Scenes) {
			return nil, fmt.Errorf("%w: scene %d of %d", ErrInvalid, s, len(doc.Scenes))
		}
		return doc.Scenes[s].Nodes, nil
	}
	// No scenes: every node that is nobody's child is a root.
	isChild := make([]bool, len(doc.Nodes))
	for _, n := range doc.Nodes {
		for _, c := range n.Children {
			if c >= 0 && c < len(isChild) {
				isChild[c] = true
			}
		}
	}
	var roots []int
	for i := range doc.Nodes {
		if !isChild[i] {
			roots = append(roots, i)
		}
	}
	return roots, nil
}

func (d *decoder) walkNode(m *Model, idx int, parent mat4, onPath []bool, depth int) error {
	if idx < 0 || idx >= len(d.doc.Nodes) {
		return fmt.Errorf("%w: node %d of %d", ErrInvalid, idx, len(d.doc.Nodes))
	}
	if onPath[idx] {
		return fmt.Errorf("%w: node %d is its own ancestor", ErrInvalid, idx)
	}
	if depth >= d.lim.MaxDepth {
		return fmt.Errorf("%w: node hierarchy deeper than %d", ErrTooLarge, d.lim.MaxDepth)
	}
	n := d.doc.Nodes[idx]
	local, err := localMatrix(n)
	if err != nil {
		return fmt.Errorf("node %d: %w", idx, err)
	}
	world := parent.mul(local)
	if n.Mesh != nil {
		if err := d.emitMesh(m, *n.Mesh, world); err != nil {
			return fmt.Errorf("node %d: %w", idx, err)
		}
	}
	onPath[idx] = true
	for _, c := range n.Children {
		if err := d.walkNode(m, c, world, onPath, depth+1); err != nil {
			return err
		}
	}
	onPath[idx] = false
	return nil
}

func (d *decoder) emitMesh(m *Model, meshIdx int, world mat4) error {
	if meshIdx < 0 || meshIdx >= len(d.doc.Meshes) {
		return fmt.Errorf("%w: mesh %d of %d", ErrInvalid, meshIdx, len(d.doc.Meshes))
	}
	src := d.doc.Meshes[meshIdx]
	for pi, p := range src.Primitives {
		mode := modeTriangles
		if p.Mode != nil {
			mode = *p.Mode
		}
		if mode != modeTriangles && mode != modeTriangleStrip && mode != modeTriangleFan {
			continue
		}
		if len(m.Meshes) >= d.lim.MaxPrimitives {
			return fmt.Errorf("%w: more than %d primitives", ErrTooLarge, d.lim.MaxPrimitives)
		}
		out, err := d.primitive(p, mode, world)
		if err != nil {
			return fmt.Errorf("mesh %d primitive %d: %w", meshIdx, pi, err)
		}
		out.Name = src.Name
		m.Meshes = append(m.Meshes, out)
	}
	return nil
}

func (d *decoder) primitive(p primitive, mode int, world mat4) (Mesh, error) {
	out := Mesh{Material: -1}
	uvMap := uvMapping{transform: identityUV()}
	if p.Material != nil {
		if *p.Material < 0 || *p.Material >= len(d.doc.Materials) {
			return out, fmt.Errorf("%w: material %d of %d", ErrInvalid, *p.Material, len(d.doc.Materials))
		}
		out.Material = *p.Material
		uvMap = d.baseColorUV[out.Material]
	}
	posIdx, ok := p.Attributes["POSITION"]
	if !ok {
		return out, fmt.Errorf("%w: no POSITION attribute", ErrInvalid)
	}
	posAttr, err := d.attribute(posIdx, semPosition)
	if err != nil {
		return out, fmt.Errorf("POSITION: %w", err)
	}
	count := posAttr.count()
	if d.vertices+count > d.lim.MaxVertices {
		return out, fmt.Errorf("%w: more than %d vertices", ErrTooLarge, d.lim.MaxVertices)
	}
	d.vertices += count
	pos, err := posAttr.read()
	if err != nil {
		return out, fmt.Errorf("POSITION: %w", err)
	}
	// readOther reads another attribute of the primitive, which must
	// have as many elements as POSITION; nil when it is absent.
	readOther := func(name string, sem semantic) ([]float32, error) {
		i, ok := p.Attributes[name]
		if !ok {
			return nil, nil
		}
		a, err := d.attribute(i, sem)
		if err == nil && a.count() != count {
			err = fmt.Errorf("%w: %d elements for %d positions", ErrInvalid, a.count(), count)
		}
		var v []float32
		if err == nil {
			v, err = a.read()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
	normals, err := readOther("NORMAL", semNormal)
	if err != nil {
		return out, err
	}
	if out.Tangents, err = readOther("TANGENT", semTangent); err != nil {
		return out, err
	}
	uvName := "TEXCOORD_" + strconv.Itoa(uvMap.set)
	if out.UVs, err = readOther(uvName, semTexCoord); err != nil {
		return out, err
	}
	if err := uvMap.transform.apply(out.UVs); err != nil {
		return out, fmt.Errorf("%s: %w", uvName, err)
	}
	for set, need := range d.primitiveRawSets(p, out.Material) {
		if !need {
			continue
		}
		name := "TEXCOORD_" + strconv.Itoa(set)
		if out.RawUVs[set], err = readOther(name, semTexCoord); err != nil {
			return out, err
		}
	}
	if out.Colors, err = readOther("COLOR_0", semColor); err != nil {
		return out, err
	}

	var indices []uint32
	if p.Indices != nil {
		if indices, err = d.indexList(*p.Indices, count); err != nil {
			return out, fmt.Errorf("indices: %w", err)
		}
	} else {
		indices = make([]uint32, count)
		for i := range indices {
			indices[i] = uint32(i)
		}
	}
	indices = triangulate(indices, mode)
	if d.indices+len(indices) > d.lim.MaxIndices {
		return out, fmt.Errorf("%w: more than %d indices", ErrTooLarge, d.lim.MaxIndices)
	}
	d.indices += len(indices)

	// Quantised positions are dequantised here too: the node transform
	// (KHR_mesh_quantization's scale and offset) is part of world.
	world.transformPoints(pos)
	mirrored := world.determinant() < 0
	if mirrored {
		// A mirroring transform turns front faces into back faces.
		for i := 0; i+2 < len(indices); i += 3 {
			indices[i+1], indices[i+2] = indices[i+2], indices[i+1]
		}
	}
	if normals == nil {
		normals = faceNormals(pos, indices)
	} else {
		world.normalMatrix().transformNormals(normals)
	}
	if out.Tangents != nil {
		world.transformTangents(out.Tangents, mirrored)
	}
	out.Positions, out.Normals, out.Indices = pos, normals, indices
	out.Variants, err = d.meshVariants(p, uvMap, func(set int) ([]float32, error) {
		return readOther("TEXCOORD_"+strconv.Itoa(set), semTexCoord)
	})
	return out, err
}

// accessorBytes checks accessor i against want (type and component
// count) and returns its elements' bytes, element size and stride.
func (d *decoder) accessorBytes(i int, wantType string) (ac accessor, data []byte, elemSize, stride int, err error) {
	if i < 0 || i >= len(d.doc.Accessors) {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d of %d", ErrInvalid, i, len(d.doc.Accessors))
	}
	ac = d.doc.Accessors[i]
	if wantType != "" && ac.Type != wantType {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d is %s, want %s", ErrInvalid, i, truncate(ac.Type), wantType)
	}
	if _, ok := typeComponents[ac.Type]; !ok {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d type %q", ErrInvalid, i, truncate(ac.Type))
	}
	if len(ac.Sparse) > 0 && string(ac.Sparse) != "null" {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d is sparse, which is not supported", ErrInvalid, i)
	}
	cs, ok := componentSize[ac.ComponentType]
	if !ok {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d component type %d", ErrInvalid, i, ac.ComponentType)
	}
	nc := typeComponents[ac.Type]
	elemSize = cs * nc
	if ac.Count < 0 || ac.Count > d.lim.MaxIndices {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d count %d", ErrTooLarge, i, ac.Count)
	}
	if ac.BufferView == nil {
		// Such an accessor is all zeros unless sparse data fills it, and
		// sparse data is refused above.
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d has no buffer view", ErrInvalid, i)
	}
	view, stride, err := d.view(*ac.BufferView)
	if err != nil {
		return ac, nil, 0, 0, fmt.Errorf("accessor %d: %w", i, err)
	}
	if stride == 0 {
		stride = elemSize
	}
	if stride < elemSize {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d elements of %d bytes in a stride of %d", ErrInvalid, i, elemSize, stride)
	}
	if ac.ByteOffset < 0 || ac.ByteOffset > len(view) {
		return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d offset %d past its %d-byte view", ErrInvalid, i, ac.ByteOffset, len(view))
	}
	view = view[ac.ByteOffset:]
	if ac.Count > 0 {
		need := int64(ac.Count-1)*int64(stride) + int64(elemSize)
		if need > int64(len(view)) {
			return ac, nil, 0, 0, fmt.Errorf("%w: accessor %d needs %d bytes, its view holds %d", ErrInvalid, i, need, len(view))
		}
	}
	return ac, view, elemSize, stride, nil
}

// indexList reads an index accessor and checks every index against the
// vertex count.
func (d *decoder) indexList(i, vertexCount int) ([]uint32, error) {
	ac, data, _, stride, err := d.accessorBytes(i, "SCALAR")
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	out := make([]uint32, ac.Count)
	for e := range out {
		b := data[e*stride:]
		var v uint32
		switch ac.ComponentType {
		case compUnsignedByte:
			v = uint32(b[0])
		case compUnsignedShort:
			v = uint32(le.Uint16(b))
		case compUnsignedInt:
			v = le.Uint32(b)
		default:
			return nil, fmt.Errorf("%w: index accessor %d component type %d", ErrInvalid, i, ac.ComponentType)
		}
		if int64(v) >= int64(vertexCount) {
			return nil, fmt.Errorf("%w: index %d at %d is past %d vertices", ErrInvalid, v, e, vertexCount)
		}
		out[e] = v
	}
	return out, nil
}

// triangulate turns strip and fan index sequences into a triangle list and
// drops a trailing partial triangle.
func triangulate(idx []uint32, mode int) []uint32 {
	switch mode {
	case modeTriangleStrip:
		if len(idx) < 3 {
			return nil
		}
		out := make([]uint32, 0, (len(idx)-2)*3)
		for i := 0; i+2 < len(idx); i++ {
			if i%2 == 0 {
				out = append(out, idx[i], idx[i+1], idx[i+2])
			} else {
				out = append(out, idx[i+1], idx[i], idx[i+2])
			}
		}
		return out
	case modeTriangleFan:
		if len(idx) < 3 {
			return nil
		}
		out := make([]uint32, 0, (len(idx)-2)*3)
		for i := 1; i+1 < len(idx); i++ {
			out = append(out, idx[0], idx[i], idx[i+1])
		}
		return out
	}
	return idx[:len(idx)/3*3]
}

// faceNormals computes smooth vertex normals by summing the area-weighted
// normals of the triangles around each vertex.
func faceNormals(pos []float32, idx []uint32) []float32 {
	n := make([]float32, len(pos))
	for t := 0; t+2 < len(idx); t += 3 {
		a, b, c := int(idx[t])*3, int(idx[t+1])*3, int(idx[t+2])*3
		e1 := [3]float32{pos[b] - pos[a], pos[b+1] - pos[a+1], pos[b+2] - pos[a+2]}
		e2 := [3]float32{pos[c] - pos[a], pos[c+1] - pos[a+1], pos[c+2] - pos[a+2]}
		cx := e1[1]*e2[2] - e1[2]*e2[1]
		cy := e1[2]*e2[0] - e1[0]*e2[2]
		cz := e1[0]*e2[1] - e1[1]*e2[0]
		for _, v := range [3]int{a, b, c} {
			n[v] += cx
			n[v+1] += cy
			n[v+2] += cz
		}
	}
	normalizeAll(n)
	return n
}

func normalizeAll(n []float32) {
	for i := 0; i+2 < len(n); i += 3 {
		l := float32(math.Sqrt(float64(n[i]*n[i] + n[i+1]*n[i+1] + n[i+2]*n[i+2])))
		if l < 1e-12 {
			n[i], n[i+1], n[i+2] = 0, 1, 0
			continue
		}
		n[i] /= l
		n[i+1] /= l
		n[i+2] /= l
	}
}

// primitiveRawSets says which raw texture coordinate sets the textures
// of a primitive's materials (material mat and those its variants map
// to) read. Variant mappings are checked later by meshVariants.
func (d *decoder) primitiveRawSets(p primitive, mat int) [2]bool {
	var mask uint8
	if mat >= 0 {
		mask = d.rawSets[mat]
	}
	if ext := p.Extensions.Variants; ext != nil {
		for _, mp := range ext.Mappings {
			if mp.Material != nil && *mp.Material >= 0 && *mp.Material < len(d.rawSets) {
				mask |= d.rawSets[*mp.Material]
			}
		}
	}
	return [2]bool{mask&1 != 0, mask&2 != 0}
}
