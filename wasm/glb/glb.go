// Package glb decodes a binary glTF 2.0 (GLB) model into flat, renderable
// triangle meshes: positions, normals, tangents, colours and texture
// coordinates as floats in model space (node transforms applied), 32-bit
// indices, and metallic-roughness materials with their embedded images. It
// is pure Go so the parsing of these untrusted bytes is tested and fuzzed
// natively; the viewer turns the result into GPU buffers.
//
// Quantised attributes (KHR_mesh_quantization, as the asset pipeline
// writes its levels of detail) are dequantised to floats, and the base
// colour texture's KHR_texture_transform is baked into the texture
// coordinates of the primitives that use it. The other textures
// (metallic-roughness, normal, occlusion, emissive) share those
// coordinates when they read the same set with the same transform;
// otherwise they name a raw set (TEXCOORD_0 or _1, kept per mesh) and
// their transform as a matrix for the shader.
//
// Every count and offset read from the file is checked against the data
// before anything is allocated, and Limits bounds the totals.
package glb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrInvalid is wrapped by every error about a malformed or unsupported
// model.
var ErrInvalid = errors.New("glb: invalid model")

// ErrTooLarge is wrapped when a model exceeds Limits.
var ErrTooLarge = errors.New("glb: model over limits")

// Limits bounds what Decode accepts.
type Limits struct {
	MaxBytes      int // whole GLB
	MaxVertices   int // sum over all emitted meshes
	MaxIndices    int // sum over all emitted meshes
	MaxPrimitives int // meshes emitted after instancing
	MaxNodes      int
	MaxImages     int
	MaxDepth      int // node hierarchy depth
}

// DefaultLimits are generous for a product model and small enough for a
// phone.
var DefaultLimits = Limits{
	MaxBytes:      128 << 20,
	MaxVertices:   4 << 20,
	MaxIndices:    12 << 20,
	MaxPrimitives: 4096,
	MaxNodes:      16384,
	MaxImages:     64,
	MaxDepth:      64,
}

// Model is a decoded GLB.
type Model struct {
	Meshes    []Mesh
	Materials []Material
	Images    []Image
	// BoundsMin and BoundsMax enclose every mesh position. They are zero
	// when there are no meshes.
	BoundsMin, BoundsMax [3]float32
	// Variants names the KHR_materials_variants variants (colours,
	// finishes) in document order; Mesh.Variants maps them to materials.
	Variants []string
}

// Mesh is one triangle list in model space.
type Mesh struct {
	Name      string
	Positions []float32 // x, y, z per vertex
	Normals   []float32 // x, y, z per vertex, unit length
	// UVs holds u, v per vertex: the texture coordinate set the material's
	// base colour texture reads (its texCoord, or the texCoord of its
	// KHR_texture_transform; TEXCOORD_0 when the material has no texture)
	// with that transform's offset, rotation and scale applied. It is nil
	// when the primitive has no such set.
	UVs []float32
	// RawUVs holds TEXCOORD_0 and TEXCOORD_1 as stored (u, v per
	// vertex), each only when a texture of one of the mesh's materials
	// (its own or a variant's) reads it as UVSet0 or UVSet1; nil
	// otherwise.
	RawUVs [2][]float32
	// Tangents holds x, y, z, w per vertex (xyz unit length in model
	// space, w = ±1 the bitangent's sign); nil when the primitive has none.
	Tangents []float32
	// Colors holds linear r, g, b, a per vertex from COLOR_0 (a = 1 for an
	// RGB attribute); nil when the primitive has none.
	Colors  []float32
	Indices []uint32 // three per triangle, each < vertex count
	// Material indexes Model.Materials, or is -1 for the default material.
	Material int
	// Variants lists the materials this mesh takes in material variants
	// (KHR_materials_variants, variants.go); nil when none changes it.
	Variants []MeshVariant
}

// VertexCount is the number of vertices of m.
func (m *Mesh) VertexCount() int { return len(m.Positions) / 3 }

// Material is a glTF metallic-roughness material.
type Material struct {
	Name      string
	BaseColor [4]float32 // linear RGBA factor
	Metallic  float32
	Roughness float32
	Emissive  [3]float32
	// BaseColorImage indexes Model.Images, or is -1. Its texture reads
	// Mesh.UVs, where its coordinate set and transform are baked.
	BaseColorImage int
	// The other textures of the metallic-roughness model; Image is -1
	// when the material has none. MetallicRoughnessTexture holds roughness in
	// green and metalness in blue (linear); NormalTexture is a tangent-space
	// normal map; OcclusionTexture holds ambient occlusion in red (linear);
	// EmissiveTexture is sRGB.
	MetallicRoughnessTexture TextureInfo
	NormalTexture            TextureInfo
	OcclusionTexture         TextureInfo
	EmissiveTexture          TextureInfo
	// NormalScale scales the normal map's x and y (normalTexture.scale).
	NormalScale float32
	// OcclusionStrength blends the occlusion in (occlusionTexture.strength).
	OcclusionStrength float32
	DoubleSided       bool
	// AlphaMode is "OPAQUE", "MASK" or "BLEND".
	AlphaMode   string
	AlphaCutoff float32
}

// UVSource names the texture coordinates a texture reads.
type UVSource int

const (
	// UVBase is Mesh.UVs: the coordinates of the material's base colour
	// texture, its transform applied (TEXCOORD_0 when it has none).
	UVBase UVSource = iota
	// UVSet0 and UVSet1 are TEXCOORD_0 and TEXCOORD_1 as stored, in
	// Mesh.RawUVs.
	UVSet0
	UVSet1
)

// TextureInfo is one texture of a material: the image it samples and
// the coordinates it reads.
type TextureInfo struct {
	Image int // indexes Model.Images, or is -1 for none
	UV    UVSource
	// Transform maps the coordinates before sampling, a 2×3 affine map,
	// row-major: u' = T[0]·u + T[1]·v + T[2], v' = T[3]·u + T[4]·v + T[5]
	// (KHR_texture_transform; the identity when UV is UVBase, whose
	// transform is baked, or when the texture has none).
	Transform [6]float32
}

// noTexture is a TextureInfo without an image.
func noTexture() TextureInfo {
	return TextureInfo{Image: -1, Transform: [6]float32{1, 0, 0, 0, 1, 0}}
}

// Image is an embedded texture image, still encoded.
type Image struct {
	MimeType string // "image/png" or "image/jpeg"
	Data     []byte
}

// GLB framing constants (glTF 2.0 §4.4).
const (
	magic      = 0x46546C67 // "glTF"
	chunkJSON  = 0x4E4F534A // "JSON"
	chunkBIN   = 0x004E4942 // "BIN\0"
	headerSize = 12
)

// Extensions the decoder implements.
const (
	extMeshQuantization = "KHR_mesh_quantization"
	extTextureTransform = "KHR_texture_transform"
)

// supportedExtensions may appear in extensionsRequired.
var supportedExtensions = map[string]bool{
	"KHR_materials_unlit": true,
	extMeshQuantization:   true,
	extTextureTransform:   true,
	extMaterialsVariants:  true,
}

// Decode parses a GLB within lim (zero fields take DefaultLimits).
func Decode(data []byte, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxBytes)
	}
	jsonChunk, bin, err := splitChunks(data)
	if err != nil {
		return nil, err
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader(jsonChunk))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: JSON chunk: %v", ErrInvalid, err)
	}
	if len(doc.Asset.Version) == 0 || doc.Asset.Version[0] != '2' {
		return nil, fmt.Errorf("%w: asset version %q, want 2.x", ErrInvalid, doc.Asset.Version)
	}
	for _, ext := range doc.ExtensionsRequired {
		if !supportedExtensions[ext] {
			return nil, fmt.Errorf("%w: required extension %s is not supported", ErrInvalid, ext)
		}
	}
	if len(doc.Nodes) > lim.MaxNodes {
		return nil, fmt.Errorf("%w: %d nodes, limit %d", ErrTooLarge, len(doc.Nodes), lim.MaxNodes)
	}
	if len(doc.Images) > lim.MaxImages {
		return nil, fmt.Errorf("%w: %d images, limit %d", ErrTooLarge, len(doc.Images), lim.MaxImages)
	}
	d := &decoder{doc: &doc, bin: bin, lim: lim}
	// KHR_mesh_quantization must be in both lists; either one is enough
	// to read the integer attributes it allows.
	d.quantized = slices.Contains(doc.ExtensionsUsed, extMeshQuantization) || slices.Contains(doc.ExtensionsRequired, extMeshQuantization)
	if err := d.checkBuffers(); err != nil {
		return nil, err
	}
	m := &Model{}
	if m.Images, err = d.images(); err != nil {
		return nil, err
	}
	if m.Materials, err = d.materials(); err != nil {
		return nil, err
	}
	if m.Variants, err = d.variants(); err != nil {
		return nil, err
	}
	if err := d.walkScene(m); err != nil {
		return nil, err
	}
	m.BoundsMin, m.BoundsMax = bounds(m.Meshes)
	return m, nil
}

func (l Limits) withDefaults() Limits {
	def := DefaultLimits
	pick := func(v, d int) int {
		if v > 0 {
			return v
		}
		return d
	}
	return Limits{
		MaxBytes:      pick(l.MaxBytes, def.MaxBytes),
		MaxVertices:   pick(l.MaxVertices, def.MaxVertices),
		MaxIndices:    pick(l.MaxIndices, def.MaxIndices),
		MaxPrimitives: pick(l.MaxPrimitives, def.MaxPrimitives),
		MaxNodes:      pick(l.MaxNodes, def.MaxNodes),
		MaxImages:     pick(l.MaxImages, def.MaxImages),
		MaxDepth:      pick(l.MaxDepth, def.MaxDepth),
	}
}

// splitChunks checks the GLB header and returns the JSON chunk and the
// (possibly empty) BIN chunk.
func splitChunks(data []byte) (jsonChunk, bin []byte, err error) {
	le := binary.LittleEndian
	if len(data) < headerSize+8 {
		return nil, nil, fmt.Errorf("%w: %d bytes is too short for a GLB", ErrInvalid, len(data))
	}
	if le.Uint32(data[0:]) != magic {
		return nil, nil, fmt.Errorf("%w: missing glTF magic", ErrInvalid)
	}
	if v := le.Uint32(data[4:]); v != 2 {
		return nil, nil, fmt.Errorf("%w: GLB container version %d, want 2", ErrInvalid, v)
	}
	total := le.Uint32(data[8:])
	if uint64(total) > uint64(len(data)) || total < headerSize+8 {
		return nil, nil, fmt.Errorf("%w: header length %d, file has %d bytes", ErrInvalid, total, len(data))
	}
	rest := data[headerSize:total]
	for i := 0; len(rest) > 0; i++ {
		if len(rest) < 8 {
			return nil, nil, fmt.Errorf("%w: truncated chunk header", ErrInvalid)
		}
		n, typ := le.Uint32(rest[0:]), le.Uint32(rest[4:])
		if uint64(n) > uint64(len(rest)-8) {
			return nil, nil, fmt.Errorf("%w: chunk %d claims %d bytes, %d remain", ErrInvalid, i, n, len(rest)-8)
		}
		body := rest[8 : 8+n]
		rest = rest[8+n:]
		switch {
		case i == 0 && typ != chunkJSON:
			return nil, nil, fmt.Errorf("%w: first chunk is not JSON", ErrInvalid)
		case i == 0:
			jsonChunk = body
		case i == 1 && typ == chunkBIN:
			bin = body
		}
		// Later chunks of unknown type are skipped, as the spec requires.
	}
	return jsonChunk, bin, nil
}

// document holds the members of the glTF JSON the decoder reads.
type document struct {
	Asset struct {
		Version string `json:"version"`
	} `json:"asset"`
	ExtensionsUsed     []string     `json:"extensionsUsed"`
	ExtensionsRequired []string     `json:"extensionsRequired"`
	Scene              *int         `json:"scene"`
	Scenes             []scene      `json:"scenes"`
	Nodes              []node       `json:"nodes"`
	Meshes             []mesh       `json:"meshes"`
	Accessors          []accessor   `json:"accessors"`
	BufferViews        []bufferView `json:"bufferViews"`
	Buffers            []buffer     `json:"buffers"`
	Materials          []material   `json:"materials"`
	Textures           []texture    `json:"textures"`
	Images             []imageRef   `json:"images"`
	Extensions         struct {
		Variants *variantsDoc `json:"KHR_materials_variants"`
	} `json:"extensions"`
}

type scene struct {
	Nodes []int `json:"nodes"`
}

type node struct {
	Name        string    `json:"name"`
	Children    []int     `json:"children"`
	Mesh        *int      `json:"mesh"`
	Matrix      []float64 `json:"matrix"`
	Translation []float64 `json:"translation"`
	Rotation    []float64 `json:"rotation"`
	Scale       []float64 `json:"scale"`
}

type mesh struct {
	Name       string      `json:"name"`
	Primitives []primitive `json:"primitives"`
}

type primitive struct {
	Attributes map[string]int `json:"attributes"`
	Indices    *int           `json:"indices"`
	Material   *int           `json:"material"`
	Mode       *int           `json:"mode"`
	Extensions struct {
		Variants *variantsPrimitive `json:"KHR_materials_variants"`
	} `json:"extensions"`
}

type accessor struct {
	BufferView    *int            `json:"bufferView"`
	ByteOffset    int             `json:"byteOffset"`
	ComponentType int             `json:"componentType"`
	Normalized    bool            `json:"normalized"`
	Count         int             `json:"count"`
	Type          string          `json:"type"`
	Sparse        json.RawMessage `json:"sparse"`
}

type bufferView struct {
	Buffer     int `json:"buffer"`
	ByteOffset int `json:"byteOffset"`
	ByteLength int `json:"byteLength"`
	ByteStride int `json:"byteStride"`
}

type buffer struct {
	URI        string `json:"uri"`
	ByteLength int    `json:"byteLength"`
}

type textureRef struct {
	Index      int `json:"index"`
	TexCoord   int `json:"texCoord"`
	Extensions struct {
		Transform *textureTransform `json:"KHR_texture_transform"`
	} `json:"extensions"`
}

// textureTransform is KHR_texture_transform on a texture info.
type textureTransform struct {
	Offset   []float64 `json:"offset"`
	Rotation *float64  `json:"rotation"`
	Scale    []float64 `json:"scale"`
	TexCoord *int      `json:"texCoord"`
}

type material struct {
	Name string `json:"name"`
	PBR  *struct {
		BaseColorFactor          []float64   `json:"baseColorFactor"`
		BaseColorTexture         *textureRef `json:"baseColorTexture"`
		MetallicFactor           *float64    `json:"metallicFactor"`
		RoughnessFactor          *float64    `json:"roughnessFactor"`
		MetallicRoughnessTexture *textureRef `json:"metallicRoughnessTexture"`
	} `json:"pbrMetallicRoughness"`
	NormalTexture *struct {
		textureRef
		Scale *float64 `json:"scale"`
	} `json:"normalTexture"`
	OcclusionTexture *struct {
		textureRef
		Strength *float64 `json:"strength"`
	} `json:"occlusionTexture"`
	EmissiveTexture *textureRef `json:"emissiveTexture"`
	EmissiveFactor  []float64   `json:"emissiveFactor"`
	AlphaMode       string      `json:"alphaMode"`
	AlphaCutoff     *float64    `json:"alphaCutoff"`
	DoubleSided     bool        `json:"doubleSided"`
}

type texture struct {
	Source *int `json:"source"`
}

type imageRef struct {
	URI        string `json:"uri"`
	MimeType   string `json:"mimeType"`
	BufferView *int   `json:"bufferView"`
}

type decoder struct {
	doc *document
	bin []byte
	lim Limits
	// quantized is set when the document uses KHR_mesh_quantization.
	quantized bool
	// baseColorUV is, per material, the texture coordinate set and
	// transform of its base colour texture.
	baseColorUV []uvMapping
	// rawSets is, per material, a bit mask of the raw texture coordinate
	// sets (bit k: TEXCOORD_k) its other textures read.
	rawSets  []uint8
	vertices int // emitted so far
	indices  int
	// variantCount is the number of KHR_materials_variants variants.
	variantCount int
}

// checkBuffers accepts only the GLB's own BIN chunk as buffer storage: a
// streamed model must not reach outside itself.
func (d *decoder) checkBuffers() error {
	for i, b := range d.doc.Buffers {
		if b.URI != "" {
			return fmt.Errorf("%w: buffer %d refers to %q; only the embedded BIN chunk is supported", ErrInvalid, i, truncate(b.URI))
		}
		if i > 0 {
			return fmt.Errorf("%w: buffer %d: a GLB holds one embedded buffer", ErrInvalid, i)
		}
		if b.ByteLength < 0 || b.ByteLength > len(d.bin) {
			return fmt.Errorf("%w: buffer 0 declares %d bytes, BIN chunk has %d", ErrInvalid, b.ByteLength, len(d.bin))
		}
	}
	return nil
}

// view returns the bytes of buffer view i.
func (d *decoder) view(i int) (data []byte, stride int, err error) {
	if i < 0 || i >= len(d.doc.BufferViews) {
		return nil, 0, fmt.Errorf("%w: buffer view %d does not exist", ErrInvalid, i)
	}
	bv := d.doc.BufferViews[i]
	if bv.Buffer != 0 || len(d.doc.Buffers) == 0 {
		return nil, 0, fmt.Errorf("%w: buffer view %d uses buffer %d", ErrInvalid, i, bv.Buffer)
	}
	size := d.doc.Buffers[0].ByteLength
	if bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset > size || bv.ByteLength > size-bv.ByteOffset {
		return nil, 0, fmt.Errorf("%w: buffer view %d (offset %d, length %d) overruns its %d-byte buffer", ErrInvalid, i, bv.ByteOffset, bv.ByteLength, size)
	}
	if bv.ByteStride != 0 && (bv.ByteStride < 4 || bv.ByteStride > 252) {
		return nil, 0, fmt.Errorf("%w: buffer view %d stride %d", ErrInvalid, i, bv.ByteStride)
	}
	return d.bin[bv.ByteOffset : bv.ByteOffset+bv.ByteLength], bv.ByteStride, nil
}

func (d *decoder) images() ([]Image, error) {
	out := make([]Image, len(d.doc.Images))
	for i, img := range d.doc.Images {
		if img.BufferView == nil {
			return nil, fmt.Errorf("%w: image %d is not embedded in the BIN chunk", ErrInvalid, i)
		}
		data, _, err := d.view(*img.BufferView)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		mime := img.MimeType
		if mime == "" {
			mime = sniffImage(data)
		}
		if mime != "image/png" && mime != "image/jpeg" {
			return nil, fmt.Errorf("%w: image %d has type %q, want image/png or image/jpeg", ErrInvalid, i, truncate(mime))
		}
		out[i] = Image{MimeType: mime, Data: data}
	}
	return out, nil
}

func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	}
	return ""
}

func (d *decoder) materials() ([]Material, error) {
	out := make([]Material, len(d.doc.Materials))
	d.baseColorUV = make([]uvMapping, len(d.doc.Materials))
	d.rawSets = make([]uint8, len(d.doc.Materials))
	for i, src := range d.doc.Materials {
		d.baseColorUV[i] = uvMapping{transform: identityUV()}
		m := DefaultMaterial()
		m.Name = src.Name
		m.DoubleSided = src.DoubleSided
		if src.AlphaMode != "" {
			switch src.AlphaMode {
			case "OPAQUE", "MASK", "BLEND":
				m.AlphaMode = src.AlphaMode
			default:
				return nil, fmt.Errorf("%w: material %d alpha mode %q", ErrInvalid, i, truncate(src.AlphaMode))
			}
		}
		if src.AlphaCutoff != nil {
			m.AlphaCutoff = clamp01(*src.AlphaCutoff)
		}
		if len(src.EmissiveFactor) == 3 {
			for k := range 3 {
				m.Emissive[k] = clamp01(src.EmissiveFactor[k])
			}
		}
		if p := src.PBR; p != nil {
			if len(p.BaseColorFactor) == 4 {
				for k := range 4 {
					m.BaseColor[k] = clamp01(p.BaseColorFactor[k])
				}
			}
			if p.MetallicFactor != nil {
				m.Metallic = clamp01(*p.MetallicFactor)
			}
			if p.RoughnessFactor != nil {
				m.Roughness = clamp01(*p.RoughnessFactor)
			}
			if t := p.BaseColorTexture; t != nil {
				img, uv, err := d.textureImage(t)
				if err != nil {
					return nil, fmt.Errorf("material %d base colour texture: %w", i, err)
				}
				if img >= 0 {
					m.BaseColorImage = img
					d.baseColorUV[i] = uv
				}
			}
		}
		// The other textures, once the base colour's mapping is known.
		var err error
		if p := src.PBR; p != nil && p.MetallicRoughnessTexture != nil {
			if m.MetallicRoughnessTexture, err = d.textureInfo(i, p.MetallicRoughnessTexture); err != nil {
				return nil, fmt.Errorf("material %d metallic-roughness texture: %w", i, err)
			}
		}
		if t := src.NormalTexture; t != nil {
			if m.NormalTexture, err = d.textureInfo(i, &t.textureRef); err != nil {
				return nil, fmt.Errorf("material %d normal texture: %w", i, err)
			}
			if t.Scale != nil {
				if math.IsNaN(*t.Scale) || math.Abs(*t.Scale) > 100 {
					return nil, fmt.Errorf("%w: material %d normal scale %v", ErrInvalid, i, *t.Scale)
				}
				m.NormalScale = float32(*t.Scale)
			}
		}
		if t := src.OcclusionTexture; t != nil {
			if m.OcclusionTexture, err = d.textureInfo(i, &t.textureRef); err != nil {
				return nil, fmt.Errorf("material %d occlusion texture: %w", i, err)
			}
			if t.Strength != nil {
				m.OcclusionStrength = clamp01(*t.Strength)
			}
		}
		if t := src.EmissiveTexture; t != nil {
			if m.EmissiveTexture, err = d.textureInfo(i, t); err != nil {
				return nil, fmt.Errorf("material %d emissive texture: %w", i, err)
			}
		}
		out[i] = m
	}
	return out, nil
}

// textureImage resolves a texture info to its image (-1 when the
// texture names no source) and its coordinate mapping.
func (d *decoder) textureImage(t *textureRef) (int, uvMapping, error) {
	if t.Index < 0 || t.Index >= len(d.doc.Textures) {
		return -1, uvMapping{}, fmt.Errorf("%w: texture %d of %d", ErrInvalid, t.Index, len(d.doc.Textures))
	}
	uv, err := textureMapping(t)
	if err != nil {
		return -1, uv, err
	}
	src := d.doc.Textures[t.Index].Source
	if src == nil {
		return -1, uv, nil
	}
	if *src < 0 || *src >= len(d.doc.Images) {
		return -1, uv, fmt.Errorf("%w: texture %d uses image %d of %d", ErrInvalid, t.Index, *src, len(d.doc.Images))
	}
	return *src, uv, nil
}

// textureInfo resolves a texture of material mat other than its base
// colour: one reading the base colour's coordinates and transform shares
// Mesh.UVs; any other reads a raw set with its own transform. A texture
// on a set beyond TEXCOORD_1 is dropped (the material still draws).
func (d *decoder) textureInfo(mat int, t *textureRef) (TextureInfo, error) {
	out := noTexture()
	img, uv, err := d.textureImage(t)
	if err != nil || img < 0 {
		return out, err
	}
	switch {
	case uv == d.baseColorUV[mat]:
		out.UV = UVBase
	case uv.set <= 1:
		out.UV = UVSet0 + UVSource(uv.set)
		for k := range 6 {
			if math.Abs(uv.transform[k]) > math.MaxFloat32 {
				return out, fmt.Errorf("%w: %s out of range", ErrInvalid, extTextureTransform)
			}
			out.Transform[k] = float32(uv.transform[k])
		}
		d.rawSets[mat] |= 1 << uv.set
	default:
		return out, nil
	}
	out.Image = img
	return out, nil
}

// DefaultMaterial is the glTF default: white, fully rough, not metallic.
func DefaultMaterial() Material {
	return Material{
		BaseColor:                [4]float32{1, 1, 1, 1},
		Metallic:                 1,
		Roughness:                1,
		BaseColorImage:           -1,
		MetallicRoughnessTexture: noTexture(),
		NormalTexture:            noTexture(),
		OcclusionTexture:         noTexture(),
		EmissiveTexture:          noTexture(),
		NormalScale:              1,
		OcclusionStrength:        1,
		AlphaMode:                "OPAQUE",
		AlphaCutoff:              0.5,
	}
}

func clamp01(v float64) float32 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return float32(v)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func bounds(meshes []Mesh) (lo, hi [3]float32) {
	first := true
	for _, m := range meshes {
		for i := 0; i+2 < len(m.Positions); i += 3 {
			for k := range 3 {
				v := m.Positions[i+k]
				if first || v < lo[k] {
					lo[k] = v
				}
				if first || v > hi[k] {
					hi[k] = v
				}
			}
			first = false
		}
	}
	return lo, hi
}
