package gltf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Sampler settings and limits of the Builder (glTF 2.0 §5.26 for the
// filter and wrap codes). They are unexported so that they cannot collide
// with the parser's names in this package.
const (
	builderFilterLinear        = 9729
	builderFilterTrilinear     = 9987 // LINEAR_MIPMAP_LINEAR
	builderWrapRepeat          = 10497
	builderMaxUint16Vertices   = 65535 // 65535 itself is the primitive-restart value and is avoided
	builderAlign               = 4
	builderMaxBufferBytes      = 1 << 30
	builderDefaultGeneratorTag = "vitrine gltf.Builder"
)

// ErrBuilder is wrapped by every error the Builder returns for malformed
// input (mismatched attribute lengths, out-of-range indices, bad images).
var ErrBuilder = errors.New("gltf: builder")

// Builder assembles a glTF 2.0 Document together with its single binary
// buffer, ready to be written as a GLB. Every accessor, image and buffer
// view lives in that one buffer; buffer views start on 4-byte boundaries.
// The zero value is not usable; call NewBuilder. A Builder is not safe for
// concurrent use.
type Builder struct {
	doc     Document
	bin     []byte
	sampler int // index of the shared sampler, -1 until a texture needs it
	scene   []int
}

// NewBuilder returns an empty Builder whose asset header names generator.
func NewBuilder(generator string) *Builder {
	if generator == "" {
		generator = builderDefaultGeneratorTag
	}
	return &Builder{
		doc:     Document{Asset: AssetInfo{Version: "2.0", Generator: generator}},
		sampler: -1,
	}
}

// appendView appends data to the buffer as a new buffer view (with target,
// 0 for none) and returns the view's index.
func (b *Builder) appendView(data []byte, target int) (int, error) {
	for len(b.bin)%builderAlign != 0 {
		b.bin = append(b.bin, 0)
	}
	if len(b.bin)+len(data) > builderMaxBufferBytes {
		return 0, fmt.Errorf("%w: buffer would exceed %d bytes", ErrBuilder, builderMaxBufferBytes)
	}
	view := BufferView{Buffer: 0, ByteOffset: len(b.bin), ByteLength: len(data), Target: target}
	b.bin = append(b.bin, data...)
	b.doc.BufferViews = append(b.doc.BufferViews, view)
	return len(b.doc.BufferViews) - 1, nil
}

func (b *Builder) appendAccessor(a Accessor) int {
	b.doc.Accessors = append(b.doc.Accessors, a)
	return len(b.doc.Accessors) - 1
}

func floatBytes(values []float32) []byte {
	out := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

func checkFinite(values []float32) error {
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: component %d is not finite", ErrBuilder, i)
		}
	}
	return nil
}

// addFloatAccessor stores count elements of n float32 components as an
// ARRAY_BUFFER accessor of type typ, with min/max when withBounds is set.
func (b *Builder) addFloatAccessor(flat []float32, n int, typ string, withBounds bool) (int, error) {
	if len(flat) == 0 {
		return 0, fmt.Errorf("%w: %s accessor has no elements", ErrBuilder, typ)
	}
	if err := checkFinite(flat); err != nil {
		return 0, fmt.Errorf("%s accessor: %w", typ, err)
	}
	view, err := b.appendView(floatBytes(flat), TargetArrayBuffer)
	if err != nil {
		return 0, err
	}
	a := Accessor{BufferView: &view, ComponentType: ComponentFloat, Count: len(flat) / n, Type: typ}
	if withBounds {
		lo := make([]float32, n)
		hi := make([]float32, n)
		copy(lo, flat[:n])
		copy(hi, flat[:n])
		for i := n; i < len(flat); i += n {
			for c := 0; c < n; c++ {
				lo[c] = min(lo[c], flat[i+c])
				hi[c] = max(hi[c], flat[i+c])
			}
		}
		for c := 0; c < n; c++ {
			a.Min = append(a.Min, float64(lo[c]))
			a.Max = append(a.Max, float64(hi[c]))
		}
	}
	return b.appendAccessor(a), nil
}

// AddPositions stores vertex positions as a VEC3 float accessor with its
// exact component-wise min and max (required for POSITION) and returns the
// accessor index.
func (b *Builder) AddPositions(p [][3]float32) (int, error) {
	flat := make([]float32, 0, 3*len(p))
	for _, v := range p {
		flat = append(flat, v[0], v[1], v[2])
	}
	return b.addFloatAccessor(flat, 3, TypeVec3, true)
}

// AddVec3 stores a VEC3 float accessor without bounds (normals) and returns
// its index.
func (b *Builder) AddVec3(v [][3]float32) (int, error) {
	flat := make([]float32, 0, 3*len(v))
	for _, e := range v {
		flat = append(flat, e[0], e[1], e[2])
	}
	return b.addFloatAccessor(flat, 3, TypeVec3, false)
}

// AddVec2 stores a VEC2 float accessor (texture coordinates) and returns its
// index.
func (b *Builder) AddVec2(v [][2]float32) (int, error) {
	flat := make([]float32, 0, 2*len(v))
	for _, e := range v {
		flat = append(flat, e[0], e[1])
	}
	return b.addFloatAccessor(flat, 2, TypeVec2, false)
}

// AddVec4 stores a VEC4 float accessor (tangents, colours) and returns its
// index.
func (b *Builder) AddVec4(v [][4]float32) (int, error) {
	flat := make([]float32, 0, 4*len(v))
	for _, e := range v {
		flat = append(flat, e[0], e[1], e[2], e[3])
	}
	return b.addFloatAccessor(flat, 4, TypeVec4, false)
}

// AddIndices stores triangle indices as an ELEMENT_ARRAY_BUFFER accessor,
// as unsigned shorts when vertexCount fits (below 65535) and unsigned ints
// otherwise. Every index must be below vertexCount.
func (b *Builder) AddIndices(indices []uint32, vertexCount int) (int, error) {
	if len(indices) == 0 {
		return 0, fmt.Errorf("%w: index accessor has no elements", ErrBuilder)
	}
	for i, ix := range indices {
		if int64(ix) >= int64(vertexCount) {
			return 0, fmt.Errorf("%w: index %d is %d, beyond the %d vertices", ErrBuilder, i, ix, vertexCount)
		}
	}
	var data []byte
	componentType := ComponentUnsignedInt
	if vertexCount < builderMaxUint16Vertices {
		componentType = ComponentUnsignedShort
		data = make([]byte, 2*len(indices))
		for i, ix := range indices {
			binary.LittleEndian.PutUint16(data[2*i:], uint16(ix))
		}
	} else {
		data = make([]byte, 4*len(indices))
		for i, ix := range indices {
			binary.LittleEndian.PutUint32(data[4*i:], ix)
		}
	}
	view, err := b.appendView(data, TargetElementArrayBuffer)
	if err != nil {
		return 0, err
	}
	return b.appendAccessor(Accessor{BufferView: &view, ComponentType: componentType, Count: len(indices), Type: TypeScalar}), nil
}

// AddImage embeds PNG or JPEG bytes as an image backed by a buffer view and
// returns the image index. The MIME type is taken from the data's
// signature; anything else is rejected.
func (b *Builder) AddImage(name string, data []byte) (int, error) {
	var mime string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		mime = "image/png"
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		mime = "image/jpeg"
	default:
		return 0, fmt.Errorf("%w: image %q is neither PNG nor JPEG", ErrBuilder, name)
	}
	view, err := b.appendView(data, 0)
	if err != nil {
		return 0, fmt.Errorf("image %q: %w", name, err)
	}
	b.doc.Images = append(b.doc.Images, Image{Name: name, MimeType: mime, BufferView: &view})
	return len(b.doc.Images) - 1, nil
}

// AddTexture adds a texture sampling image with the shared sampler
// (trilinear, repeat) and returns the texture index.
func (b *Builder) AddTexture(image int) (int, error) {
	if image < 0 || image >= len(b.doc.Images) {
		return 0, fmt.Errorf("%w: texture source %d is not an image", ErrBuilder, image)
	}
	if b.sampler < 0 {
		b.doc.Samplers = append(b.doc.Samplers, Sampler{
			MagFilter: builderFilterLinear, MinFilter: builderFilterTrilinear,
			WrapS: builderWrapRepeat, WrapT: builderWrapRepeat,
		})
		b.sampler = len(b.doc.Samplers) - 1
	}
	sampler, source := b.sampler, image
	b.doc.Textures = append(b.doc.Textures, Texture{Sampler: &sampler, Source: &source})
	return len(b.doc.Textures) - 1, nil
}

// MaterialSpec describes a metallic-roughness material. Texture fields are
// texture indices from AddTexture, or -1 (or NoTexture) for none.
type MaterialSpec struct {
	Name string
	// BaseColor is linear RGBA, each in [0,1].
	BaseColor [4]float64
	// Metallic and Roughness are factors in [0,1].
	Metallic, Roughness float64
	// BaseColorTexture is an sRGB colour texture multiplied by BaseColor.
	BaseColorTexture int
	// MetallicRoughnessTexture holds roughness in G and metalness in B.
	MetallicRoughnessTexture int
	// NormalTexture is a tangent-space normal map; NormalScale scales its
	// x and y (0 means 1).
	NormalTexture int
	NormalScale   float64
	DoubleSided   bool
}

// NoTexture marks an absent texture in MaterialSpec.
const NoTexture = -1

func (b *Builder) textureInfo(field string, index int) (*TextureInfo, error) {
	if index < 0 {
		return nil, nil
	}
	if index >= len(b.doc.Textures) {
		return nil, fmt.Errorf("%w: %s %d is not a texture", ErrBuilder, field, index)
	}
	return &TextureInfo{Index: index}, nil
}

func unitFactor(name string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Errorf("%w: %s %g is outside [0,1]", ErrBuilder, name, v)
	}
	return nil
}

// AddMaterial adds a material and returns its index.
func (b *Builder) AddMaterial(m MaterialSpec) (int, error) {
	for i, c := range m.BaseColor {
		if err := unitFactor(fmt.Sprintf("material %q baseColor[%d]", m.Name, i), c); err != nil {
			return 0, err
		}
	}
	if err := unitFactor(fmt.Sprintf("material %q metallic", m.Name), m.Metallic); err != nil {
		return 0, err
	}
	if err := unitFactor(fmt.Sprintf("material %q roughness", m.Name), m.Roughness); err != nil {
		return 0, err
	}
	metallic, roughness := m.Metallic, m.Roughness
	pbr := &PBRMetallicRoughness{
		BaseColorFactor: m.BaseColor[:],
		MetallicFactor:  &metallic,
		RoughnessFactor: &roughness,
	}
	var err error
	if pbr.BaseColorTexture, err = b.textureInfo("baseColorTexture", m.BaseColorTexture); err != nil {
		return 0, err
	}
	if pbr.MetallicRoughnessTexture, err = b.textureInfo("metallicRoughnessTexture", m.MetallicRoughnessTexture); err != nil {
		return 0, err
	}
	mat := Material{Name: m.Name, PBRMetallicRoughness: pbr, DoubleSided: m.DoubleSided}
	if mat.NormalTexture, err = b.textureInfo("normalTexture", m.NormalTexture); err != nil {
		return 0, err
	}
	if mat.NormalTexture != nil && m.NormalScale != 0 && m.NormalScale != 1 {
		scale := m.NormalScale
		mat.NormalTexture.Scale = &scale
	}
	b.doc.Materials = append(b.doc.Materials, mat)
	return len(b.doc.Materials) - 1, nil
}

// PrimitiveData is one indexed triangle list. Normals, UVs and Tangents are
// optional (nil) but, when present, have one entry per position. Material
// is a material index or -1 for the glTF default material.
type PrimitiveData struct {
	Positions [][3]float32
	Normals   [][3]float32
	UVs       [][2]float32
	Tangents  [][4]float32
	Indices   []uint32
	Material  int
}

// AddMesh adds a mesh made of prims and returns the mesh index. Each
// primitive's attributes and indices become accessors.
func (b *Builder) AddMesh(name string, prims []PrimitiveData) (int, error) {
	if len(prims) == 0 {
		return 0, fmt.Errorf("%w: mesh %q has no primitives", ErrBuilder, name)
	}
	mesh := Mesh{Name: name}
	for i, p := range prims {
		prim, err := b.addPrimitive(p)
		if err != nil {
			return 0, fmt.Errorf("mesh %q primitive %d: %w", name, i, err)
		}
		mesh.Primitives = append(mesh.Primitives, prim)
	}
	b.doc.Meshes = append(b.doc.Meshes, mesh)
	return len(b.doc.Meshes) - 1, nil
}

func (b *Builder) addPrimitive(p PrimitiveData) (Primitive, error) {
	n := len(p.Positions)
	if n == 0 {
		return Primitive{}, fmt.Errorf("%w: no positions", ErrBuilder)
	}
	if len(p.Indices) == 0 || len(p.Indices)%3 != 0 {
		return Primitive{}, fmt.Errorf("%w: %d indices is not a positive multiple of 3", ErrBuilder, len(p.Indices))
	}
	for _, a := range []struct {
		name string
		got  int
	}{{"NORMAL", len(p.Normals)}, {"TEXCOORD_0", len(p.UVs)}, {"TANGENT", len(p.Tangents)}} {
		if a.got != 0 && a.got != n {
			return Primitive{}, fmt.Errorf("%w: %s has %d entries for %d positions", ErrBuilder, a.name, a.got, n)
		}
	}
	if p.Material >= len(b.doc.Materials) {
		return Primitive{}, fmt.Errorf("%w: material %d does not exist", ErrBuilder, p.Material)
	}
	attrs := map[string]int{}
	var err error
	if attrs["POSITION"], err = b.AddPositions(p.Positions); err != nil {
		return Primitive{}, err
	}
	if p.Normals != nil {
		if attrs["NORMAL"], err = b.AddVec3(p.Normals); err != nil {
			return Primitive{}, err
		}
	}
	if p.Tangents != nil {
		if attrs["TANGENT"], err = b.AddVec4(p.Tangents); err != nil {
			return Primitive{}, err
		}
	}
	if p.UVs != nil {
		if attrs["TEXCOORD_0"], err = b.AddVec2(p.UVs); err != nil {
			return Primitive{}, err
		}
	}
	indices, err := b.AddIndices(p.Indices, n)
	if err != nil {
		return Primitive{}, err
	}
	prim := Primitive{Attributes: attrs, Indices: &indices}
	if p.Material >= 0 {
		material := p.Material
		prim.Material = &material
	}
	return prim, nil
}

// NodeSpec describes a node. Mesh is a mesh index or -1. Translation,
// Rotation (unit quaternion x,y,z,w) and Scale are omitted when nil.
// Children are node indices added before this node.
type NodeSpec struct {
	Name        string
	Mesh        int
	Translation []float64
	Rotation    []float64
	Scale       []float64
	Children    []int
}

// AddNode adds a node and returns its index. Nodes that are not children of
// another node must be passed to AddToScene to be visible.
func (b *Builder) AddNode(n NodeSpec) (int, error) {
	node := Node{Name: n.Name, Children: n.Children}
	if n.Mesh >= 0 {
		if n.Mesh >= len(b.doc.Meshes) {
			return 0, fmt.Errorf("%w: node %q mesh %d does not exist", ErrBuilder, n.Name, n.Mesh)
		}
		mesh := n.Mesh
		node.Mesh = &mesh
	}
	for _, c := range n.Children {
		if c < 0 || c >= len(b.doc.Nodes) {
			return 0, fmt.Errorf("%w: node %q child %d does not exist", ErrBuilder, n.Name, c)
		}
	}
	check := func(field string, v []float64, size int) error {
		if v == nil {
			return nil
		}
		if len(v) != size {
			return fmt.Errorf("%w: node %q %s has %d components, want %d", ErrBuilder, n.Name, field, len(v), size)
		}
		for _, c := range v {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return fmt.Errorf("%w: node %q %s is not finite", ErrBuilder, n.Name, field)
			}
		}
		return nil
	}
	if err := check("translation", n.Translation, 3); err != nil {
		return 0, err
	}
	if err := check("rotation", n.Rotation, 4); err != nil {
		return 0, err
	}
	if err := check("scale", n.Scale, 3); err != nil {
		return 0, err
	}
	if n.Rotation != nil {
		q := n.Rotation
		length := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
		if math.Abs(length-1) > 1e-6 {
			return 0, fmt.Errorf("%w: node %q rotation is not a unit quaternion (length %g)", ErrBuilder, n.Name, length)
		}
	}
	node.Translation, node.Rotation, node.Scale = n.Translation, n.Rotation, n.Scale
	b.doc.Nodes = append(b.doc.Nodes, node)
	return len(b.doc.Nodes) - 1, nil
}

// AddToScene makes node a root node of the single scene.
func (b *Builder) AddToScene(node int) error {
	if node < 0 || node >= len(b.doc.Nodes) {
		return fmt.Errorf("%w: scene root %d is not a node", ErrBuilder, node)
	}
	b.scene = append(b.scene, node)
	return nil
}

// Document returns the document as built so far, with its scene and buffer
// entries filled in, and the BIN buffer it describes. Both alias the
// Builder's state and must not be modified.
func (b *Builder) Document() (*Document, []byte) {
	doc := b.doc
	scene := 0
	doc.Scene = &scene
	doc.Scenes = []Scene{{Nodes: b.scene}}
	doc.Buffers = nil
	if len(b.bin) > 0 {
		doc.Buffers = []Buffer{{ByteLength: len(b.bin)}}
	}
	return &doc, b.bin
}

// GLB encodes the built asset as a GLB container. It fails when the scene
// has no root nodes.
func (b *Builder) GLB() ([]byte, error) {
	if len(b.scene) == 0 {
		return nil, fmt.Errorf("%w: the scene has no nodes", ErrBuilder)
	}
	doc, bin := b.Document()
	glb, err := WriteGLB(doc, bin)
	if err != nil {
		return nil, fmt.Errorf("gltf: builder: %w", err)
	}
	return glb, nil
}
